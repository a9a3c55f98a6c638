"""What a service declares so the runtime can run it: tables, handlers, routes, jobs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter
from sqlalchemy import MetaData

from db.schema import MessagingTables
from db.uow import Clock, ServiceDatabase, UnitOfWork, utc_now
from events.envelope import Envelope
from services.kit.settings import Settings

Handler = Callable[[UnitOfWork, Envelope], Awaitable[None]]
# A handler under this key receives every event on the stream, of any type, even types
# added after the service was written (the audit log).
ANY_EVENT = "*"


@dataclass
class Runtime:
    """The composition root's parts, handed to handlers, routes and jobs."""

    settings: Settings
    databases: dict[str, ServiceDatabase]
    clock: Clock = utc_now
    parts: dict[str, Any] = field(default_factory=dict)

    def db(self, service: str) -> ServiceDatabase:
        return self.databases[service]


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    interval_seconds: Callable[[Settings], float]
    run: Callable[[Runtime], Awaitable[None]]


@dataclass(frozen=True)
class ServiceDef:
    name: str
    metadata: MetaData
    tables: MessagingTables
    # event type name ("registration.return_registered") -> handler
    handlers: Callable[[Runtime], Mapping[str, Handler]] = lambda _rt: {}
    router: Callable[[], APIRouter] | None = None
    periodic: tuple[PeriodicJob, ...] = ()
    # called once at start-up, after the databases exist (e.g. to put a part in runtime.parts)
    on_start: Callable[[Runtime], Awaitable[None]] | None = None
