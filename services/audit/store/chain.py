"""Every SQL statement of the hash-chained log: appending, the head, checkpoints, the
verification outcome, and reading the log back (streamed) for verification."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    case,
    cast,
    func,
    insert,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.uow import UnitOfWork
from services.audit import store
from services.audit.domain.chain import COLUMNS, ChainRecord, Row, SignedHead, StoredRecord
from services.audit.domain.checkpoints import Checkpoint
from services.audit.domain.dates import as_utc

HEAD_ID = 1
VERIFICATION_ID = 1


async def logged_among(session: AsyncSession, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these events are in the log already (one query for a batch)."""
    found = await session.execute(
        select(store.log.c.event_id).where(store.log.c.event_id.in_(list(event_ids)))
    )
    return set(found.scalars().all())


def _signed_head(row: Any) -> SignedHead:
    return SignedHead(
        position=int(row.position),
        hash=str(row.hash),
        signed_at=as_utc(row.signed_at) if row.signed_at is not None else None,
        key_id=row.key_id,
        signature=row.signature,
    )


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


async def load_head(session: AsyncSession) -> SignedHead | None:
    row = (await session.execute(select(store.head).where(store.head.c.id == HEAD_ID))).first()
    return _signed_head(row) if row is not None else None


# --- Reading the log for verification: streamed, the columns rendered as text by the database


def columns_expression(dialect: str) -> ColumnElement[str]:
    """The stored columns as ``domain.chain.columns_text`` renders them, computed by the database
    (SQLite and PostgreSQL give the same text), so verification reads one string per row."""
    c = store.log.c
    parts: list[ColumnElement[str]] = []
    for name in COLUMNS:
        column = c[name]
        value: ColumnElement[str]
        if name in ("event_id", "case_id"):
            value = (
                func.replace(cast(column, String), "-", "")
                if dialect == "postgresql"
                else type_coerce(column, String)
            )
        elif name in ("occurred_at", "recorded_at"):
            value = (
                func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24:MI:SS.US")
                if dialect == "postgresql"
                else type_coerce(column, String)
            )
        elif name == "version":
            value = cast(column, String)
        else:
            value = column
        framed = cast(func.length(value), String) + ":" + value + ";"
        parts.append(case((column.is_(None), "-;"), else_=framed) if column.nullable else framed)
    text = parts[0]
    for part in parts[1:]:
        text = text + part
    return text


def _verify_columns(dialect: str) -> list[Any]:
    c = store.log.c
    return [
        c.position,
        c.envelope,
        c.prev_hash,
        c.hash,
        c.hash_rule,
        columns_expression(dialect).label("columns"),
    ]


async def stream_rows(
    session: AsyncSession, dialect: str, after: int = 0, batch: int = 2000
) -> AsyncGenerator[list[Row], None]:
    """Records after a position, in position order, in batches: a server-side cursor on
    PostgreSQL, a stepping cursor on SQLite; never the whole log in memory."""
    query = (
        select(*_verify_columns(dialect))
        .where(store.log.c.position > after)
        .order_by(store.log.c.position)
        .execution_options(yield_per=batch)
    )
    result = await session.stream(query)
    async for part in result.partitions(batch):
        yield [tuple(r) for r in part]  # type: ignore[misc]


async def load_window(
    session: AsyncSession, dialect: str, after: int, until: int
) -> list[StoredRecord]:
    """Records with ``after < position <= until`` (a bounded window, for a diagnosis)."""
    c = store.log.c
    rows = await session.execute(
        select(*_verify_columns(dialect))
        .where(c.position > after, c.position <= until)
        .order_by(c.position)
    )
    return [StoredRecord(*r) for r in rows]


async def last_records(session: AsyncSession, count: int) -> list[Any]:
    """The log's last records (position, event_id, envelope), newest first."""
    c = store.log.c
    rows = await session.execute(
        select(c.position, c.event_id, c.envelope).order_by(c.position.desc()).limit(count)
    )
    return list(rows)


async def hash_at(session: AsyncSession, position: int) -> str | None:
    found = await session.execute(select(store.log.c.hash).where(store.log.c.position == position))
    return found.scalar_one_or_none()


async def lock_head(session: AsyncSession) -> SignedHead:
    """The head row, locked (``FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE`` already serializes
    writers) until the unit of work ends."""
    row = (
        await session.execute(
            select(store.head).where(store.head.c.id == HEAD_ID).with_for_update()
        )
    ).one()
    return _signed_head(row)


async def save_head(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(update(store.head).where(store.head.c.id == HEAD_ID).values(**values))


def queue_record(uow: UnitOfWork, row: dict[str, Any]) -> None:
    """Queue a chained record; the batch's records are inserted together at commit."""
    uow.insert_later(store.log, row)


async def records_at(session: AsyncSession, positions: Sequence[int]) -> list[Any]:
    """Position, hash and rule of the records at these positions (those that exist)."""
    c = store.log.c
    query = select(c.position, c.hash, c.hash_rule).where(c.position.in_(list(positions)))
    return list((await session.execute(query)).all())


async def insert_checkpoint(session: AsyncSession, checkpoint: Checkpoint) -> None:
    await session.execute(insert(store.checkpoints), [checkpoint.model_dump()])


async def load_checkpoints(session: AsyncSession) -> list[Checkpoint]:
    c = store.checkpoints.c
    rows = await session.execute(
        select(c.position, c.hash, c.signed_at, c.key_id, c.signature).order_by(c.position, c.id)
    )
    return [
        Checkpoint.model_validate({**r._mapping, "signed_at": as_utc(r.signed_at)}) for r in rows
    ]


async def last_checkpoint_at(session: AsyncSession) -> datetime | None:
    last = await session.scalar(select(func.max(store.checkpoints.c.signed_at)))
    return as_utc(last) if last is not None else None


async def repeatable_read(session: AsyncSession, dialect: str) -> None:
    """On PostgreSQL, one snapshot for the records, the head and the checkpoints."""
    if dialect == "postgresql":
        await session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))


async def stream_seqs(session: AsyncSession, event_ids: Sequence[uuid.UUID]) -> dict[Any, Any]:
    """Event id -> the stream sequence its inbox row names."""
    inbox = store.messaging.inbox.c
    query = select(inbox.event_id, inbox.stream_seq).where(inbox.event_id.in_(list(event_ids)))
    return dict((await session.execute(query)).all())


async def logged(session: AsyncSession, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these events are in the log."""
    query = select(store.log.c.event_id).where(store.log.c.event_id.in_(list(event_ids)))
    return set((await session.execute(query)).scalars().all())


async def save_verification(session: AsyncSession, row: dict[str, Any]) -> None:
    """The outcome of the last periodic verification (one row)."""
    table = store.verification
    done = await session.execute(update(table).where(table.c.id == VERIFICATION_ID).values(**row))
    if not done.rowcount:  # type: ignore[attr-defined]
        await session.execute(insert(table).values(id=VERIFICATION_ID, **row))


async def load_verification(session: AsyncSession) -> Any:
    table = store.verification
    return (await session.execute(select(table).where(table.c.id == VERIFICATION_ID))).first()
