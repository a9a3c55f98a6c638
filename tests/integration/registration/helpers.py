"""Reading what the registration service stored and emitted."""

from __future__ import annotations

from sqlalchemy import func, select

from db.uow import ServiceDatabase
from events.envelope import Envelope
from services.registration import store


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
