from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Generator
from datetime import date

import httpx
import pytest

from events.envelope import Actor, new_envelope
from events.registration import ReturnRegistered
from privacy.service import SERVICE
from privacy.usecases.vault import Vault
from services.kit.definition import Runtime
from services.kit.identity import Principal
from tests.support import ActingAs, api_routes, deliver, make_app, person_facts, requirements
from tests.support import client as http_client

DPO = Principal(user_id="u_dpo", role="data_protection_officer")
AS: list[Principal] = [DPO]  # the principal the routes see; a test may replace it


@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    """The real app (edge guards, problem details) over privacy, each request as ``AS[0]``;
    with the actions its routes require."""
    AS[0] = DPO
    app = make_app(rt, [SERVICE], tokens={})
    actions = [r.action for _p, _m, route in api_routes(app) for r in requirements(route.dependant)]
    acting = AsFirst(rt, DPO)
    async with http_client(app) as http:
        http.auth = acting
        yield http, actions
    AS[0] = DPO


class AsFirst(ActingAs):
    """``ActingAs`` whoever ``AS[0]`` is at the time of the request."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.principal = AS[0]
        return super().auth_flow(request)


async def test_routes_declare_their_permissions(
    client: tuple[httpx.AsyncClient, list[str]],
) -> None:
    _, actions = client

    assert sorted(set(actions)) == [
        "privacy.consent",
        "privacy.erase",
        "privacy.legal_hold",
        "privacy.retention",
    ]


async def test_hold_blocks_erasure_until_lifted_through_http(
    client: tuple[httpx.AsyncClient, list[str]], vault: Vault, person_ref: str
) -> None:
    http, _ = client
    await vault.new_person(person_ref)

    placed = await http.post(f"/api/people/{person_ref}/legal-holds", json={"reason": "Court"})
    refused = await http.post(f"/api/people/{person_ref}/erasure")
    lifted = await http.delete(f"/api/people/{person_ref}/legal-holds/{placed.json()['hold_id']}")
    erased = await http.post(f"/api/people/{person_ref}/erasure")

    assert placed.status_code == 201 and "reason" not in placed.json()
    assert refused.status_code == 409 and "legal hold" in refused.json()["detail"]
    assert lifted.status_code == 200 and lifted.json()["lifted_by"] == "u_dpo"
    assert erased.status_code == 200 and erased.json()["trigger"] == "request"
    assert await vault.is_erased(person_ref)


async def test_consent_is_recorded_through_http(
    client: tuple[httpx.AsyncClient, list[str]], vault: Vault, person_ref: str
) -> None:
    http, _ = client
    await vault.new_person(person_ref)

    response = await http.post(
        f"/api/people/{person_ref}/consents",
        json={"purpose": "partner_sharing", "granted": True, "partner": "Cruz Roja"},
    )
    invalid = await http.post(
        f"/api/people/{person_ref}/consents", json={"purpose": "assistance", "granted": "maybe"}
    )

    assert response.status_code == 201
    assert response.json()["recorded_by"] == "u_dpo"
    assert await vault.has_consent(person_ref, "partner_sharing", "Cruz Roja")
    assert invalid.status_code == 422


async def test_a_malformed_person_ref_is_rejected(
    client: tuple[httpx.AsyncClient, list[str]],
) -> None:
    http, _ = client

    response = await http.post("/api/people/Ana%20Maria/erasure")

    assert response.status_code == 422


async def test_the_retention_job_runs_through_http(
    client: tuple[httpx.AsyncClient, list[str]],
) -> None:
    http, _ = client

    response = await http.post("/api/retention/run")

    assert response.status_code == 200
    assert response.json()["erased"] == [] and response.json()["years"] == 5


async def registered_in(rt: Runtime, person_ref: str, office: str) -> None:
    """Privacy learns the case and its office from registration's event."""
    payload = ReturnRegistered(
        case_id=uuid.uuid4(),
        fund_period="2030",
        office=office,
        requester_type="civil_society_organisation",
        departure_country="MX",
        destination_country="GT",
        registered_on=date(2030, 1, 2),
        people=[person_facts(person_ref)],
    )
    await deliver(rt, SERVICE, new_envelope(payload, actor=Actor.service("registration")))


CONSENT = {"purpose": "follow_up_contact", "granted": True}


async def test_consent_for_an_unknown_person_is_not_found_and_stores_nothing(
    client: tuple[httpx.AsyncClient, list[str]], vault: Vault, person_ref: str
) -> None:
    http, _ = client

    response = await http.post(f"/api/people/{person_ref}/consents", json=CONSENT)

    assert response.status_code == 404
    assert await vault.consents(person_ref) == []


@pytest.mark.parametrize("granted", [0, 1, "true", "yes", None])
async def test_consent_granted_must_be_a_json_boolean(
    client: tuple[httpx.AsyncClient, list[str]], vault: Vault, person_ref: str, granted: object
) -> None:
    http, _ = client
    await vault.new_person(person_ref)

    response = await http.post(
        f"/api/people/{person_ref}/consents", json={"purpose": "assistance", "granted": granted}
    )

    assert response.status_code == 422
    assert await vault.consents(person_ref) == []


async def test_consent_is_refused_to_another_offices_caseworker_and_supervisor(
    client: tuple[httpx.AsyncClient, list[str]], rt: Runtime, vault: Vault, person_ref: str
) -> None:
    http, _ = client
    await vault.new_person(person_ref)
    await registered_in(rt, person_ref, "GT-GUA")
    url = f"/api/people/{person_ref}/consents"
    answers = {}

    for who in ("caseworker", "supervisor"):
        for office in ("MX-TAP", "GT-GUA"):
            AS[0] = Principal(f"u-{who}-{office}", who, frozenset({office}))
            answers[(who, office)] = (await http.post(url, json=CONSENT)).status_code

    assert answers == {
        ("caseworker", "MX-TAP"): 403,
        ("supervisor", "MX-TAP"): 403,
        ("caseworker", "GT-GUA"): 201,
        ("supervisor", "GT-GUA"): 201,
    }
    assert [c.recorded_by for c in await vault.consents(person_ref)] == [
        "u-caseworker-GT-GUA",
        "u-supervisor-GT-GUA",
    ]


async def test_consent_waits_for_the_registration_to_reach_privacy_for_office_staff(
    client: tuple[httpx.AsyncClient, list[str]], vault: Vault, person_ref: str
) -> None:
    http, _ = client
    await vault.new_person(person_ref)  # registration made the key; its event is not here yet
    AS[0] = Principal("u-cw", "caseworker", frozenset({"GT-GUA"}))

    response = await http.post(f"/api/people/{person_ref}/consents", json=CONSENT)

    assert response.status_code == 409
    assert await vault.consents(person_ref) == []
