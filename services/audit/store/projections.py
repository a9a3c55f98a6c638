"""The SQL of the read models the audit handlers build from events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit import store

Rows = Sequence[dict[str, Any]]


async def add_case(session: AsyncSession, case: dict[str, Any], categories: Sequence[str]) -> None:
    await session.execute(insert(store.cases), [case])
    await _add_categories(session, case["case_id"], categories)


async def move_case(
    session: AsyncSession, case_id: uuid.UUID, stage: str, office: str, at: datetime
) -> bool:
    """The case's new status, and its current stay in a stage ended; False if no such case."""
    moved = await session.execute(
        update(store.cases)
        .where(store.cases.c.case_id == case_id)
        .values(status=stage, status_at=at, office=office)
    )
    if getattr(moved, "rowcount", 0) == 0:
        return False
    await session.execute(
        update(store.case_stages)
        .where(store.case_stages.c.case_id == case_id, store.case_stages.c.left_at.is_(None))
        .values(left_at=at)
    )
    return True


async def correct_case(
    session: AsyncSession, case_id: uuid.UUID, facts: dict[str, Any], categories: Sequence[str]
) -> bool:
    """The case's facts and categories as they are now; False if no such case."""
    corrected = await session.execute(
        update(store.cases).where(store.cases.c.case_id == case_id).values(**facts)
    )
    if getattr(corrected, "rowcount", 0) == 0:
        return False
    await session.execute(
        delete(store.case_categories).where(store.case_categories.c.case_id == case_id)
    )
    await _add_categories(session, case_id, categories)
    return True


async def _add_categories(
    session: AsyncSession, case_id: uuid.UUID, categories: Sequence[str]
) -> None:
    if categories:
        await session.execute(
            insert(store.case_categories), [{"case_id": case_id, "category": c} for c in categories]
        )


async def enter_stage(session: AsyncSession, stay: dict[str, Any]) -> None:
    await session.execute(insert(store.case_stages), [stay])


async def add_fund(session: AsyncSession, fund: dict[str, Any], shares: Rows) -> None:
    await session.execute(insert(store.funds), [fund])
    if shares:
        await session.execute(insert(store.fund_shares), list(shares))


async def add_contribution(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(store.contributions), [row])


async def add_commitment(session: AsyncSession, commitment: dict[str, Any], lines: Rows) -> None:
    await session.execute(insert(store.commitments), [commitment])
    if lines:
        await session.execute(insert(store.commitment_lines), list(lines))


async def add_release(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(store.releases), [row])


async def add_payment(session: AsyncSession, payment: dict[str, Any], parts: Rows) -> None:
    await session.execute(insert(store.disbursements), [payment])
    if parts:
        await session.execute(insert(store.attributions), list(parts))
