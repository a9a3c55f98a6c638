"""Helpers shared by tests: open a migrated database for a service; wait for a condition."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from db.engine import make_engine
from db.migrate import upgrade_async
from db.uow import Clock, ServiceDatabase, utc_now
from services.kit.definition import ServiceDef
from services.runtime.answers import fund_not_known_yet


async def open_service_db(service: ServiceDef, url: str, clock: Clock = utc_now) -> ServiceDatabase:
    """Migrate the service's branch to head on ``url`` and return its ServiceDatabase."""
    await upgrade_async(service.name, url)
    return ServiceDatabase(service.name, make_engine(url), service.tables, clock=clock)


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 15.0) -> Any:
    """Poll ``check`` until it returns a truthy value; fail with its last value on timeout."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: Any = None
    while asyncio.get_running_loop().time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


async def register_case(
    http: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str], timeout: float = 15.0
) -> httpx.Response:
    """POST /api/cases, sent again while registration does not know the fund yet (it learns
    of a fund just created from ``funding.fund_created`` a moment later)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await http.post("/api/cases", json=body, headers=headers)
        waiting = response.status_code == 422 and fund_not_known_yet(422, response.json())
        if not waiting or asyncio.get_running_loop().time() > deadline:
            return response
        await asyncio.sleep(0.1)
