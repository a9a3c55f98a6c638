"""What privacy knows of cases, from registration events: who belongs to which case, the
case's office (for office scoping), and when it ended (for the retention schedule)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from privacy.store import case_people, cases, data_keys, insert_ignoring_duplicates
from privacy.store.datakeys import is_erased, key_row


async def person_offices(session: AsyncSession, person_ref: str) -> set[str]:
    query = (
        select(cases.c.office)
        .join(case_people, case_people.c.case_id == cases.c.case_id)
        .where(case_people.c.person_ref == person_ref, cases.c.office.is_not(None))
        .distinct()
    )
    return {str(o) for o in (await session.execute(query)).scalars()}


async def is_known(session: AsyncSession, person_ref: str) -> bool:
    """Whether privacy holds anything about the person: a key, an erasure, or a case."""
    if await key_row(session, person_ref) is not None:
        return True
    if await is_erased(session, person_ref):
        return True
    query = select(case_people.c.person_ref).where(case_people.c.person_ref == person_ref)
    return (await session.execute(query.limit(1))).first() is not None


async def open_cases(session: AsyncSession, person_ref: str) -> list[uuid.UUID]:
    """The person's cases that have not ended (closed, withdrawn, cancelled, ineligible)."""
    query = (
        select(case_people.c.case_id)
        .join(cases, cases.c.case_id == case_people.c.case_id, isouter=True)
        .where(case_people.c.person_ref == person_ref, cases.c.ended_on.is_(None))
        .order_by(case_people.c.case_id)
    )
    return list((await session.execute(query)).scalars())


async def is_case_known(session: AsyncSession, case_id: uuid.UUID) -> bool:
    seen = select(case_people.c.case_id).where(case_people.c.case_id == case_id).limit(1)
    return (await session.scalar(seen)) is not None


async def register_case(
    session: AsyncSession, case_id: uuid.UUID, office: str, person_refs: Sequence[str]
) -> None:
    """The case (with its office) and its people, idempotently."""
    await session.execute(insert_ignoring_duplicates(session, cases), {"case_id": case_id})
    await session.execute(update(cases).where(cases.c.case_id == case_id).values(office=office))
    rows = [{"case_id": case_id, "person_ref": ref} for ref in person_refs]
    await session.execute(insert_ignoring_duplicates(session, case_people), rows)


async def mark_ended(
    session: AsyncSession, case_id: uuid.UUID, ended_on: date, status: str
) -> None:
    await session.execute(insert_ignoring_duplicates(session, cases), {"case_id": case_id})
    await session.execute(
        update(cases).where(cases.c.case_id == case_id).values(ended_on=ended_on, end_status=status)
    )


async def retention_candidates(session: AsyncSession, cutoff: date) -> list[tuple[str, date]]:
    """People still holding a data key whose cases have all ended on or before ``cutoff``."""
    last_end = func.max(cases.c.ended_on)
    query = (
        select(case_people.c.person_ref, last_end)
        .join(cases, cases.c.case_id == case_people.c.case_id)
        .join(data_keys, data_keys.c.person_ref == case_people.c.person_ref)
        .group_by(case_people.c.person_ref)
        .having(func.count(cases.c.ended_on) == func.count())
        .having(last_end <= cutoff)
        .order_by(case_people.c.person_ref)
    )
    return [(r[0], r[1]) for r in await session.execute(query)]
