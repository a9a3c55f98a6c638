"""Reading what the registration service stored and emitted."""

from __future__ import annotations

from sqlalchemy import func, select

from db.uow import ServiceDatabase
from events.envelope import Actor, Envelope, new_envelope
from events.funding import FundCreated, MemberShare
from services.kit.settings import Settings
from services.registration import store
from services.registration.service import SERVICE
from tests.support import db_outbox, db_parked, deliver, make_runtime

# What registration emitted and what its runner parked: the harness's readers (tests.support).
outbox = db_outbox
parked = db_parked


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
    """Registration's consumer applies one event through the real inbox path
    (``tests.support.deliver``: dedup, parking, release)."""
    await deliver(make_runtime(Settings(), {"registration": db}, clock=db.clock), SERVICE, envelope)


async def funds_known(db: ServiceDatabase, *periods: str, currency: str = "USD") -> None:
    """Registration learns of a fund per period through its handler of fund_created."""
    for period in periods:
        await apply(db, fund_created(period, currency))
