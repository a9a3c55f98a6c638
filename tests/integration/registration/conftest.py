"""A registration runtime on a real database, in the real app (``tests.support.make_app``),
users by token."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from db.uow import ServiceDatabase
from events.registration import ReturnRegistered
from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.kit.settings import Settings
from services.registration.service import SERVICE
from tests.integration.registration.fakes import FakeVault
from tests.integration.registration.helpers import funds_known, outbox
from tests.support import case_request, make_app, make_runtime, open_service_db
from tests.support import client as http_client

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
    rt = make_runtime(
        Settings(data_dir=tmp_path), {"registration": db}, clock=db.clock, vault=vault
    )
    year = rt.clock().year
    await funds_known(db, str(year), str(year + 1))
    return rt


@pytest.fixture
async def client(runtime: Runtime, db: ServiceDatabase, vault: FakeVault) -> AsyncIterator[Client]:
    async with http_client(make_app(runtime, [SERVICE], tokens=USERS)) as http:
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


ALL_TRANSPORT = [{"person": "all", "category": "transport", "amount": "250.00", "currency": "USD"}]


def case_body(**changes: Any) -> dict[str, Any]:
    """``tests.support.case_request`` in office MX-TAP, its transport asked for everyone."""
    return case_request(**{"office": "MX-TAP", "requested": ALL_TRANSPORT, **changes})


def new_id() -> str:
    return str(uuid.uuid4())
