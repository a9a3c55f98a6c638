"""Cases by stage: how many entered each stage in a period and how long they stayed."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit import store
from services.audit.domain import UnknownCaseGroupingError
from services.audit.domain.dates import end_of, start_of
from services.audit.schemas import CaseDimension, StageRow
from services.kit.definition import Runtime


async def case_stages(
    rt: Runtime,
    by: CaseDimension | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[StageRow]:
    """Case counts and time spent per stage; a stay counts if it began in the period."""
    async with rt.db(store.NAME).reading() as session:
        return await select_stages(session, by, date_from, date_to)


async def select_stages(
    session: AsyncSession,
    by: CaseDimension | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[StageRow]:
    stages = store.case_stages.c
    group_col: Any = None
    if by == "office":
        group_col = stages.office
    elif by == "category":
        group_col = func.coalesce(store.case_categories.c.category, "none")
    elif by is not None:
        raise UnknownCaseGroupingError(f"cannot group cases by {by!r}; use 'office' or 'category'")
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
