"""The export routes in the real app (auth, problem details): the evaluator makes, lists and
downloads exports; other roles may not; bad input is refused naming the field."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest
from httpx import ASGITransport, AsyncClient

from services.edge.app import create_app
from services.evaluation.service import SERVICE
from services.kit.definition import Runtime
from services.kit.identity import AUTHENTICATOR, Principal, StaticAuthenticator
from tests.integration.evaluation.scenario import deliver_all, population

EVALUATOR = {"Authorization": "Bearer t-evaluator"}
CASEWORKER = {"Authorization": "Bearer t-caseworker"}


@pytest.fixture
async def http(rt: Runtime) -> AsyncIterator[AsyncClient]:
    rt.put(
        AUTHENTICATOR,
        StaticAuthenticator(
            {
                "t-evaluator": Principal("u_eval", "evaluator"),
                "t-caseworker": Principal("u_cw", "caseworker", frozenset({"MX-01"})),
            }
        ),
    )
    app = create_app(rt, [SERVICE])
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
        yield client


async def test_the_evaluator_makes_lists_and_downloads_an_export(
    rt: Runtime, http: AsyncClient
) -> None:
    await deliver_all(rt, population())

    made = await http.post(
        "/api/exports", json={"period": "2026-H1", "format": "csv"}, headers=EVALUATOR
    )

    assert made.status_code == 201, made.text
    export = made.json()
    assert export["created_by"] == "u_eval" and export["rules"]["k"] == 5
    assert {t["name"] for t in export["tables"]} == {
        "returns",
        "returns_by_category",
        "lifecycle",
        "assistance",
        "outcomes",
        "outcomes_by_category",
        "outcomes_over_time",
        "residence",
        "remigration_intention",
        "closures",
    }
    listed = (await http.get("/api/exports", headers=EVALUATOR)).json()
    assert [e["id"] for e in listed["items"]] == [export["id"]]
    one = await http.get(f"/api/exports/{export['id']}", headers=EVALUATOR)
    assert one.json() == export
    for f in export["files"]:
        got = await http.get(f["url"], headers=EVALUATOR)
        assert got.status_code == 200
        assert hashlib.sha256(got.content).hexdigest() == f["sha256"]
    returns = next(f for f in export["files"] if f["name"] == "returns.csv")
    got = await http.get(returns["url"], headers=EVALUATOR)
    assert got.headers["content-type"].startswith("text/csv")


async def test_a_caseworker_may_not_make_or_read_exports(http: AsyncClient) -> None:
    made = await http.post("/api/exports", json={"period": "2026-H1"}, headers=CASEWORKER)
    assert made.status_code == 403
    assert (await http.get("/api/exports", headers=CASEWORKER)).status_code == 403
    assert (await http.get("/api/exports")).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"period": "2026-H3"}, "period"),
        ({"from": "2026-06-01", "to": "2026-01-01"}, "to"),
        ({"from": "2026-06-01"}, "to"),
        ({}, "from"),
        ({"period": "2026-H1", "from": "2026-01-01", "to": "2026-02-01"}, "period"),
    ],
)
async def test_a_period_that_cannot_be_read_is_a_422_naming_the_field_and_stores_nothing(
    rt: Runtime, http: AsyncClient, body: dict[str, str], field: str
) -> None:
    refused = await http.post("/api/exports", json=body, headers=EVALUATOR)

    assert refused.status_code == 422
    problem = refused.json()
    assert problem["type"] == "urn:retorno:problem:invalid-period"
    assert problem["field"] == field
    assert (await http.get("/api/exports", headers=EVALUATOR)).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"period": "2026-H1", "tables": ["people_list"]}, "tables"),
        ({"period": "2026-H1", "format": "pdf"}, "format"),
        ({"period": "2026-H1", "person_ref": "p_" + "0" * 32}, "person_ref"),
    ],
)
async def test_a_body_field_out_of_its_schema_is_a_422_naming_it(
    http: AsyncClient, body: dict[str, object], field: str
) -> None:
    refused = await http.post("/api/exports", json=body, headers=EVALUATOR)

    assert refused.status_code == 422
    assert field in refused.text


async def test_an_overlapping_release_with_other_figures_is_a_409_of_its_own_type(
    rt: Runtime, http: AsyncClient
) -> None:
    await deliver_all(rt, population())
    first = await http.post(
        "/api/exports", json={"period": "2026-H1", "tables": ["returns"]}, headers=EVALUATOR
    )
    assert first.status_code == 201
    await deliver_all(rt, population()[:3])  # more returns in H1 after it was published

    again = await http.post(
        "/api/exports", json={"period": "2026-H1", "tables": ["returns"]}, headers=EVALUATOR
    )

    assert again.status_code == 409
    assert again.json()["type"] == "urn:retorno:problem:overlapping-release-refused"
    assert len((await http.get("/api/exports", headers=EVALUATOR)).json()["items"]) == 1


async def test_an_unknown_export_or_file_is_a_404_of_its_own_type(
    rt: Runtime, http: AsyncClient
) -> None:
    missing = await http.get("/api/exports/00000000-0000-4000-8000-000000000000", headers=EVALUATOR)
    assert missing.json()["type"] == "urn:retorno:problem:export-not-found"
    await deliver_all(rt, population())
    made = (
        await http.post(
            "/api/exports", json={"period": "2026-H1", "format": "html"}, headers=EVALUATOR
        )
    ).json()
    nofile = await http.get(f"/api/exports/{made['id']}/files/returns.csv", headers=EVALUATOR)
    assert nofile.status_code == 404
    assert nofile.json()["type"] == "urn:retorno:problem:export-file-not-found"
    traversal = await http.get(
        f"/api/exports/{made['id']}/files/..%2F..%2Fevaluation.db", headers=EVALUATOR
    )
    assert traversal.status_code in (404, 422)
