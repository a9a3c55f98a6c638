"""Verifying the audit log: one streamed pass over the records, then its end against the
checkpoints, the broker and the signed head; and a kept checkpoint against today's log."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from events.envelope import Envelope
from services.audit import store
from services.audit.domain.chain import (
    GENESIS,
    ChainProblem,
    SignedHead,
    VerifyResult,
    Walk,
    canonical,
    check_head,
    checkpoint_missing,
    diagnose,
    forged,
    format_time,
    truncated,
)
from services.audit.domain.checkpoints import (
    Checkpoint,
    CheckpointStatus,
    check_checkpoint,
    first_rewrite,
)
from services.audit.domain.signing import head_signature_valid, signature_valid
from services.audit.schemas import LogVerification
from services.audit.store import chain as sql
from services.audit.usecases.broker import BROKER_ERRORS, BrokerView, look, message, running_broker
from services.audit.usecases.keys import signer
from services.kit.definition import Runtime
from services.kit.parts import PartKey

log = logging.getLogger("retorno.audit")


@dataclass
class _Verified:
    """What this process verified last (kept in memory, out of the database writer's reach)."""

    position: int
    hash: str
    rule_columns: bool


VERIFIED: PartKey[_Verified] = PartKey("audit.verified")

WINDOW = 1000  # records read after a bad position to say what happened there
ANCHOR_DEPTH = 50  # last records tried, newest first, to find the log's end on the stream
TAIL_LIMIT = 10_000  # stream messages checked after the log's end, per verification


async def verify_log(rt: Runtime, *, incremental: bool = False) -> LogVerification:
    """Verify the log in one pass of constant memory, then its end.

    In order, the first problem found is reported: the records (chain, positions, columns);
    the checkpoint last published on the broker, then the stored ones; the broker's tail
    (every event the audit consumer acknowledged must be in the log, and the log's last
    record must be an event the broker carried); the signed head. ``incremental`` starts
    from what this process verified last.
    """
    js = running_broker(rt)
    view: BrokerView | None = None
    broker_detail = "no broker connection (verify through a running node, or with the CLI)"
    if js is not None:
        try:
            view = await look(js)
            broker_detail = f"audit consumer acknowledged the stream up to {view.ack_floor}"
        except BROKER_ERRORS as exc:
            broker_detail = f"the broker could not be read ({type(exc).__name__})"
    since: _Verified | None = rt.find(VERIFIED) if incremental else None
    db = rt.db(store.NAME)
    dialect = db.engine.dialect.name
    async with db.reading() as session:
        await sql.repeatable_read(session, dialect)  # one snapshot: records, head, checkpoints
        head = await sql.load_head(session)
        stored = await sql.load_checkpoints(session)
        wanted = {cp.position for cp in stored}
        if view is not None and view.checkpoint is not None:
            wanted.add(view.checkpoint.position)
        start = (since.position, since.hash) if since else (0, GENESIS)
        walk = Walk(position=start[0], hash=start[1], wanted=frozenset(wanted))
        problem = chain_problem = await _walk(session, dialect, walk)
        rule_columns = walk.rule_columns or (since is not None and since.rule_columns)
        hashes = {**walk.found}
        for position in wanted - hashes.keys():
            if position <= start[0]:  # verified by an earlier pass of this process
                hashes[position] = await sql.hash_at(session, position) or ""
        statuses = _statuses(rt, stored, hashes)
        end = (walk.position, walk.hash)
        if problem is None:
            problem = _broker_checkpoint(rt, view, stored, hashes, end)
        if problem is None:
            problem = first_rewrite(statuses)
        if problem is None and view is not None:
            problem = await _tail(session, view, end)
        if problem is None:
            problem = check_head(head, end, _head_signature(rt, head), must_be_signed=rule_columns)
    if problem is None and head is not None:
        rt.put(VERIFIED, _Verified(walk.position, walk.hash, rule_columns))
    chain = VerifyResult(
        intact=chain_problem is None,
        records_checked=walk.records,
        head_position=walk.position,
        head_hash=walk.hash,
        problem=chain_problem,
    )
    return LogVerification(
        intact=problem is None,
        verified_at=rt.clock(),
        verified_from=start[0],
        chain=chain,
        checkpoints=statuses,
        broker_checked=view is not None,
        broker_detail=broker_detail,
        last_checkpoint_at=max((cp.signed_at for cp in stored), default=None),
        problem=problem,
    )


async def _walk(session: AsyncSession, dialect: str, walk: Walk) -> ChainProblem | None:
    async with contextlib.aclosing(sql.stream_rows(session, dialect, after=walk.position)) as rows:
        async for batch in rows:
            bad = walk.feed(batch)
            if bad is not None:
                break
        else:
            return None
    begin = walk.window_start(bad)
    window = await sql.load_window(session, dialect, begin[0], bad + WINDOW)
    return diagnose(window, begin, bad)


def _ok(rt: Runtime) -> Callable[[bytes, str], bool]:
    key = signer(rt)

    def ok(message: bytes, signature: str) -> bool:
        return signature_valid(key.public_key, message, signature)

    return ok


def _statuses(
    rt: Runtime, stored: list[Checkpoint], hashes: dict[int, str]
) -> list[CheckpointStatus]:
    ok, key_id = _ok(rt), signer(rt).key_id
    return [check_checkpoint(cp, hashes.get(cp.position), ok, key_id) for cp in stored]


def _broker_checkpoint(
    rt: Runtime,
    view: BrokerView | None,
    stored: list[Checkpoint],
    hashes: dict[int, str],
    end: tuple[int, str],
) -> ChainProblem | None:
    """The checkpoint last published on the stream: the log must reach it, hold its hash,
    and keep it among its stored checkpoints."""
    if view is None or view.checkpoint is None:
        return None
    cp = view.checkpoint
    status = check_checkpoint(cp, hashes.get(cp.position), _ok(rt), signer(rt).key_id)
    if status.signature_valid is not True:
        log.warning("the checkpoint on the stream does not verify: %s", status.detail)
        return None
    if end[0] < cp.position:
        return truncated(
            end[0],
            f"the log ends at position {end[0]} but the checkpoint published on the broker "
            f"at {format_time(cp.signed_at)} signed position {cp.position}: "
            "the log and its head were cut back",
        )
    if not status.matches_log:
        return ChainProblem(
            position=cp.position,
            kind="changed",
            detail=f"checkpoint on the broker at position {cp.position}: {status.detail}",
        )
    if not any(s.position == cp.position and s.hash == cp.hash for s in stored):
        return checkpoint_missing(
            cp.position,
            f"position {cp.position} checkpoint_missing: the checkpoint published on the "
            "broker is not among the stored checkpoints (checkpoint rows were deleted)",
        )
    return None


async def _tail(
    session: AsyncSession, view: BrokerView, end: tuple[int, str]
) -> ChainProblem | None:
    """The log's end against the stream: its last record must be the event the broker
    carried at the sequence the inbox names, and every later message the audit consumer
    acknowledged must be in the log. Reads only the messages after the log's end."""
    recent = await sql.last_records(session, ANCHOR_DEPTH)
    seqs = await sql.stream_seqs(session, [r.event_id for r in recent])
    anchor, not_carried = 0, None
    for record in recent:
        seq = seqs.get(record.event_id)
        carried = await message(view.js, int(seq)) if seq is not None else None
        if seq is not None and carried is not None and canonical(carried) == record.envelope:
            anchor = int(seq)
            break
        not_carried = record.position
    if not_carried is not None:
        return forged(
            not_carried,
            f"position {not_carried} forged_record: the broker never carried this record "
            "(it is not the event at the stream sequence its inbox row names)",
        )
    missing = await _first_unlogged(session, view, anchor)
    if missing is None:
        return None
    seq, envelope = missing
    return truncated(
        end[0],
        f"position {end[0] + 1} truncated: the audit consumer acknowledged stream message "
        f"{seq} ({envelope.type}, event {envelope.event_id}) but the log, which ends at "
        f"position {end[0]}, does not hold it (records and head were cut back, or the event "
        "was dead-lettered)",
    )


async def _first_unlogged(
    session: AsyncSession, view: BrokerView, after: int
) -> tuple[int, Envelope] | None:
    """The first acknowledged stream message after ``after`` whose event is not logged."""
    seq, last = after + 1, min(view.ack_floor, after + TAIL_LIMIT)
    while seq <= last:
        chunk: list[tuple[int, Envelope]] = []
        while seq <= last and len(chunk) < 200:
            envelope = await message(view.js, seq)
            if envelope is not None:
                chunk.append((seq, envelope))
            seq += 1
        ids = [e.event_id for _, e in chunk]
        logged = await sql.logged(session, ids)
        for found in chunk:
            if found[1].event_id not in logged:
                return found
    return None


def _head_signature(rt: Runtime, head: SignedHead | None) -> bool | None:
    return head_signature_valid(head, signer(rt)) if head is not None else None


async def verify_checkpoint(rt: Runtime, checkpoint: Checkpoint) -> CheckpointStatus:
    """Check a checkpoint someone kept (e.g. exported months ago) against today's log: the
    hash the chain has at its position when recomputed from the stored records."""
    db = rt.db(store.NAME)
    walk = Walk(wanted=frozenset({checkpoint.position}))
    async with db.reading() as session:
        await _walk(session, db.engine.dialect.name, walk)
    key = signer(rt)
    return check_checkpoint(checkpoint, walk.found.get(checkpoint.position), _ok(rt), key.key_id)
