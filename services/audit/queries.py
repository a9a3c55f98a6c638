"""Read-only queries over the log and the case read models. Never personal data."""

from __future__ import annotations

import json
import statistics
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit import store
from services.kit.errors import InvalidInputError

MAX_EVENTS = 1000


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def end_of(day: date) -> datetime:
    """Exclusive end of an inclusive last day."""
    if day >= date.max:
        return datetime.max.replace(tzinfo=UTC)
    return start_of(day + timedelta(days=1))


class EventFilter(BaseModel):
    case_id: uuid.UUID | None = None
    actor_id: str | None = None
    type: str | None = None
    date_from: date | None = None
    date_to: date | None = Field(default=None, description="Inclusive")
    after_position: int = Field(default=0, ge=0, le=2**62)
    limit: int = Field(default=100, ge=1, le=MAX_EVENTS)


class EventRow(BaseModel):
    position: int
    event_id: uuid.UUID
    type: str
    version: int
    occurred_at: datetime
    actor_kind: str
    actor_id: str
    actor_role: str | None
    case_id: uuid.UUID | None
    correlation_id: str | None
    payload: dict[str, Any]


async def events(session: AsyncSession, f: EventFilter) -> list[EventRow]:
    """Events in log order, filtered by case, actor, type and period; page with after_position."""
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


CaseDimension = Literal["office", "category"]


class StageRow(BaseModel):
    """Stays of cases in one stage (optionally per office or vulnerability category)."""

    stage: str
    group: str | None = Field(description="Office or vulnerability category, when grouped")
    cases_entered: int
    cases_now: int = Field(description="Cases in this stage now (their stay has not ended)")
    stays_completed: int
    mean_days: float | None
    median_days: float | None
    max_days: float | None


async def case_stages(
    session: AsyncSession,
    by: CaseDimension | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[StageRow]:
    """Case counts and time spent per stage; a stay counts if it began in the period."""
    stages = store.case_stages.c
    group_col: Any = None
    if by == "office":
        group_col = stages.office
    elif by == "category":
        group_col = func.coalesce(store.case_categories.c.category, "none")
    elif by is not None:
        raise InvalidInputError(f"cannot group cases by {by!r}; use 'office' or 'category'")
    columns = [stages.case_id, stages.stage, stages.entered_at, stages.left_at]
    query: Select[Any] = select(*columns, *([group_col] if group_col is not None else []))
    if by == "category":
        query = query.select_from(
            store.case_stages.outerjoin(
                store.case_categories, store.case_categories.c.case_id == stages.case_id
            )
        )
    if date_from is not None:
        query = query.where(stages.entered_at >= start_of(date_from))
    if date_to is not None:
        query = query.where(stages.entered_at < end_of(date_to))
    buckets: dict[tuple[str, str | None], list[Any]] = defaultdict(list)
    for row in await session.execute(query):
        group = str(row[4]) if group_col is not None else None
        buckets[(row.stage, group)].append(row)
    return [
        _stage_row(stage, group, rows) for (stage, group), rows in sorted(buckets.items(), key=_key)
    ]


def _key(item: tuple[tuple[str, str | None], list[Any]]) -> tuple[str, str]:
    (stage, group), _ = item
    return (stage, group or "")


def _stage_row(stage: str, group: str | None, rows: list[Any]) -> StageRow:
    days = [
        (r.left_at - r.entered_at).total_seconds() / 86400 for r in rows if r.left_at is not None
    ]
    return StageRow(
        stage=stage,
        group=group,
        cases_entered=len({r.case_id for r in rows}),
        cases_now=len({r.case_id for r in rows if r.left_at is None}),
        stays_completed=len(days),
        mean_days=round(statistics.fmean(days), 2) if days else None,
        median_days=round(statistics.median(days), 2) if days else None,
        max_days=round(max(days), 2) if days else None,
    )
