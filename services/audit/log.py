"""Appending to the hash-chained log and reading it back for verification."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, case, cast, func, insert, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.uow import UnitOfWork
from events.audit import CheckpointSigned
from events.envelope import Envelope
from services.audit import store
from services.audit.checkpoints import Checkpoint, checkpoint_message
from services.audit.domain import (
    COLUMNS,
    RULE_COLUMNS,
    ChainRecord,
    Row,
    SignedHead,
    StoredRecord,
    canonical,
    column_texts,
    column_values,
    columns_text,
    hashed_text,
    link,
)
from services.audit.queries import as_utc
from services.audit.signing import CheckpointSigner, signature_valid

log = logging.getLogger("retorno.audit")

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


@dataclass
class Signing:
    """How the appender signs the head (every batch) and checkpoints (every N events)."""

    signer: CheckpointSigner
    every_events: int = 0  # 0: no checkpoints from the appender, only the periodic job


async def append(
    uow: UnitOfWork, envelope: Envelope, now: datetime, signing: Signing | None = None
) -> int | None:
    """Chain the event after the current head; None if it is already in the log.

    The head row is read once per unit of work and locked (``FOR UPDATE``; SQLite's
    ``BEGIN IMMEDIATE`` already serializes writers), so concurrent appenders take positions
    one batch at a time. The batch's records are inserted together and the head saved (and
    signed) once, just before the unit commits.
    """
    cursor = await _cursor(uow, signing)
    if envelope.event_id in cursor.appended or await already_logged(uow.session, envelope.event_id):
        return None
    text = canonical(envelope)
    values = column_values(envelope, now)
    digest = link(cursor.hash, hashed_text(text, RULE_COLUMNS, columns_text(column_texts(values))))
    position = cursor.position + 1
    uow.insert_later(
        store.log,
        {
            **values,
            "position": position,
            "envelope": text,
            "prev_hash": cursor.hash,
            "hash": digest,
            "hash_rule": RULE_COLUMNS,
        },
    )
    cursor.position, cursor.hash = position, digest
    cursor.appended.add(envelope.event_id)
    return position


async def _cursor(uow: UnitOfWork, signing: Signing | None) -> _Cursor:
    cursor: _Cursor | None = uow.state.get(CURSOR)
    if cursor is not None:
        return cursor
    row = (
        await uow.session.execute(
            select(store.head).where(store.head.c.id == HEAD_ID).with_for_update()
        )
    ).one()
    head = _signed_head(row)
    cursor = uow.state[CURSOR] = _Cursor(head.position, head.hash)
    start = head.position
    trusted = signing is None or await _head_trusted(uow.session, head, signing.signer)

    async def save_head() -> None:
        values: dict[str, Any] = {"position": cursor.position, "hash": cursor.hash}
        values.update(signed_at=None, key_id=None, signature=None)
        if signing is not None and trusted:
            signed = sign(signing.signer, cursor.position, cursor.hash, uow.clock())
            values.update(signed.model_dump(exclude={"position", "hash"}))
            every = signing.every_events
            if every > 0 and cursor.position // every > start // every:
                await uow.session.execute(insert(store.checkpoints), [signed.model_dump()])
                uow.emit(CheckpointSigned(**signed.model_dump()))
        elif signing is not None:
            log.error(
                "audit head at position %d is not the signed head; the log is left unsigned "
                "until someone investigates ('retorno audit verify')",
                start,
            )
        await uow.session.execute(
            update(store.head).where(store.head.c.id == HEAD_ID).values(**values)
        )

    uow.before_commit(save_head)
    return cursor


def sign(signer: CheckpointSigner, position: int, digest: str, at: datetime) -> Checkpoint:
    return Checkpoint(
        position=position,
        hash=digest,
        signed_at=at,
        key_id=signer.key_id,
        signature=signer.sign(checkpoint_message(position, digest, at)),
    )


async def _head_trusted(session: AsyncSession, head: SignedHead, signer: CheckpointSigner) -> bool:
    """Whether to go on signing after this head: it is validly signed (or, on a log with no
    record of rule 2 yet, unsigned) and the log ends exactly there. Signing after a head
    someone wrote by hand would vouch for their change."""
    ends = (
        await session.execute(
            select(store.log.c.position, store.log.c.hash, store.log.c.hash_rule).where(
                store.log.c.position.in_([head.position, head.position + 1])
            )
        )
    ).all()
    at_head = [r for r in ends if r.position == head.position]
    if any(r.position == head.position + 1 for r in ends):
        return False
    if head.position > 0 and (not at_head or at_head[0].hash != head.hash):
        return False
    if head.signature is None:
        return not at_head or at_head[0].hash_rule != RULE_COLUMNS
    return head_signature_valid(head, signer) is True


def head_signature_valid(head: SignedHead, signer: CheckpointSigner) -> bool | None:
    """None when the head is unsigned; else whether the audit key signed it."""
    if head.signature is None or head.signed_at is None:
        return None
    if head.key_id != signer.key_id:
        return False
    message = checkpoint_message(head.position, head.hash, head.signed_at)
    return signature_valid(signer.public_key, message, head.signature)


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
    """The stored columns as ``domain.columns_text`` renders them, computed by the database
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
