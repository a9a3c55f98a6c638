"""A reintegration runtime on a real database (SQLite, and PostgreSQL when configured), the
real HTTP app, a fake vault, a frozen clock, and registration's events delivered through the
service's own handlers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from db.uow import ServiceDatabase
from events.envelope import Actor, Envelope, new_envelope
from events.registration import CaseArrived, PersonFacts, ReturnRegistered
from services.edge.app import create_app
from services.kit.definition import Runtime
from services.kit.identity import AUTHENTICATOR, Principal, StaticAuthenticator
from services.kit.settings import Settings
from services.kit.vault import VAULT
from services.reintegration import store
from services.reintegration.service import SERVICE
from services.runtime.composition import build_runtime, start_services
from tests.integration.registration.fakes import FakeVault
from tests.support import open_service_db

USERS = {
    "cw": Principal("u-cw", "caseworker", frozenset({"MX-TAP"})),
    "cw-other": Principal("u-cw2", "caseworker", frozenset({"GT-GUA"})),
    "sup": Principal("u-sup", "supervisor", frozenset({"MX-TAP", "GT-GUA"})),
    "auditor": Principal("u-aud", "auditor"),
    "evaluator": Principal("u-ev", "evaluator"),
}
ARRIVED = date(2026, 1, 15)


@dataclass
class FakeClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def on(self, day: date) -> None:
        self.now = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 1, 20, 10, tzinfo=UTC))


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[ServiceDatabase]:
    database = await open_service_db(SERVICE, database_url)
    yield database
    await database.engine.dispose()


@dataclass
class ConsentVault(FakeVault):
    """The registration tests' fake vault, answering consent questions from its log (the
    person's latest decision for a purpose), and counting what was asked."""

    asked: list[tuple[str, str]] = field(default_factory=list)

    async def has_consent(self, person_ref: str, purpose: str, partner: str | None = None) -> bool:
        self.asked.append((person_ref, purpose))
        if person_ref in self.erased:
            return False
        decisions = [c for c in self.consent_log.get(person_ref, []) if c.purpose == purpose]
        return bool(decisions) and decisions[-1].granted


@pytest.fixture
def vault() -> ConsentVault:
    return ConsentVault()


@pytest.fixture
async def runtime(
    db: ServiceDatabase, vault: ConsentVault, clock: FakeClock, tmp_path: Path
) -> Runtime:
    rt = build_runtime(
        Settings(data_dir=tmp_path), [SERVICE], clock=clock, databases={SERVICE.name: db}
    )
    await start_services(rt, [SERVICE])
    rt.put(VAULT, vault)
    rt.put(AUTHENTICATOR, StaticAuthenticator(USERS))
    return rt


class Client:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def post(self, user: str, url: str, json: Any) -> httpx.Response:
        return await self.http.post(url, json=json, headers={"Authorization": f"Bearer {user}"})

    async def get(self, user: str, url: str, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {user}"}
        return await self.http.get(url, params=params, headers=headers)


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[Client]:
    app = create_app(runtime, [SERVICE])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Client(http)


def new_ref() -> str:
    return f"p_{uuid.uuid4().hex}"


def registered(case_id: uuid.UUID, people: list[str], office: str = "MX-TAP") -> Envelope:
    payload = ReturnRegistered(
        case_id=case_id,
        fund_period="2026",
        office=office,
        requester_type="civil_society_organisation",
        departure_country="MX",
        destination_country="GT",
        registered_on=date(2025, 12, 1),
        people=[
            PersonFacts(
                person_ref=ref,
                sex="female",
                age_years=30,
                age_band="18-59",
                nationality="GT",
                vulnerability_categories=[],
            )
            for ref in people
        ],
    )
    return new_envelope(payload, actor=Actor.service("registration"))


def arrived(case_id: uuid.UUID, on: date = ARRIVED, office: str = "MX-TAP") -> Envelope:
    payload = CaseArrived(
        case_id=case_id, office=office, from_status="departed", to_status="arrived", arrived_on=on
    )
    return new_envelope(payload, actor=Actor.service("registration"))


async def deliver(rt: Runtime, envelope: Envelope) -> None:
    """Apply one event with the service's own handler in a committed unit, as its runner."""
    handle = SERVICE.handlers(rt)[envelope.type]
    async with rt.db(SERVICE.name).unit_of_work(cause=envelope) as uow:
        await handle(uow, envelope)
        await uow.commit()


async def outbox(db: ServiceDatabase) -> list[Envelope]:
    async with db.reading() as session:
        rows = await session.execute(select(store.messaging.outbox.c.body).order_by("seq"))
        return [Envelope.from_bytes(body) for (body,) in rows]


async def arrive(
    rt: Runtime,
    vault: ConsentVault,
    *,
    people: int = 1,
    office: str = "MX-TAP",
    on: date = ARRIVED,
    consent: bool = True,
) -> list[str]:
    """A registered case arrives: returns the plan ids (one per person)."""
    case_id = uuid.uuid4()
    refs = [new_ref() for _ in range(people)]
    await deliver(rt, registered(case_id, refs, office))
    await deliver(rt, arrived(case_id, on, office))
    for ref in refs:
        await vault.record_consent(ref, "follow_up_contact", consent, recorded_by="u-cw")
    async with rt.db(SERVICE.name).reading() as session:
        rows = await session.execute(
            select(store.plans.c.plan_id, store.plans.c.person_ref).where(
                store.plans.c.case_id == case_id
            )
        )
        by_ref = {ref: str(plan_id) for plan_id, ref in rows}
    return [by_ref[ref] for ref in refs]


ALL_ANSWERS = {
    "income_source": "regular",
    "employment_access": "with_difficulty",
    "debt": "never",
    "food_security": "sometimes",
    "economic_satisfaction": "neutral",
    "housing": "good",
    "education_access": "no_children",
    "documentation": "all",
    "health_access": "yes",
    "safe_water": "yes",
    "support_network": "few",
    "community_participation": "sometimes",
    "physical_safety": "mostly",
    "discrimination": "never",
    "wellbeing": "sometimes",
}


def reached(on: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "on": on,
        "method": "call",
        "outcome": "reached",
        "residence": "same_community",
        "remigration_intention": "none",
    }
    body.update(extra)
    return body
