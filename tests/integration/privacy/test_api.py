from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from privacy import api
from privacy.vault import Vault
from services.kit.auth import Principal
from services.kit.definition import Runtime
from services.kit.errors import RetornoError

DPO = Principal(user_id="u_dpo", role="data_protection_officer")


@pytest.fixture
async def client(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    actions: list[str] = []

    def fake_require(action: str) -> Callable[..., Principal]:
        actions.append(action)
        return Depends(lambda: DPO)

    monkeypatch.setattr(api, "require", fake_require)
    app = FastAPI()
    app.state.runtime = rt
    app.include_router(api.router())

    @app.exception_handler(RetornoError)
    async def problem(_request: Request, exc: RetornoError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http, actions


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
