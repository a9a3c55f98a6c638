"""Helpers shared by tests: open a migrated database for a service; wait for a condition."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from db.engine import make_engine
from db.migrate import upgrade_async
from db.uow import Clock, ServiceDatabase, utc_now
from services.kit.definition import ServiceDef


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
