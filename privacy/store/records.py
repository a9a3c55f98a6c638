"""Consent history, the access log and legal holds: session-level reads and writes (never
commit here).

None holds personal data in plaintext: purposes, partner organisations, user ids, field
names, times; a legal hold's reason is a token encrypted under the person's data key.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from privacy.domain import AccessRecord, ConsentRecord, HoldState
from privacy.store import access_log, as_utc, consents, legal_holds


async def add_consent(session: AsyncSession, person_ref: str, record: ConsentRecord) -> None:
    await session.execute(
        insert(consents).values(
            person_ref=person_ref,
            purpose=record.purpose,
            partner=record.partner,
            granted=record.granted,
            recorded_by=record.recorded_by,
            recorded_at=record.recorded_at,
        )
    )


async def current_consent(
    session: AsyncSession, person_ref: str, purpose: str, partner: str | None
) -> bool:
    """The latest decision for this purpose (and partner); no record means no consent."""
    partner_is = consents.c.partner.is_(None) if partner is None else consents.c.partner == partner
    query = (
        select(consents.c.granted)
        .where(consents.c.person_ref == person_ref, consents.c.purpose == purpose, partner_is)
        .order_by(consents.c.recorded_at.desc(), consents.c.id.desc())
        .limit(1)
    )
    return bool(await session.scalar(query))


async def consent_history(session: AsyncSession, person_ref: str) -> list[ConsentRecord]:
    query = (
        select(consents)
        .where(consents.c.person_ref == person_ref)
        .order_by(consents.c.recorded_at, consents.c.id)
    )
    return [
        ConsentRecord(r.purpose, r.partner, r.granted, r.recorded_by, as_utc(r.recorded_at))
        for r in await session.execute(query)
    ]


async def log_access(session: AsyncSession, person_ref: str, record: AccessRecord) -> None:
    await session.execute(
        insert(access_log).values(
            person_ref=person_ref,
            actor_id=record.actor_id,
            role=record.role,
            purpose=record.purpose,
            fields=list(record.fields),
            accessed_at=record.accessed_at,
        )
    )


async def log_accesses(session: AsyncSession, reads: dict[str, AccessRecord]) -> None:
    """``log_access`` for several people in one statement (a row each)."""
    if reads:
        await session.execute(
            insert(access_log),
            [
                {
                    "person_ref": ref,
                    "actor_id": r.actor_id,
                    "role": r.role,
                    "purpose": r.purpose,
                    "fields": list(r.fields),
                    "accessed_at": r.accessed_at,
                }
                for ref, r in reads.items()
            ],
        )


async def access_history(session: AsyncSession, person_ref: str) -> list[AccessRecord]:
    query = (
        select(access_log)
        .where(access_log.c.person_ref == person_ref)
        .order_by(access_log.c.accessed_at, access_log.c.id)
    )
    return [
        AccessRecord(r.actor_id, r.role, r.purpose, tuple(r.fields), as_utc(r.accessed_at))
        for r in await session.execute(query)
    ]


async def access_page(
    session: AsyncSession,
    *,
    person_ref: str | None,
    actor_id: str | None,
    purpose: str | None,
    date_from: date | None,
    date_to: date | None,
    offset: int,
    limit: int,
) -> tuple[list[tuple[str, AccessRecord]], int]:
    """One page of everyone's access log, newest first, with the number of rows matching
    (``date_to`` inclusive; ``purpose`` matches its start, so ``break_the_glass`` finds every
    reason code)."""
    where = []
    if person_ref is not None:
        where.append(access_log.c.person_ref == person_ref)
    if actor_id is not None:
        where.append(access_log.c.actor_id == actor_id)
    if purpose is not None:
        where.append(access_log.c.purpose.startswith(purpose, autoescape=True))
    if date_from is not None:
        where.append(access_log.c.accessed_at >= datetime.combine(date_from, time(), UTC))
    if date_to is not None:
        end = datetime.combine(date_to + timedelta(days=1), time(), UTC)
        where.append(access_log.c.accessed_at < end)
    total = await session.scalar(select(func.count()).select_from(access_log).where(*where))
    query = (
        select(access_log)
        .where(*where)
        .order_by(access_log.c.accessed_at.desc(), access_log.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    rows = [
        (
            r.person_ref,
            AccessRecord(r.actor_id, r.role, r.purpose, tuple(r.fields), as_utc(r.accessed_at)),
        )
        for r in await session.execute(query)
    ]
    return rows, int(total or 0)


# --- legal holds ------------------------------------------------------------------------


async def hold_states(session: AsyncSession, person_ref: str) -> list[HoldState]:
    query = select(legal_holds.c.placed_at, legal_holds.c.lifted_at).where(
        legal_holds.c.person_ref == person_ref
    )
    return [HoldState(as_utc(r.placed_at), r.lifted_at) for r in await session.execute(query)]


async def add_hold(
    session: AsyncSession,
    hold_id: uuid.UUID,
    person_ref: str,
    reason_token: bytes,
    *,
    placed_by: str,
    placed_at: datetime,
) -> None:
    values = {"hold_id": hold_id, "person_ref": person_ref, "reason_token": reason_token}
    await session.execute(
        insert(legal_holds).values(**values, placed_by=placed_by, placed_at=placed_at)
    )


async def hold_row(
    session: AsyncSession, person_ref: str, hold_id: uuid.UUID, *, lock: bool = False
) -> Row | None:
    query = select(legal_holds).where(
        legal_holds.c.hold_id == hold_id, legal_holds.c.person_ref == person_ref
    )
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def lift_hold(
    session: AsyncSession, hold_id: uuid.UUID, *, lifted_by: str, lifted_at: datetime
) -> None:
    await session.execute(
        update(legal_holds)
        .where(legal_holds.c.hold_id == hold_id)
        .values(lifted_by=lifted_by, lifted_at=lifted_at)
    )


async def hold_rows(session: AsyncSession, person_ref: str) -> list[Row]:
    query = select(legal_holds).where(legal_holds.c.person_ref == person_ref)
    return list((await session.execute(query.order_by(legal_holds.c.placed_at))).all())
