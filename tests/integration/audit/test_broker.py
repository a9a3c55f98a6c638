"""With a real nats-server: the checkpoints published on the stream and the audit consumer's
acknowledgements expose a log cut back together with its head, deleted checkpoint rows and
records the broker never carried (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select, update

from benchmarks.audit_scenario import build
from db.migrate import upgrade_async
from events.envelope import STREAM_NAME
from services.audit import store
from services.audit.domain.chain import hashed_text, link
from services.audit.queries.checkpoints import chain_health
from services.audit.service import SERVICE
from services.audit.usecases.checkpoints import checkpoint_job
from services.audit.usecases.verify import verify_log
from services.kit.definition import Runtime
from services.runtime.node import Node
from tests.integration.audit.test_tamper import stored_columns_of
from tests.integration.backbone.conftest import make_settings
from tests.support import eventually

LOG = store.log
EVENTS = 12
EVERY = 5  # a checkpoint every 5 events: positions 5 and 10 (and the checkpoints' own events)


@pytest.fixture
async def node(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Node]:
    # the variable it always was reaches the audit's section in the node's runtime
    monkeypatch.setenv("RETORNO_AUDIT_CHECKPOINT_EVERY_EVENTS", str(EVERY))
    settings = make_settings(tmp_path / "var", database_url=database_url)
    await upgrade_async("audit", database_url)
    running = Node(settings, [SERVICE], {"audit"})
    await running.start()
    try:
        for envelope in build().envelopes[:EVENTS]:
            await running.js.publish(
                envelope.subject,
                envelope.to_bytes(),
                stream=STREAM_NAME,
                headers={"Nats-Msg-Id": str(envelope.event_id)},
            )
        await eventually(lambda: settled(running))
        yield running
    finally:
        await running.stop()


async def settled(node: Node) -> bool:
    """Every stream message (the checkpoints' own events too) logged and acknowledged."""
    stream = await node.js.stream_info(STREAM_NAME)
    consumer = await node.js.consumer_info(STREAM_NAME, "audit")
    logged = await count(node.runtime)  # type: ignore[arg-type]
    return bool(
        logged == stream.state.messages
        and consumer.ack_floor is not None
        and consumer.ack_floor.stream_seq == stream.state.last_seq
        and logged > EVENTS  # the checkpoint events came back through the stream
    )


async def count(rt: Runtime) -> int:
    async with rt.db("audit").reading() as session:
        return int(await session.scalar(select(func.count()).select_from(LOG)) or 0)


async def execute(rt: Runtime, *statements: Any) -> None:
    async with rt.db("audit").sessions() as session:
        for statement in statements:
            await session.execute(statement)
        await session.commit()


async def record(rt: Runtime, position: int) -> dict[str, Any]:
    async with rt.db("audit").reading() as session:
        found = await session.execute(select(LOG).where(LOG.c.position == position))
        return dict(found.one()._mapping)


async def problem_of(rt: Runtime) -> tuple[int, str]:
    result = await verify_log(rt)
    assert result.broker_checked, result.broker_detail
    assert not result.intact and result.problem is not None
    return result.problem.position, result.problem.kind


async def cut_back(rt: Runtime, to: int) -> None:
    """Delete the records after ``to`` and rewrite the head to match (unsigned)."""
    last = await record(rt, to)
    await execute(
        rt,
        delete(LOG).where(LOG.c.position > to),
        update(store.head).values(position=to, hash=last["hash"]),
    )


async def test_an_untouched_log_is_intact_against_the_broker(node: Node) -> None:
    rt = node.runtime
    assert rt is not None

    result = await verify_log(rt)
    logged = await count(rt)
    await checkpoint_job(rt)  # verifies, then signs: its own event is logged a moment later
    health = await node.health()

    assert result.intact and result.broker_checked, result.problem
    assert health["checks"]["audit_chain"]["ok"] is True
    assert logged <= health["checks"]["audit_chain"]["verified_position"] <= await count(rt)


async def test_a_log_cut_after_its_last_checkpoint_is_truncated(node: Node) -> None:
    rt = node.runtime
    assert rt is not None
    end = await count(rt)

    await cut_back(rt, end - 1)

    assert await problem_of(rt) == (end, "truncated")


async def test_a_log_cut_before_a_published_checkpoint_with_its_rows_is_truncated(
    node: Node,
) -> None:
    rt = node.runtime
    assert rt is not None

    await cut_back(rt, 3)
    await execute(rt, delete(store.checkpoints))

    assert await problem_of(rt) == (4, "truncated")


async def test_deleted_checkpoint_rows_are_named(node: Node) -> None:
    rt = node.runtime
    assert rt is not None
    async with rt.db("audit").reading() as session:
        last = await session.scalar(select(func.max(store.checkpoints.c.position)))

    await execute(rt, delete(store.checkpoints))

    assert await problem_of(rt) == (last, "checkpoint_missing")


async def test_a_forged_record_with_a_moved_head_is_named_by_the_broker(node: Node) -> None:
    rt = node.runtime
    assert rt is not None
    end = await count(rt)
    last = await record(rt, end)
    forged = {**last}
    body = json.loads(forged["envelope"])
    body["event_id"] = str(uuid.uuid4())
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    forged.update(position=end + 1, envelope=text, event_id=uuid.UUID(body["event_id"]))
    forged.update(
        prev_hash=last["hash"],
        hash=link(last["hash"], hashed_text(text, 2, stored_columns_of(forged))),
    )

    await execute(
        rt,
        insert(LOG).values(**forged),
        update(store.head).values(position=end + 1, hash=forged["hash"]),
    )

    assert await problem_of(rt) == (end + 1, "forged_record")


async def test_health_turns_non_ok_when_verification_fails(node: Node) -> None:
    rt = node.runtime
    assert rt is not None
    end = await count(rt)
    await cut_back(rt, end - 2)

    await checkpoint_job(rt)
    health = await node.health()
    chain = await chain_health(rt)

    assert health["status"] != "ok"
    assert chain["ok"] is False and chain["problem"] == {"position": end - 1, "kind": "truncated"}
