"""Consent history and the access log: session-level reads and writes (never commit here).

Neither holds personal data: purposes, partner organisations, user ids, field names, times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from privacy.store import access_log, as_utc, consents


@dataclass(frozen=True)
class ConsentRecord:
    purpose: str
    partner: str | None
    granted: bool
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class AccessRecord:
    actor_id: str
    role: str
    purpose: str
    fields: tuple[str, ...]
    accessed_at: datetime


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
