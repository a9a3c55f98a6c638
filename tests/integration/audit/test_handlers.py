"""Handlers read payloads defensively: new fields are fine, a broken payload is still chained."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from benchmarks.audit_scenario import Scenario, at, move, register
from db.uow import ServiceDatabase
from events.envelope import Actor, Envelope
from events.registration import CaseScreened
from services.audit import store
from services.audit.handlers import handlers
from services.audit.usecases.verify import verify_log
from services.kit.definition import ANY_EVENT, Runtime
from services.kit.errors import WaitingForEvent
from tests.integration.audit.feeding import feed


def envelope(type_: str, payload: dict) -> Envelope:  # type: ignore[type-arg]
    return Envelope(
        event_id=uuid.uuid4(),
        type=type_,
        version=1,
        occurred_at=datetime(2026, 5, 1, tzinfo=UTC),
        actor=Actor.service("funding"),
        correlation_id=uuid.uuid4(),
        payload=payload,
    )


async def count(db: ServiceDatabase, table) -> int:  # type: ignore[no-untyped-def]
    async with db.sessions() as session:
        return (await session.execute(select(func.count()).select_from(table))).scalar_one()


def test_one_handler_serves_every_event_on_the_stream(rt: Runtime) -> None:
    mapping = handlers(rt)

    assert list(mapping) == [ANY_EVENT]


async def test_a_payload_with_an_added_field_is_still_projected(db: ServiceDatabase) -> None:
    payload = {
        "period": "2026-A",
        "member": "CA",
        "amount_cents": 500,
        "on": str(date(2026, 5, 1)),
        "receipt_channel": "bank",
    }

    await feed(db, envelope("funding.contribution_received", payload))

    assert await count(db, store.contributions) == 1


async def test_a_broken_payload_is_chained_but_left_out_of_the_read_models(
    rt: Runtime, db: ServiceDatabase
) -> None:
    broken = envelope("funding.disbursement_made", {"disbursement_id": "not-a-uuid"})
    fine = envelope(
        "funding.contribution_received",
        {"period": "2026-A", "member": "CA", "amount_cents": 1, "on": "2026-05-01"},
    )

    await feed(db, broken, fine)

    assert await count(db, store.log) == 2
    assert await count(db, store.disbursements) == 0
    assert await count(db, store.contributions) == 1
    assert (await verify_log(rt)).intact


async def test_a_redelivered_event_is_appended_and_projected_once(db: ServiceDatabase) -> None:
    event = envelope(
        "funding.contribution_received",
        {"period": "2026-A", "member": "MX", "amount_cents": 7, "on": "2026-05-01"},
    )

    await feed(db, event)
    await feed(db, event, event)

    assert await count(db, store.log) == 1
    assert await count(db, store.contributions) == 1


async def test_a_batch_in_one_unit_of_work_chains_each_event_once_in_order(rt: Runtime) -> None:
    db = rt.db("audit")
    first, second, third = (envelope("future.thing_happened", {"n": n}) for n in range(3))
    await feed(db, first)

    await feed(db, second, third, second, first)  # a batch with a repeat and an old event

    async with db.reading() as session:
        rows = (
            await session.execute(
                select(store.log.c.position, store.log.c.event_id).order_by(store.log.c.position)
            )
        ).all()
    assert [(p, e) for p, e in rows] == [
        (1, first.event_id),
        (2, second.event_id),
        (3, third.event_id),
    ]
    verified = await verify_log(rt)
    assert verified.intact and verified.chain.head_position == 3


async def test_a_transition_before_its_registration_waits_and_leaves_nothing_behind(
    db: ServiceDatabase,
) -> None:
    """After a crash audit may receive a case's screening before its registration: the event
    waits (the runner parks it) instead of leaving a stage without its case."""
    s = Scenario()
    register(s, "late", "2026", "GT-GUA", "HN", {"ana": ["woman_at_risk"]}, at(3, 1))
    move(s, "late", CaseScreened, "GT-GUA", "registered", "eligible", at(3, 2), eligible=True)
    registration, screening = s.envelopes

    with pytest.raises(WaitingForEvent) as waiting:
        await feed(db, screening)
    assert waiting.value.key == f"case_id:{s.cases['late']}"
    assert await count(db, store.log) == 0 and await count(db, store.case_stages) == 0

    await feed(db, registration)
    await feed(db, screening)  # the runner applies it right after the registration
    async with db.sessions() as session:
        status = await session.scalar(
            select(store.cases.c.status).where(store.cases.c.case_id == s.cases["late"])
        )
    assert status == "eligible"
    assert await count(db, store.case_stages) == 2
