"""Appending to the hash-chained log and reading it back for verification."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.uow import UnitOfWork
from events.envelope import Envelope
from services.audit import store
from services.audit.domain import ChainRecord, canonical, link

HEAD_ID = 1
CURSOR = "audit.chain"


async def already_logged(session: AsyncSession, event_id: uuid.UUID) -> bool:
    found = await session.execute(
        select(store.log.c.position).where(store.log.c.event_id == event_id)
    )
    return found.first() is not None


@dataclass
class _Cursor:
    """The chain's head as this unit of work moves it, and the events it appended."""

    position: int
    hash: str
    appended: set[uuid.UUID] = field(default_factory=set)


async def append(uow: UnitOfWork, envelope: Envelope, now: datetime) -> int | None:
    """Chain the event after the current head; None if it is already in the log.

    The head row is read once per unit of work and locked (``FOR UPDATE``; SQLite's
    ``BEGIN IMMEDIATE`` already serializes writers), so concurrent appenders take positions
    one batch at a time. The batch's records are inserted together and the head saved once,
    just before the unit commits.
    """
    cursor = await _cursor(uow)
    if envelope.event_id in cursor.appended or await already_logged(uow.session, envelope.event_id):
        return None
    text = canonical(envelope)
    digest = link(cursor.hash, text)
    position = cursor.position + 1
    uow.insert_later(store.log, _row(envelope, position, text, cursor.hash, digest, now))
    cursor.position, cursor.hash = position, digest
    cursor.appended.add(envelope.event_id)
    return position


async def _cursor(uow: UnitOfWork) -> _Cursor:
    cursor: _Cursor | None = uow.state.get(CURSOR)
    if cursor is not None:
        return cursor
    row = (
        await uow.session.execute(
            select(store.head.c.position, store.head.c.hash)
            .where(store.head.c.id == HEAD_ID)
            .with_for_update()
        )
    ).one()
    cursor = uow.state[CURSOR] = _Cursor(int(row.position), row.hash)

    async def save_head() -> None:
        await uow.session.execute(
            update(store.head)
            .where(store.head.c.id == HEAD_ID)
            .values(position=cursor.position, hash=cursor.hash)
        )

    uow.before_commit(save_head)
    return cursor


def _row(
    envelope: Envelope, position: int, text: str, prev_hash: str, digest: str, now: datetime
) -> dict[str, Any]:
    payload = envelope.payload
    return {
        "position": position,
        "event_id": envelope.event_id,
        "type": envelope.type,
        "version": envelope.version,
        "occurred_at": envelope.occurred_at,
        "actor_kind": envelope.actor.kind,
        "actor_id": envelope.actor.id,
        "actor_role": envelope.actor.role,
        "case_id": _uuid(payload.get("case_id")),
        "person_ref": _person_ref(payload.get("person_ref")),
        "envelope": text,
        "prev_hash": prev_hash,
        "hash": digest,
        "recorded_at": now,
    }


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value is not None else None
    except ValueError:
        return None


def _person_ref(value: object) -> str | None:
    return value if isinstance(value, str) and len(value) <= 40 else None


async def load_records(session: AsyncSession) -> list[ChainRecord]:
    rows = await session.execute(
        select(
            store.log.c.position, store.log.c.envelope, store.log.c.prev_hash, store.log.c.hash
        ).order_by(store.log.c.position)
    )
    return [
        ChainRecord(position=r.position, canonical=r.envelope, prev_hash=r.prev_hash, hash=r.hash)
        for r in rows
    ]


async def load_head(session: AsyncSession) -> tuple[int, str] | None:
    row = (
        await session.execute(
            select(store.head.c.position, store.head.c.hash).where(store.head.c.id == HEAD_ID)
        )
    ).first()
    return (int(row.position), str(row.hash)) if row is not None else None


async def hash_at(session: AsyncSession, position: int) -> str | None:
    found = await session.execute(select(store.log.c.hash).where(store.log.c.position == position))
    return found.scalar_one_or_none()
