"""Appending an event to the hash-chained log, inside the runner's unit of work."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.uow import UnitOfWork
from events.audit import CheckpointSigned
from events.envelope import Envelope
from services.audit.domain.chain import (
    RULE_COLUMNS,
    SignedHead,
    canonical,
    column_texts,
    column_values,
    columns_text,
    hashed_text,
    link,
)
from services.audit.domain.signing import CheckpointSigner, Signing, head_signature_valid, sign
from services.audit.store import chain

log = logging.getLogger("retorno.audit")

CURSOR = "audit.chain"


@dataclass
class _Cursor:
    """The chain's head as this unit of work moves it, and the events it appended."""

    position: int
    hash: str
    appended: set[uuid.UUID] = field(default_factory=set)
    # Events of the unit's batch looked up in the log at once: those found are in it already.
    looked_up: set[uuid.UUID] = field(default_factory=set)
    logged: set[uuid.UUID] = field(default_factory=set)


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
    if envelope.event_id in cursor.appended or await _logged(uow, cursor, envelope):
        return None
    text = canonical(envelope)
    values = column_values(envelope, now)
    digest = link(cursor.hash, hashed_text(text, RULE_COLUMNS, columns_text(column_texts(values))))
    position = cursor.position + 1
    chain.queue_record(
        uow,
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


async def _logged(uow: UnitOfWork, cursor: _Cursor, envelope: Envelope) -> bool:
    """Whether the event is in the log already: the first event of a consumer's batch looks
    up the whole batch in one query; an event outside the batch is looked up alone."""
    if envelope.event_id not in cursor.looked_up:
        batch = {e.event_id for e in uow.batch} | {envelope.event_id}
        cursor.logged |= await chain.logged_among(uow.session, sorted(batch))
        cursor.looked_up |= batch
    return envelope.event_id in cursor.logged


async def _cursor(uow: UnitOfWork, signing: Signing | None) -> _Cursor:
    cursor: _Cursor | None = uow.state.get(CURSOR)
    if cursor is not None:
        return cursor
    head = await chain.lock_head(uow.session)
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
                await chain.insert_checkpoint(uow.session, signed)
                uow.emit(CheckpointSigned(**signed.model_dump()))
        elif signing is not None:
            log.error(
                "audit head at position %d is not the signed head; the log is left unsigned "
                "until someone investigates ('retorno audit verify')",
                start,
            )
        await chain.save_head(uow.session, values)

    uow.before_commit(save_head)
    return cursor


async def _head_trusted(session: AsyncSession, head: SignedHead, signer: CheckpointSigner) -> bool:
    """Whether to go on signing after this head: it is validly signed (or, on a log with no
    record of rule 2 yet, unsigned) and the log ends exactly there. Signing after a head
    someone wrote by hand would vouch for their change."""
    ends = await chain.records_at(session, [head.position, head.position + 1])
    at_head = [r for r in ends if r.position == head.position]
    if any(r.position == head.position + 1 for r in ends):
        return False
    if head.position > 0 and (not at_head or at_head[0].hash != head.hash):
        return False
    if head.signature is None:
        return not at_head or at_head[0].hash_rule != RULE_COLUMNS
    return head_signature_valid(head, signer) is True
