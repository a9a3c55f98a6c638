"""Tampering with the stored log, in each way, is named by position and kind."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, text, update

from benchmarks.audit_scenario import build
from db.uow import ServiceDatabase
from services.audit import store
from services.audit.domain import AuditLogNotIntactError
from services.audit.domain.chain import (
    COLUMNS,
    GENESIS,
    column_texts,
    columns_text,
    hashed_text,
    link,
)
from services.audit.domain.dates import as_utc
from services.audit.usecases.checkpoints import make_checkpoint
from services.audit.usecases.verify import verify_checkpoint, verify_log
from services.kit.definition import Runtime
from tests.integration.audit.feeding import feed

LOG = store.log


@pytest.fixture
async def logged(db: ServiceDatabase) -> int:
    envelopes = build().envelopes[:10]
    for envelope in envelopes:
        await feed(db, envelope)
    return len(envelopes)


async def execute(db: ServiceDatabase, *statements) -> None:  # type: ignore[no-untyped-def]
    async with db.sessions() as session:
        for statement in statements:
            await session.execute(statement)
        await session.commit()


async def row(db: ServiceDatabase, position: int) -> dict:  # type: ignore[type-arg]
    async with db.sessions() as session:
        found = await session.execute(select(LOG).where(LOG.c.position == position))
        return dict(found.one()._mapping)


async def problem_of(rt: Runtime) -> tuple[int, str]:
    result = await verify_log(rt)
    assert not result.intact and result.problem is not None
    return result.problem.position, result.problem.kind


async def test_a_changed_record_is_named(rt: Runtime, db: ServiceDatabase, logged: int) -> None:
    original = await row(db, 4)
    envelope = json.loads(original["envelope"])
    envelope["payload"]["amount_cents"] = 1
    changed = json.dumps(envelope, sort_keys=True, separators=(",", ":"))

    await execute(db, update(LOG).where(LOG.c.position == 4).values(envelope=changed))

    assert await problem_of(rt) == (4, "changed")


async def test_a_deleted_record_is_named(rt: Runtime, db: ServiceDatabase, logged: int) -> None:
    await execute(db, delete(LOG).where(LOG.c.position == 6))

    assert await problem_of(rt) == (6, "removed")


async def test_a_deleted_last_record_is_named(
    rt: Runtime, db: ServiceDatabase, logged: int
) -> None:
    await execute(db, delete(LOG).where(LOG.c.position == logged))

    assert await problem_of(rt) == (logged, "removed")


async def test_an_inserted_record_is_named(rt: Runtime, db: ServiceDatabase, logged: int) -> None:
    before = await row(db, 2)
    forged = {**await row(db, 3)}
    body = json.loads(forged["envelope"])
    body["event_id"] = "00000000-0000-4000-8000-000000000000"
    forged_text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    forged.update(
        position=3,
        envelope=forged_text,
        prev_hash=before["hash"],
        hash=link(before["hash"], forged_text),
        event_id=uuid.UUID(body["event_id"]),
    )

    await execute(
        db,
        text("UPDATE audit_log SET position = position + 1000 WHERE position >= 3"),
        text("UPDATE audit_log SET position = position - 999 WHERE position >= 1003"),
        insert(LOG).values(**forged),
    )

    assert await problem_of(rt) == (3, "inserted")


async def test_two_swapped_records_are_named(rt: Runtime, db: ServiceDatabase, logged: int) -> None:
    await execute(
        db,
        update(LOG).where(LOG.c.position == 2).values(position=-1),
        update(LOG).where(LOG.c.position == 7).values(position=2),
        update(LOG).where(LOG.c.position == -1).values(position=7),
    )

    assert await problem_of(rt) == (2, "reordered")


async def test_a_signed_checkpoint_detects_a_rewritten_history(
    rt: Runtime, db: ServiceDatabase, logged: int
) -> None:
    checkpoint = await make_checkpoint(rt)
    assert checkpoint is not None and checkpoint.position == logged
    await rewrite_history(db, position=3)

    result = await verify_log(rt)
    kept = await verify_checkpoint(rt, checkpoint)

    assert result.chain.intact  # the rewrite recomputed a consistent chain...
    assert not result.intact  # ...but the signed checkpoint contradicts it
    assert result.problem is not None and result.problem.position == logged
    assert "between positions 1 and" in result.problem.detail
    assert kept.signature_valid and not kept.matches_log
    with pytest.raises(AuditLogNotIntactError, match="not intact"):
        await make_checkpoint(rt)


async def test_a_checkpoint_is_signed_only_when_the_log_grew(
    rt: Runtime, db: ServiceDatabase, logged: int
) -> None:
    first = await make_checkpoint(rt)
    again = await make_checkpoint(rt)
    await feed(db, build().envelopes[0])
    later = await make_checkpoint(rt)

    assert first is not None and again is None
    assert later is not None and later.position == logged + 1
    assert (await verify_log(rt)).intact


async def test_a_tampered_log_is_never_signed(
    rt: Runtime, db: ServiceDatabase, logged: int
) -> None:
    await execute(db, delete(LOG).where(LOG.c.position == 2))

    with pytest.raises(AuditLogNotIntactError, match="position 2 removed"):
        await make_checkpoint(rt)


async def rewrite_history(db: ServiceDatabase, position: int) -> None:
    """Change one record and recompute every later hash, the head too: a careful forger."""
    async with db.sessions() as session:
        rows = (await session.execute(select(LOG).order_by(LOG.c.position))).all()
        prev = GENESIS
        for r in rows:
            body = r.envelope
            if r.position == position:
                envelope = json.loads(body)
                envelope["actor"]["id"] = "someone-else"
                body = json.dumps(envelope, sort_keys=True, separators=(",", ":"))
            digest = link(prev, hashed_text(body, r.hash_rule, stored_columns(r)))
            await session.execute(
                update(LOG)
                .where(LOG.c.position == r.position)
                .values(envelope=body, prev_hash=prev, hash=digest)
            )
            prev = digest
        await session.execute(update(store.head).values(hash=prev))
        await session.commit()


def stored_columns(r) -> str:  # type: ignore[no-untyped-def]
    """The columns text of a stored row, as a forger who read the code would compute it."""
    values = {name: getattr(r, name) for name in COLUMNS}
    for name in ("occurred_at", "recorded_at"):
        values[name] = as_utc(values[name])
    return columns_text(column_texts(values))


# --- Filter columns, the head and forged records (SQLite and PostgreSQL) --------------------


async def test_a_changed_type_column_is_a_column_mismatch(
    rt: Runtime, db: ServiceDatabase, logged: int
) -> None:
    await execute(db, update(LOG).where(LOG.c.position == 5).values(type="funding.made_up"))

    assert await problem_of(rt) == (5, "column_mismatch")


async def test_a_changed_case_id_column_is_a_column_mismatch(
    rt: Runtime, db: ServiceDatabase, logged: int
) -> None:
    await execute(db, update(LOG).where(LOG.c.position == 7).values(case_id=uuid.uuid4()))

    assert await problem_of(rt) == (7, "column_mismatch")


async def test_a_changed_column_of_an_old_rule_record_is_named(
    rt: Runtime, db: ServiceDatabase, logged: int
) -> None:
    """Records from before audit_0003 (rule 1) have their columns checked against the
    envelope."""
    async with db.sessions() as session:
        rows = (await session.execute(select(LOG).order_by(LOG.c.position))).all()
        prev = GENESIS
        for r in rows:  # what an old log looks like: rule 1 and an unsigned head
            digest = link(prev, r.envelope)
            await session.execute(
                update(LOG)
                .where(LOG.c.position == r.position)
                .values(hash_rule=1, prev_hash=prev, hash=digest)
            )
            prev = digest
        await session.execute(update(store.head).values(hash=prev, signature=None))
        await session.commit()
    assert (await verify_log(rt)).intact

    await execute(db, update(LOG).where(LOG.c.position == 3).values(type="funding.made_up"))

    assert await problem_of(rt) == (3, "column_mismatch")


async def test_a_changed_head_hash_is_a_head_mismatch(
    rt: Runtime, db: ServiceDatabase, logged: int
) -> None:
    await execute(db, update(store.head).values(hash="ab" * 32))

    assert await problem_of(rt) == (logged, "head_mismatch")


async def test_a_lowered_head_is_a_head_mismatch(
    rt: Runtime, db: ServiceDatabase, logged: int
) -> None:
    before = await row(db, logged - 3)
    await execute(db, update(store.head).values(position=logged - 3, hash=before["hash"]))

    assert await problem_of(rt) == (logged - 3, "head_mismatch")


async def test_a_cut_log_with_a_rewritten_head_is_named_without_the_broker(
    rt: Runtime, db: ServiceDatabase, logged: int
) -> None:
    last = await row(db, 6)
    await execute(
        db,
        delete(LOG).where(LOG.c.position > 6),
        update(store.head).values(position=6, hash=last["hash"]),
    )

    assert await problem_of(rt) == (6, "head_mismatch")


async def test_a_well_linked_record_appended_at_the_end_is_forged(
    rt: Runtime, db: ServiceDatabase, logged: int
) -> None:
    await append_forged(db, after=logged, move_head=False)

    assert await problem_of(rt) == (logged + 1, "forged_record")


async def test_a_forged_record_with_a_moved_head_is_named(
    rt: Runtime, db: ServiceDatabase, logged: int
) -> None:
    await append_forged(db, after=logged, move_head=True)

    assert await problem_of(rt) == (logged + 1, "head_mismatch")


async def test_the_appender_does_not_sign_after_a_head_written_by_hand(
    rt: Runtime, db: ServiceDatabase, logged: int
) -> None:
    await append_forged(db, after=logged, move_head=True)
    later = next(e for e in build().envelopes if e.type == "registration.return_registered")
    await feed(db, later)  # the service goes on logging...

    problem = await problem_of(rt)  # ...but leaves the head unsigned, so it stays visible

    assert problem[1] == "head_mismatch"


async def append_forged(db: ServiceDatabase, after: int, move_head: bool) -> None:
    """A record chained after the last one by someone without the audit key."""
    last = await row(db, after)
    forged = {**last}
    body = json.loads(forged["envelope"])
    body["event_id"] = str(uuid.uuid4())
    text_ = json.dumps(body, sort_keys=True, separators=(",", ":"))
    forged.update(position=after + 1, envelope=text_, event_id=uuid.UUID(body["event_id"]))
    forged["hash"] = link(last["hash"], hashed_text(text_, 2, stored_columns_of(forged)))
    forged["prev_hash"] = last["hash"]
    statements: list[Any] = [insert(LOG).values(**forged)]
    if move_head:
        statements.append(update(store.head).values(position=after + 1, hash=forged["hash"]))
    await execute(db, *statements)


def stored_columns_of(values: dict[str, Any]) -> str:
    found = {name: values[name] for name in COLUMNS}
    for name in ("occurred_at", "recorded_at"):
        found[name] = as_utc(found[name])
    return columns_text(column_texts(found))
