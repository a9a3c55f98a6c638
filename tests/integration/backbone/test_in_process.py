"""Events applied without a broker go the runner's real way (``EventRunner.apply``): the
inbox skips a second copy, an early event is parked and applied after its prerequisite, a
failing handler leaves nothing applied. ``InProcessFlow`` carries events between services."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from benchmarks.probe import (
    RECEIVER,
    SENDER,
    Followed,
    Opened,
    Pinged,
    Poisoned,
    applied_rows,
    case_rows,
    emit,
    send,
)
from events.envelope import Actor, Envelope, Payload, new_envelope
from services.kit.definition import Runtime
from services.kit.settings import Settings
from services.runtime.composition import close_runtime, start_services
from tests.support import InProcessFlow, deliver, make_runtime, outbox

pytestmark = pytest.mark.integration


@pytest.fixture
async def rt(database_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    """The probe's sender and receiver on one database (SQLite file, PostgreSQL)."""
    from services.runtime.composition import open_database

    settings = Settings(data_dir=tmp_path, database_url=database_url)
    databases = {s.name: open_database(settings, s) for s in (SENDER, RECEIVER)}
    runtime = make_runtime(settings, databases)
    await start_services(runtime, [SENDER, RECEIVER])
    yield runtime
    await close_runtime(runtime)


def event(payload: Payload) -> Envelope:
    return new_envelope(payload, actor=Actor.service("sender"))


async def inbox_ids(rt: Runtime) -> set[uuid.UUID]:
    db = rt.db("receiver")
    async with db.reading() as session:
        return set((await session.execute(select(db.tables.inbox.c.event_id))).scalars())


async def parked_count(rt: Runtime) -> int:
    db = rt.db("receiver")
    async with db.reading() as session:
        return len((await session.execute(select(db.tables.parked))).all())


async def test_an_event_delivered_twice_is_applied_once(rt: Runtime) -> None:
    ping = event(Pinged(n=7))
    await deliver(rt, RECEIVER, ping)
    await deliver(rt, RECEIVER, ping)
    assert await applied_rows(rt) == [(ping.event_id, 7)]
    assert await inbox_ids(rt) == {ping.event_id}


async def test_an_early_event_is_parked_and_applied_right_after_its_prerequisite(
    rt: Runtime,
) -> None:
    followed, opened = event(Followed(case_id="C1", step=1)), event(Opened(case_id="C1"))
    await deliver(rt, RECEIVER, followed)
    assert await case_rows(rt, "C1") == []
    assert await parked_count(rt) == 1
    await deliver(rt, RECEIVER, opened)
    assert await case_rows(rt, "C1") == [("opened", 0), ("case", 1)]
    assert await parked_count(rt) == 0
    assert await inbox_ids(rt) == {followed.event_id, opened.event_id}


async def test_a_failing_handler_raises_and_leaves_the_event_unapplied(rt: Runtime) -> None:
    poison = event(Poisoned(n=1))
    with pytest.raises(RuntimeError, match="always fails"):
        await deliver(rt, RECEIVER, poison)
    assert await inbox_ids(rt) == set()
    assert await applied_rows(rt) == []


async def test_the_flow_carries_committed_events_to_their_handlers_until_quiet(
    rt: Runtime,
) -> None:
    flow = InProcessFlow(rt, [SENDER, RECEIVER])
    ids = await send(rt, 1, 2)
    await emit(rt, Followed(case_id="C2", step=1), Opened(case_id="C2"))
    assert await flow.run() == 4
    assert [event_id for event_id, _ in (await applied_rows(rt))[:2]] == ids
    assert await case_rows(rt, "C2") == [("opened", 0), ("case", 1)]
    assert await flow.run() == 0  # nothing new: nothing delivered again
    assert len(await outbox(rt, "sender")) == 4
