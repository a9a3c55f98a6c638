"""Helpers shared by tests: open a migrated database for a service."""

from __future__ import annotations

from db.engine import make_engine
from db.migrate import upgrade_async
from db.uow import Clock, ServiceDatabase, utc_now
from services.kit.definition import ServiceDef


async def open_service_db(service: ServiceDef, url: str, clock: Clock = utc_now) -> ServiceDatabase:
    """Migrate the service's branch to head on ``url`` and return its ServiceDatabase."""
    await upgrade_async(service.name, url)
    return ServiceDatabase(service.name, make_engine(url), service.tables, clock=clock)
