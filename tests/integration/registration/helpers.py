"""Reading what the registration service stored and emitted."""

from __future__ import annotations

from sqlalchemy import func, select

from db.uow import ServiceDatabase
from events.envelope import Actor, Envelope, new_envelope
from events.funding import FundCreated, MemberShare
from services.kit.definition import Runtime
from services.kit.settings import Settings
from services.registration import store
from services.registration.handlers import handlers


async def outbox(db: ServiceDatabase) -> list[Envelope]:
    async with db.sessions() as session:
        rows = await session.execute(select(store.messaging.outbox.c.body).order_by("seq"))
        return [Envelope.from_bytes(body) for (body,) in rows]


async def counts(db: ServiceDatabase) -> dict[str, int]:
    tables = (store.cases, store.people, store.personal_data, store.cost_lines, store.transitions)
    found = {}
    async with db.sessions() as session:
        for table in (*tables, store.messaging.outbox):
            found[table.name] = (
                await session.execute(select(func.count()).select_from(table))
            ).scalar_one()
    return found


def fund_created(period: str, currency: str = "USD") -> Envelope:
    created = FundCreated(
        period=period,
        currency=currency,
        per_person_cap_cents=100_000,
        target_cents=6_000_000,
        shares=[MemberShare(member="CA", share_percent="100", expected_cents=6_000_000)],
    )
    return new_envelope(created, actor=Actor.service("funding"))


async def apply(db: ServiceDatabase, envelope: Envelope) -> None:
    """Registration's own handler applies one event in a committed unit, as its consumer."""
    handle = handlers(Runtime(Settings(), {"registration": db}))[envelope.type]
    async with db.unit_of_work(cause=envelope) as uow:
        await handle(uow, envelope)
        await uow.commit()


async def funds_known(db: ServiceDatabase, *periods: str, currency: str = "USD") -> None:
    """Registration learns of a fund per period through its handler of fund_created."""
    for period in periods:
        await apply(db, fund_created(period, currency))
