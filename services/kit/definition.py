"""What a service declares so the runtime can run it: tables, handlers, routes, jobs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import typer
from fastapi import APIRouter
from nats.js import JetStreamContext
from sqlalchemy import MetaData

from db.schema import MessagingTables
from db.uow import Clock, ServiceDatabase, UnitOfWork, utc_now
from events.envelope import Envelope
from services.kit.parts import MissingPartError, PartKey
from services.kit.settings import Settings, SettingsSection

Handler = Callable[[UnitOfWork, Envelope], Awaitable[None]]
# A handler under this key receives every event on the stream, of any type, even types
# added after the service was written (the audit log).
ANY_EVENT = "*"
T = TypeVar("T")
S = TypeVar("S", bound=SettingsSection)


@dataclass
class Runtime:
    """What the composition root (``services.runtime.composition``) hands to handlers, routes,
    jobs and commands: settings, each service's database, the one clock, and typed parts.

    The runtime's clock is every database's clock: the time a unit of work stamps on its
    events is the time the use cases and jobs read (a test's fake clock moves both)."""

    settings: Settings
    databases: dict[str, ServiceDatabase]
    clock: Clock = utc_now
    _parts: dict[PartKey[Any], Any] = field(default_factory=dict)
    _sections: dict[type[SettingsSection], SettingsSection] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for database in self.databases.values():
            database.clock = self.clock

    def db(self, service: str) -> ServiceDatabase:
        return self.databases[service]

    def part(self, key: PartKey[T]) -> T:
        """The part installed under ``key``; a wiring mistake if there is none."""
        try:
            return cast(T, self._parts[key])
        except KeyError:
            raise MissingPartError(
                f"no {key.name!r} in this runtime: the service providing it did not start "
                "(its on_start installs it), or the test did not put one"
            ) from None

    def find(self, key: PartKey[T]) -> T | None:
        return cast("T | None", self._parts.get(key))

    def put(self, key: PartKey[T], value: T) -> T:
        self._parts[key] = value
        return value

    def drop(self, key: PartKey[T]) -> None:
        self._parts.pop(key, None)

    def settings_for(self, section: type[S]) -> S:
        """A service's own settings section, read from the environment once (or the one a
        test put); ``rt.settings_for(Settings)`` is ``rt.settings``."""
        if section is Settings:
            return cast(S, self.settings)
        found = self._sections.get(section)
        if found is None:
            found = self._sections[section] = section()
        return cast(S, found)

    def put_settings(self, section: SettingsSection) -> None:
        """Use ``section`` for its class from now on (a test's values)."""
        self._sections[type(section)] = section


# The broker's JetStream context, put by the node once connected (and by a command that
# connects for its own work, e.g. ``retorno audit verify``).
JETSTREAM: PartKey[JetStreamContext] = PartKey("jetstream")


RuntimeFactory = Callable[[], Awaitable[Runtime]]


@dataclass(frozen=True)
class PeriodicJob:
    """``run(rt)`` every ``interval_seconds(rt)`` (read each time, typically from the
    service's section: ``lambda rt: rt.settings_for(AuditSettings).checkpoint_interval_seconds``)."""

    name: str
    interval_seconds: Callable[[Runtime], float]
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
    # called once at start-up, after the databases exist (e.g. to put a part in the runtime)
    on_start: Callable[[Runtime], Awaitable[None]] | None = None
    # adds the service's command groups to the root ``retorno`` app (``retorno funding ...``);
    # its commands get their runtime (databases and parts, no broker) from the factory
    cli: Callable[[typer.Typer, RuntimeFactory], None] | None = None
