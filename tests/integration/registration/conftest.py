"""A registration runtime on a real database, its router on a small app, users by token."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from db.uow import ServiceDatabase
from events.registration import ReturnRegistered
from services.edge.problems import install_problem_handlers
from services.kit.definition import Runtime
from services.kit.identity import AUTHENTICATOR, Principal, StaticAuthenticator
from services.kit.settings import Settings
from services.kit.vault import VAULT
from services.registration.service import SERVICE
from tests.integration.registration.fakes import FakeVault
from tests.integration.registration.helpers import funds_known, outbox
from tests.support import open_service_db

USERS = {
    "cw": Principal("u-cw", "caseworker", frozenset({"MX-TAP"})),
    "cw-other": Principal("u-cw2", "caseworker", frozenset({"GT-GUA"})),
    "sup": Principal("u-sup", "supervisor", frozenset({"MX-TAP", "GT-GUA"})),
    "sup-gt": Principal("u-sup-gt", "supervisor", frozenset({"GT-GUA"})),
    "sup-mx": Principal("u-sup-mx", "supervisor", frozenset({"MX-TAP"})),
    "cw-cr": Principal("u-cw-cr", "caseworker", frozenset({"CR-SJO"})),
    "auditor": Principal("u-aud", "auditor"),
    "dpo": Principal("u-dpo", "data_protection_officer"),
}


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[ServiceDatabase]:
    database = await open_service_db(SERVICE, database_url)
    yield database
    await database.engine.dispose()


@pytest.fixture
def vault() -> FakeVault:
    return FakeVault()


@pytest.fixture
async def runtime(db: ServiceDatabase, vault: FakeVault, tmp_path: Path) -> Runtime:
    """With funds (USD) for this year and the next, learned from funding's events."""
    settings = Settings(data_dir=tmp_path)
    rt = Runtime(
        settings=settings,
        databases={"registration": db},
    )
    rt.put(VAULT, vault)
    rt.put(AUTHENTICATOR, StaticAuthenticator(USERS))
    year = rt.clock().year
    await funds_known(db, str(year), str(year + 1))
    return rt


@pytest.fixture
async def client(runtime: Runtime, db: ServiceDatabase, vault: FakeVault) -> AsyncIterator[Client]:
    app = FastAPI()
    assert SERVICE.router is not None
    app.include_router(SERVICE.router())
    install_problem_handlers(app)
    app.state.runtime = runtime
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Client(http, db, vault)


class Client:
    """HTTP as one of USERS. After a registration it hands the committed
    ``return_registered`` events to the fake vault, as privacy's consumer would."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        db: ServiceDatabase | None = None,
        vault: FakeVault | None = None,
    ) -> None:
        self.http = http
        self.db = db
        self.vault = vault

    async def post(self, user: str, url: str, json: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {user}"}
        response = await self.http.post(url, json=json, headers=headers)
        if url == "/api/cases" and response.status_code == 201:
            await self.privacy_catches_up()
        return response

    async def privacy_catches_up(self) -> None:
        if self.db is None or self.vault is None:
            return
        for envelope in await outbox(self.db):
            if envelope.type == ReturnRegistered.type_name():
                self.vault.apply_registered(envelope)

    async def get(self, user: str, url: str, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {user}"}
        return await self.http.get(url, params=params, headers=headers)

    async def register(self, user: str = "cw", **changes: Any) -> dict[str, Any]:
        response = await self.post(user, "/api/cases", case_body(**changes))
        assert response.status_code == 201, response.text
        return response.json()

    async def move(self, case_id: str, to: str, user: str = "cw", **extra: Any) -> httpx.Response:
        return await self.post(user, f"/api/cases/{case_id}/transitions", {"to": to, **extra})


def person(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "given_names": "Ana Maria",
        "family_name": "Lopez",
        "date_of_birth": "1990-03-04",
        "sex": "female",
        "nationality": "GT",
        "travel_document": {"type": "passport", "number": "P1234567"},
        "contact": {"phone": "+52 55 1234 5678", "email": "ana@example.org"},
        "vulnerability_categories": ["woman_at_risk"],
        "consents": [{"purpose": "assistance", "granted": True}],
    }
    data.update(changes)
    return data


def case_body(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "requester": {"type": "civil_society_organisation", "name": "Casa del Migrante"},
        "office": "MX-TAP",
        "people": [person()],
        "departure_country": "MX",
        "destination_country": "GT",
        "requested": [
            {"person": "all", "category": "transport", "amount": "250.00", "currency": "USD"}
        ],
    }
    data.update(changes)
    return data


def new_id() -> str:
    return str(uuid.uuid4())
