"""The one test harness (``docs/CONVENTIONS.md``, "Tests").

- ``open_service_db(SERVICE, url)``: migrate a service's branch and return its database.
- ``make_runtime(settings, databases, ...)``: a runtime built by the composition root, with a
  test's vault and fixed tokens when given; ``open_runtime(settings, services, ...)`` also
  migrates every service's database and runs their ``on_start`` (the whole system, no broker).
- ``make_app(rt, services)``: the real HTTP app (``services.edge.app.create_app``: real auth,
  real problem details) with fixed test tokens (``TOKENS``, one per role).
- ``api_routes(app)``, ``requirements(dependant)``: the app's routes (through included
  routers) and the ``require(...)`` guards of one, for tests of what a route demands.
- ``ActingAs(rt, principal)``: an httpx auth sending each request as a principal a test
  picks (and changes) on the fly.
- ``FakeClock``: the one clock of a runtime, moved by the test.
- ``deliver(rt, SERVICE, envelope)``: apply an event through the real inbox path of the
  event runner (dedup, handler, parking), without a broker.
- ``InProcessFlow(rt, services)``: carry every committed event to the services that handle
  it, as the broker would, until nothing new is left (cross-service flows without NATS).
- ``outbox(rt, service)``, ``parked(rt, service)``: what a service emitted and what its runner
  parked (``db_outbox(db)``, ``db_parked(db)`` for a test that holds the database).
- ``eventually(check)``: poll until a condition holds; ``table_names(url)``: the tables there.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import inspect, select

from db.engine import make_engine
from db.migrate import upgrade_async
from db.uow import Clock, ServiceDatabase, utc_now
from events.envelope import Envelope
from events.registration import PersonFacts
from services.edge.app import create_app
from services.kit.definition import Runtime, ServiceDef
from services.kit.identity import AUTHENTICATOR, Principal, StaticAuthenticator
from services.kit.routes import Requirement
from services.kit.settings import Settings
from services.kit.vault import VAULT, Vault
from services.runtime.answers import fund_not_known_yet
from services.runtime.composition import build_runtime, close_runtime, start_services
from services.runtime.consumer import EventRunner

OFFICE = "OFFICE-A"

TOKENS: Mapping[str, Principal] = {
    "caseworker": Principal("u-caseworker", "caseworker", frozenset({OFFICE})),
    "supervisor": Principal("u-supervisor", "supervisor", frozenset({OFFICE})),
    "auditor": Principal("u-auditor", "auditor"),
    "evaluator": Principal("u-evaluator", "evaluator"),
    "data_protection_officer": Principal("u-dpo", "data_protection_officer"),
    "admin": Principal("u-admin", "admin"),
}
"""The fixed tokens of ``make_app``: the token is the role's name (``Bearer caseworker``)."""


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class FakeClock:
    """A timezone-aware UTC clock that only moves when the test says so."""

    now: datetime = field(default_factory=lambda: datetime(2030, 1, 15, 9, 0, tzinfo=UTC))

    def __post_init__(self) -> None:
        if self.now.utcoffset() != timedelta(0):
            raise ValueError("FakeClock keeps UTC: give it an aware datetime in UTC")

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move forward by ``delta`` or ``timedelta(**parts)`` (``advance(hours=2)``)."""
        self.now += (delta or timedelta()) + timedelta(**parts)
        return self.now


async def table_names(url: str) -> set[str]:
    """The tables in the database at ``url`` now (for migration tests)."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def open_service_db(service: ServiceDef, url: str, clock: Clock = utc_now) -> ServiceDatabase:
    """Migrate the service's branch to head on ``url`` and return its ServiceDatabase."""
    await upgrade_async(service.name, url)
    return ServiceDatabase(service.name, make_engine(url), service.tables, clock=clock)


def make_runtime(
    settings: Settings,
    databases: Mapping[str, ServiceDatabase],
    *,
    clock: Clock = utc_now,
    vault: Vault | None = None,
    tokens: Mapping[str, Principal] | None = None,
) -> Runtime:
    """A runtime over migrated ``databases``, built by the composition root; ``vault`` is put
    under ``VAULT`` and ``tokens`` as a ``StaticAuthenticator``, when given."""
    rt = build_runtime(settings, [], clock=clock, databases=databases)
    _put_test_parts(rt, vault, tokens)
    return rt


async def open_runtime(
    settings: Settings,
    services: Sequence[ServiceDef],
    *,
    clock: Clock = utc_now,
    vault: Vault | None = None,
    tokens: Mapping[str, Principal] | None = None,
) -> Runtime:
    """Every service's database (from ``settings``) migrated, the runtime built and started
    (each ``on_start``: privacy's vault, the users service's authenticator), then the test's
    ``vault``/``tokens`` put over them when given. Close it with ``close_runtime``."""
    databases = {
        s.name: await open_service_db(s, settings.database_url_for(s.name)) for s in services
    }
    rt = build_runtime(settings, services, clock=clock, databases=databases)
    await start_services(rt, services)
    _put_test_parts(rt, vault, tokens)
    return rt


def _put_test_parts(
    rt: Runtime, vault: Vault | None, tokens: Mapping[str, Principal] | None
) -> None:
    if vault is not None:
        rt.put(VAULT, vault)
    if tokens is not None:
        rt.put(AUTHENTICATOR, StaticAuthenticator(tokens))


def make_app(
    rt: Runtime,
    services: Sequence[ServiceDef],
    *,
    tokens: Mapping[str, Principal] | None = TOKENS,
    **options: Any,
) -> FastAPI:
    """The real app over ``services``' routers (``create_app``: auth, problem details, body
    limits). ``tokens`` become the runtime's authenticator; ``tokens=None`` keeps the one it
    has (the users service's real tokens, after ``start_services``). ``options`` go to
    ``create_app`` (``max_body_bytes``, ``health``)."""
    if tokens is not None:
        rt.put(AUTHENTICATOR, StaticAuthenticator(tokens))
    return create_app(rt, services, **options)


def api_routes(app: FastAPI) -> list[tuple[str, set[str], APIRoute]]:
    """(full path, methods, route) of every APIRoute of ``app``, through included routers."""
    try:
        from fastapi.routing import iter_route_contexts  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # FastAPI before routers were nested
        return [(r.path, set(r.methods), r) for r in app.routes if isinstance(r, APIRoute)]
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            found.append((context.path or route.path, set(context.methods or ()), route))
    return found


def requirements(dependant: Dependant) -> list[Requirement]:
    """The ``require(...)`` guards a route depends on, directly or through its dependencies."""
    found = [d.call for d in dependant.dependencies if isinstance(d.call, Requirement)]
    for sub in dependant.dependencies:
        found.extend(requirements(sub))
    return found


class ActingAs(httpx.Auth):
    """Send every request of a ``client`` as ``principal`` (change it between requests): a
    token for it is given to the runtime's ``StaticAuthenticator`` (``make_app``'s) on use.
    ``http.auth = ActingAs(rt, principal)``."""

    def __init__(self, rt: Runtime, principal: Principal) -> None:
        authenticator = rt.part(AUTHENTICATOR)
        if not isinstance(authenticator, StaticAuthenticator):
            raise TypeError("ActingAs needs make_app's fixed tokens (a StaticAuthenticator)")
        self.authenticator = authenticator
        self.principal = principal

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        p = self.principal
        token = f"as:{p.user_id}:{p.role}:{','.join(sorted(p.offices))}"
        self.authenticator.tokens[token] = p
        request.headers["Authorization"] = f"Bearer {token}"
        yield request


def client(app: FastAPI) -> httpx.AsyncClient:
    """An HTTP client on ``app`` in process (use as ``async with client(app) as http``)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test")


def event_runner(rt: Runtime, service: ServiceDef) -> EventRunner:
    """The service's event runner without a broker, as the node builds it."""
    s = rt.settings
    return EventRunner(
        rt.db(service.name),
        service.handlers(rt),
        None,
        max_deliver=s.max_deliver,
        parked_retry_seconds=s.parked_retry_seconds,
        parked_max_seconds=s.parked_max_hours * 3600,
    )


async def deliver(rt: Runtime, service: ServiceDef, *envelopes: Envelope) -> None:
    """Apply ``envelopes`` to ``service`` as deliveries of the broker would be: inbox dedup,
    the handler in the runner's unit of work, parking of an early event (``EventRunner.apply``).
    """
    await event_runner(rt, service).apply(envelopes)


async def outbox(rt: Runtime, service: str) -> list[Envelope]:
    """Every event the service committed to its outbox, in order."""
    return await db_outbox(rt.db(service))


async def db_outbox(db: ServiceDatabase) -> list[Envelope]:
    """``outbox`` of one service's database (for a test that holds the database)."""
    table = db.tables.outbox
    async with db.reading() as session:
        rows = await session.execute(select(table.c.body).order_by(table.c.seq))
        return [Envelope.from_bytes(body) for body in rows.scalars()]


async def parked(rt: Runtime, service: str) -> list[tuple[str, str]]:
    """The events the service's runner parked (``deliver`` of an early event), as
    ``(type, awaited key)``, oldest first."""
    return await db_parked(rt.db(service))


async def db_parked(db: ServiceDatabase) -> list[tuple[str, str]]:
    """``parked`` of one service's database."""
    table = db.tables.parked
    async with db.reading() as session:
        rows = await session.execute(
            select(table.c.type, table.c.wait_key).order_by(table.c.parked_at)
        )
        return [(row.type, row.wait_key) for row in rows]


class InProcessFlow:
    """The broker in process: ``await flow.run()`` delivers every event in the services'
    outboxes to each service that handles its type (``deliver``'s path, one runner per
    service, so parked events are released as on the broker), again and again until no
    event is new. For flows across services in a test, fast and without NATS."""

    def __init__(self, rt: Runtime, services: Sequence[ServiceDef]) -> None:
        self.rt = rt
        self.services = list(services)
        self.runners = {
            s.name: runner
            for s in self.services
            if (runner := event_runner(rt, s)).handlers  # a service with no handler hears none
        }
        self.delivered: set[tuple[str, uuid.UUID]] = set()

    def _wants(self, runner: EventRunner, envelope: Envelope) -> bool:
        return any(s in ("retorno.>", envelope.subject) for s in runner.subjects)

    async def run(self, *, max_rounds: int = 100) -> int:
        """Deliver until quiet; returns how many deliveries were made."""
        made = 0
        for _ in range(max_rounds):
            moved = 0
            for source in self.services:
                for envelope in await outbox(self.rt, source.name):
                    for name, runner in self.runners.items():
                        key = (name, envelope.event_id)
                        if key in self.delivered or not self._wants(runner, envelope):
                            continue
                        self.delivered.add(key)
                        await runner.apply([envelope])
                        moved += 1
            if not moved:
                return made
            made += moved
        raise AssertionError(f"events still flowing after {max_rounds} rounds: a loop?")


def person_facts(person_ref: str, **changes: Any) -> PersonFacts:
    """One person of a ``registration.return_registered`` event (no personal data), made up."""
    values: dict[str, Any] = {
        "person_ref": person_ref,
        "sex": "female",
        "age_years": 30,
        "age_band": "18-59",
        "nationality": "GT",
        "vulnerability_categories": ["woman_at_risk"],
    }
    values.update(changes)
    return PersonFacts(**values)


def person_request(**changes: Any) -> dict[str, Any]:
    """One person of a case registration (``POST /api/cases``), made up, with ``changes``."""
    person: dict[str, Any] = {
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
    person.update(changes)
    return person


def case_request(
    office: str = OFFICE, fund_period: str | None = None, **changes: Any
) -> dict[str, Any]:
    """A valid ``POST /api/cases`` body: one person returning from MX to GT, USD 250 of
    transport (``fund_period`` defaults to registration's current one)."""
    body: dict[str, Any] = {
        "requester": {"type": "civil_society_organisation", "name": "Casa del Migrante"},
        "office": office,
        "people": [person_request()],
        "departure_country": "MX",
        "destination_country": "GT",
        "requested": [
            {"person": 0, "category": "transport", "amount": "250.00", "currency": "USD"}
        ],
    }
    if fund_period is not None:
        body["fund_period"] = fund_period
    body.update(changes)
    return body


def fund_request(period: str, target: str = "60000.00") -> dict[str, Any]:
    """A valid ``POST /api/funds`` body: a USD fund with one member (CA, 100 %)."""
    return {
        "period": period,
        "currency": "USD",
        "target": target,
        "shares": [{"member": "CA", "share_percent": "100"}],
    }


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


__all__ = [
    "OFFICE",
    "ActingAs",
    "TOKENS",
    "FakeClock",
    "InProcessFlow",
    "api_routes",
    "bearer",
    "case_request",
    "client",
    "close_runtime",
    "db_outbox",
    "db_parked",
    "deliver",
    "event_runner",
    "eventually",
    "fund_request",
    "make_app",
    "make_runtime",
    "open_runtime",
    "open_service_db",
    "outbox",
    "parked",
    "person_facts",
    "person_request",
    "register_case",
    "table_names",
    "requirements",
]
