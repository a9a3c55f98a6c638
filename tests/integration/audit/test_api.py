"""The audit routes: auditor-only, read-only, and answering from the log."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from benchmarks.audit_scenario import build
from db.uow import ServiceDatabase
from services.audit.domain.signing import signature_valid
from services.audit.service import SERVICE
from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.kit.routes import Requirement
from services.kit.settings import Settings
from tests.integration.audit.feeding import feed
from tests.support import api_routes, make_app, make_runtime, requirements
from tests.support import client as http_client

AUDITOR = Principal("aud-1", "auditor")
CASEWORKER = Principal("cw-1", "caseworker", frozenset({"GT-CITY"}))
AS_AUDITOR = {"Authorization": "Bearer auditor-token"}
AS_CASEWORKER = {"Authorization": "Bearer caseworker-token"}
GET_ROUTES = [
    "/api/audit/verify",
    "/api/audit/events",
    "/api/audit/commitments",
    "/api/audit/disbursements?by=member",
    "/api/audit/cap-compliance",
    "/api/audit/members",
    "/api/audit/cases/stages?by=office",
    "/api/audit/summary?half=2026-H1",
    "/api/audit/checkpoints",
    "/api/audit/public-key",
]


def guards(app: FastAPI) -> dict[tuple[str, ...], list[Requirement]]:
    """The auth dependency of each audit route of the app."""
    return {
        (path, *route.methods): requirements(route.dependant)
        for path, _methods, route in api_routes(app)
        if path.startswith("/api/audit")
    }


def audit_app(rt: Runtime) -> FastAPI:
    """The real app (edge guards, problem details) over the audit service."""
    return make_app(
        rt, [SERVICE], tokens={"auditor-token": AUDITOR, "caseworker-token": CASEWORKER}
    )


@pytest.fixture
async def client(rt: Runtime, db: ServiceDatabase) -> AsyncIterator[httpx.AsyncClient]:
    for envelope in build().envelopes:
        await feed(db, envelope)
    async with http_client(audit_app(rt)) as http:
        yield http


def test_every_route_requires_an_audit_permission() -> None:
    app = audit_app(make_runtime(Settings(), {}))

    actions = {k: [r.action for r in v] for k, v in guards(app).items()}

    assert actions[("/api/audit/verify", "GET")] == ["audit.verify"]
    assert actions[("/api/audit/checkpoints/verify", "POST")] == ["audit.verify"]
    assert len(actions) == 11
    assert all(len(a) == 1 and a[0] in ("audit.read", "audit.verify") for a in actions.values())


@pytest.mark.parametrize("path", GET_ROUTES)
async def test_an_auditor_may_read_every_route(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers=AS_AUDITOR)

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", GET_ROUTES)
async def test_a_caseworker_is_refused_and_anonymous_is_asked_to_log_in(
    client: httpx.AsyncClient, path: str
) -> None:
    refused = await client.get(path, headers=AS_CASEWORKER)
    anonymous = await client.get(path)

    assert refused.status_code == 403
    assert anonymous.status_code == 401


async def test_verify_reports_an_intact_log(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/audit/verify", headers=AS_AUDITOR)).json()

    assert body["intact"] is True and body["problem"] is None
    assert body["chain"]["records_checked"] == len(build().envelopes)


async def test_cap_compliance_shows_the_check_and_the_people_checked(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/api/audit/cap-compliance", headers=AS_AUDITOR)).json()

    assert body["compliant"] is True and body["people_above_cap"] == 0
    assert body["people_checked"] == 4 and body["max_ratio"] == "1.0000"
    assert "per_person_cap_cents" in body["check"]


async def test_disbursements_group_by_member(client: httpx.AsyncClient) -> None:
    rows = (await client.get("/api/audit/disbursements?by=member", headers=AS_AUDITOR)).json()

    assert {r["keys"]["member"]: r["amount_cents"] for r in rows} == {
        "CA": 27_500,
        "MX": 82_500,
        "US": 20_000,
    }


async def test_wrong_grouping_and_half_year_are_explained(client: httpx.AsyncClient) -> None:
    member = await client.get("/api/audit/commitments?by=member", headers=AS_AUDITOR)
    half = await client.get("/api/audit/summary?half=2026-Q1", headers=AS_AUDITOR)

    assert member.status_code == 422 and "disbursements by member" in member.json()["detail"]
    assert member.json()["type"] == "urn:retorno:problem:not-attributed-to-members"
    assert half.status_code == 422 and "2026-H1" in half.json()["detail"]
    assert half.json()["type"] == "urn:retorno:problem:invalid-half-year"


async def test_a_kept_checkpoint_verifies_with_the_exported_public_key(
    client: httpx.AsyncClient, rt: Runtime
) -> None:
    from services.audit.domain.checkpoints import checkpoint_message
    from services.audit.usecases.checkpoints import make_checkpoint

    made = await make_checkpoint(rt)
    assert made is not None
    listed = (await client.get("/api/audit/checkpoints", headers=AS_AUDITOR)).json()
    key = (await client.get("/api/audit/public-key", headers=AS_AUDITOR)).json()
    status = await client.post("/api/audit/checkpoints/verify", json=listed[0], headers=AS_AUDITOR)

    message = checkpoint_message(made.position, made.hash, made.signed_at)
    assert signature_valid(key["pem"], message, listed[0]["signature"])
    assert status.json()["matches_log"] is True and status.json()["signature_valid"] is True


async def test_auth_can_be_overridden_for_a_route_test(rt: Runtime, db: ServiceDatabase) -> None:
    app = audit_app(rt)
    for found in guards(app).values():
        for requirement in found:
            app.dependency_overrides[requirement] = lambda: AUDITOR

    async with http_client(app) as http:
        response = await http.get("/api/audit/events?limit=5")

    assert response.status_code == 200 and response.json() == []


DATED_ROUTES = [
    "/api/audit/events",
    "/api/audit/commitments",
    "/api/audit/disbursements",
    "/api/audit/cases/stages",
]


@pytest.mark.parametrize("path", DATED_ROUTES)
@pytest.mark.parametrize(
    ("query", "named", "hint"),
    [
        ("date_to=0", "date_to", "YYYY-MM-DD"),
        ("date_from=0", "date_from", "YYYY-MM-DD"),
        ("date_from=1999-12-31", "date_from", "2000-01-01"),
        ("date_to=9999-01-01", "date_to", "check the year"),
        ("date_from=2026-05-01&date_to=2026-04-01", "date_from", "is after date_to"),
        ("date_to=2026-02-30", "date_to", "YYYY-MM-DD"),
    ],
)
async def test_a_nonsense_date_range_is_refused_naming_the_parameter(
    client: httpx.AsyncClient, path: str, query: str, named: str, hint: str
) -> None:
    response = await client.get(f"{path}?{query}", headers=AS_AUDITOR)

    assert response.status_code == 422, response.text
    assert response.json()["type"] == "urn:retorno:problem:invalid-date-range"
    detail = response.json()["detail"]
    assert f"query.{named}" in detail and hint in detail
    assert f"query.{named}" in {e["field"] for e in response.json()["errors"]}


@pytest.mark.parametrize("path", DATED_ROUTES)
async def test_a_sensible_date_range_is_answered(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(
        f"{path}?date_from=2026-01-01&date_to=2026-01-01", headers=AS_AUDITOR
    )

    assert response.status_code == 200, response.text
