"""The log's events, filtered and paged. Never personal data."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit import store
from services.audit.domain.dates import as_utc, end_of, start_of
from services.audit.schemas import EventFilter, EventRow
from services.kit.definition import Runtime


async def events(rt: Runtime, f: EventFilter) -> list[EventRow]:
    """Events in log order, filtered by case, actor, type and period; page with after_position."""
    async with rt.db(store.NAME).reading() as session:
        return await select_events(session, f)


async def select_events(session: AsyncSession, f: EventFilter) -> list[EventRow]:
    log = store.log.c
    query = select(store.log).where(log.position > f.after_position)
    if f.case_id is not None:
        query = query.where(log.case_id == f.case_id)
    if f.actor_id is not None:
        query = query.where(log.actor_id == f.actor_id)
    if f.type is not None:
        query = query.where(log.type == f.type)
    if f.date_from is not None:
        query = query.where(log.occurred_at >= start_of(f.date_from))
    if f.date_to is not None:
        query = query.where(log.occurred_at < end_of(f.date_to))
    rows = await session.execute(query.order_by(log.position).limit(f.limit))
    return [_event_row(r._mapping) for r in rows]


def _event_row(row: Any) -> EventRow:
    envelope = json.loads(row["envelope"])
    return EventRow(
        position=row["position"],
        event_id=row["event_id"],
        type=row["type"],
        version=row["version"],
        occurred_at=as_utc(row["occurred_at"]),
        actor_kind=row["actor_kind"],
        actor_id=row["actor_id"],
        actor_role=row["actor_role"],
        case_id=row["case_id"],
        correlation_id=envelope.get("correlation_id"),
        payload=envelope.get("payload", {}),
    )
