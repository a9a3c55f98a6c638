"""Fixtures for the funding service against a real database (SQLite file, PostgreSQL), and
its routes in the real app (``tests.support.make_app``: the edge's guards and problem
details), each request carrying a token of ``api.principal`` (``ActingAs``)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import AsyncClient

from db.uow import ServiceDatabase
from services.funding.service import SERVICE
from services.kit.identity import Principal
from tests.integration.funding.factories import SUPERVISOR, deliver, registered, runtime, screened
from tests.support import ActingAs, client, make_app, open_service_db


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[ServiceDatabase]:
    database = await open_service_db(SERVICE, database_url)
    try:
        yield database
    finally:
        await database.engine.dispose()


class Api:
    """An HTTP client on the funding routes; ``principal`` is who every request runs as."""

    def __init__(self, client: AsyncClient, acting: ActingAs) -> None:
        self.client = client
        self.acting = acting
        client.auth = acting

    @property
    def principal(self) -> Principal:
        return self.acting.principal

    @principal.setter
    def principal(self, principal: Principal) -> None:
        self.acting.principal = principal

    async def post(self, url: str, body: dict[str, Any]) -> Any:
        return await self.client.post(url, json=body)

    async def get(self, url: str) -> Any:
        return await self.client.get(url)


@pytest.fixture
async def api(db: ServiceDatabase) -> AsyncIterator[Api]:
    rt = runtime(db)
    async with client(make_app(rt, [SERVICE], tokens={})) as http:
        yield Api(http, ActingAs(rt, SUPERVISOR))


def fund_body(period: str, **over: Any) -> dict[str, Any]:
    body = {
        "period": period,
        "currency": "USD",
        "target": "60000.00",
        "per_person_cap": "1000.00",
        "shares": [
            {"member": "CA", "share_percent": "25"},
            {"member": "MX", "share_percent": "33.5"},
            {"member": "US", "share_percent": "41.5"},
        ],
    }
    return body | over


async def funded(api: Api, period: str = "2026", received: str = "60000.00") -> str:
    assert (await api.post("/api/funds", fund_body(period))).status_code == 201
    receipt = {"member": "US", "amount": received, "on": "2026-01-10"}
    assert (await api.post(f"/api/funds/{period}/receipts", receipt)).status_code == 201
    return period


async def eligible_case(db: ServiceDatabase, period: str, ref: str, cents: int) -> uuid.UUID:
    reg = registered(period, {ref: [("transport", cents)]})
    await deliver(db, reg)
    await deliver(db, screened(uuid.UUID(reg.payload["case_id"])))
    return uuid.UUID(reg.payload["case_id"])
