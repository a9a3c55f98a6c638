"""The composition root: the one place a ``Runtime`` is built, for the node, the command line
and the tests alike.

``build_runtime`` opens each service's database (its own URL and credentials, from
``Settings.database_url_for``) with the one clock; ``start_services`` runs each service's
``on_start`` (privacy installs the vault, the users service the authenticator). The node
then adds the broker; a command that runs and exits does without (its events wait in the
outbox until the owning service's relay runs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from db.engine import make_engine
from db.uow import Clock, ServiceDatabase, utc_now
from services.kit.definition import Runtime, ServiceDef
from services.kit.settings import Settings


def open_database(settings: Settings, service: ServiceDef) -> ServiceDatabase:
    return ServiceDatabase(
        service.name,
        make_engine(
            settings.database_url_for(service.name),
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        ),
        service.tables,
    )


def build_runtime(
    settings: Settings,
    services: Sequence[ServiceDef],
    *,
    clock: Clock = utc_now,
    databases: Mapping[str, ServiceDatabase] | None = None,
) -> Runtime:
    """A runtime over ``services``: their databases (``databases`` given, e.g. by a test that
    migrated them, or opened from settings) and the clock every one of them stamps with."""
    given = dict(databases or {})
    opened = {
        s.name: given.pop(s.name) if s.name in given else open_database(settings, s)
        for s in services
    }
    opened.update(given)
    return Runtime(settings, opened, clock=clock)


async def start_services(rt: Runtime, services: Sequence[ServiceDef]) -> None:
    """Run each service's ``on_start``, in start-up order (privacy first: others use its vault)."""
    for service in services:
        if service.on_start is not None:
            await service.on_start(rt)


async def close_runtime(rt: Runtime) -> None:
    for database in rt.databases.values():
        await database.engine.dispose()
