"""Delivery guarantees of outbox -> JetStream -> inbox, on a real nats-server and SQLite files."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from benchmarks.probe import RECEIVER, SENDER, applied_rows, receiver_tables, send, sender_tables
from events.envelope import DEAD_LETTER_PREFIX, STREAM_NAME
from services.runtime import pull
from services.runtime.embedded import EmbeddedNats, free_port
from services.runtime.node import Node
from services.runtime.relay import OutboxRelay
from services.runtime.streams import DLQ_STREAM_NAME, consumer_config

from .conftest import SlowLink, eventually, make_settings

pytestmark = pytest.mark.integration


async def test_committed_event_is_applied_once_by_another_service(start_node):
    node = await start_node([SENDER, RECEIVER])

    ids = await send(node.runtime, 1, 2, 3)

    rows = await eventually(lambda: _count(node, 3))
    assert [event_id for event_id, _ in rows] == ids  # applied in commit order


async def test_event_published_twice_is_applied_once(start_node):
    node = await start_node([SENDER, RECEIVER])
    rt = node.runtime
    [event_id] = await send(rt, 7)
    await eventually(lambda: _count(node, 1))

    # The relay publishes the same row again (as after a crash before it marked it sent) ...
    async with rt.db("sender").sessions() as session:
        await session.execute(update(sender_tables.outbox).values(published_at=None))
        await session.commit()
    await eventually(lambda: _outbox_all_published(node))
    # ... and a copy slips past the broker's duplicate window under another message id.
    async with rt.db("sender").sessions() as session:
        body = await session.scalar(select(sender_tables.outbox.c.body))
    await node.js.publish("retorno.sender.pinged", body, headers={"Nats-Msg-Id": "other-id"})
    await _stream_drained(node, "receiver")

    assert await applied_rows(rt) == [(event_id, 7)]
    info = await node.js.stream_info(STREAM_NAME)
    assert (
        info.state.messages == 2
    )  # the relay's duplicate was dropped by the broker, the copy was not


async def test_redelivered_event_is_applied_once(start_node):
    node = await start_node([SENDER, RECEIVER])
    runner = node.runners["receiver"]
    original = runner.process
    lost_acks = 0

    async def process_losing_first_ack(messages):
        nonlocal lost_acks
        if lost_acks == 0:
            for message in messages:
                message.ack = message.nak  # the ack is lost: the server delivers again
                lost_acks += 1
        await original(messages)

    runner.process = process_losing_first_ack

    [event_id] = await send(node.runtime, 42)
    await eventually(lambda: _delivered_at_least(node, "receiver", 2))
    await _stream_drained(node, "receiver")

    assert lost_acks == 1
    assert await applied_rows(node.runtime) == [(event_id, 42)]


async def test_failing_handler_dead_letters_after_max_deliveries_and_later_events_flow(start_node):
    node = await start_node([SENDER, RECEIVER], max_deliver=2)

    [poison_id] = await send(node.runtime, 1, poison=True)
    [later_id] = await send(node.runtime, 2)

    await eventually(lambda: _count(node, 1))
    await eventually(lambda: _dead_letters(node))
    rows = await _dead_letters(node)
    assert [(r.event_id, r.deliveries) for r in rows] == [(poison_id, 2)]
    assert "this handler always fails" in rows[0].error
    dlq = await node.js.pull_subscribe(f"{DEAD_LETTER_PREFIX}.receiver", stream=DLQ_STREAM_NAME)
    [message] = await dlq.fetch(1, timeout=5)
    assert message.headers["Retorno-Subject"] == "retorno.sender.poisoned"
    assert "RuntimeError" in message.headers["Retorno-Error"]
    await _stream_drained(node, "receiver")
    assert await applied_rows(node.runtime) == [(later_id, 2)]


async def test_consumer_configuration_is_reconciled_at_start(start_node, tmp_path, database):
    settings = make_settings(tmp_path / "var", max_deliver=3, database_url=database)
    node = await start_node([SENDER, RECEIVER], settings=settings)
    await node.stop()
    stale = consumer_config("receiver", ["retorno.sender.pinged"], max_deliver=99)
    settings.max_deliver = 4

    node = await start_node([SENDER, RECEIVER], settings=settings)
    await node.js.add_consumer(STREAM_NAME, stale)  # someone changed it behind our back
    await node.stop()
    node = await start_node([SENDER, RECEIVER], settings=settings)

    info = await node.js.consumer_info(STREAM_NAME, "receiver")
    assert info.config.max_deliver == 4
    assert sorted(info.config.filter_subjects) == [
        "retorno.sender.followed",
        "retorno.sender.opened",
        "retorno.sender.pinged",
        "retorno.sender.poisoned",
        "retorno.sender.stepped",
    ]


async def test_process_killed_between_commit_and_publish_loses_nothing(
    start_node, tmp_path, database
):
    settings = make_settings(tmp_path / "var", database_url=database)
    settings.data_dir.mkdir(parents=True)
    script = textwrap.dedent(
        f"""
        import asyncio, os, signal, sys
        sys.path.insert(0, {str(Path(__file__).parents[3])!r})
        from benchmarks.probe import SENDER, send
        from services.kit.settings import Settings
        from services.runtime.composition import build_runtime

        async def main():
            settings = Settings(data_dir={str(settings.data_dir)!r}, database_url={database!r})
            rt = build_runtime(settings, [SENDER])
            await SENDER.on_start(rt)
            [event_id] = await send(rt, 99)
            print(event_id, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)  # dies after commit, before any publish

        asyncio.run(main())
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    event_id = result.stdout.strip()

    node = await start_node([SENDER, RECEIVER], settings=settings)

    rows = await eventually(lambda: _count(node, 1))
    assert [(str(e), n) for e, n in rows] == [(event_id, 99)]


async def test_start_failure_leaves_no_broker_process(tmp_path):
    from services.kit.definition import ServiceDef
    from services.runtime.node import Node

    async def explode(rt):
        raise RuntimeError("service failed at start")

    broken = ServiceDef(
        name="broken", metadata=SENDER.metadata, tables=SENDER.tables, on_start=explode
    )
    node = Node(make_settings(tmp_path / "var"), [broken], active={"broken"})

    with pytest.raises(RuntimeError, match="failed at start"):
        await node.start()

    assert node.embedded is not None and node.embedded.process is None
    pid_file_lines = (tmp_path / "var" / "nats" / "nats-server.log").read_text()
    assert "Server is ready" in pid_file_lines
    assert not _nats_running_with(str(tmp_path))


def _nats_running_with(marker: str) -> bool:
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if "nats-server" in cmdline and marker in cmdline:
                return True
    return False


async def _published(relay, n):
    return relay.published if relay.published >= n else None


async def _count(node, n):
    rows = await applied_rows(node.runtime)
    return rows if len(rows) >= n else None


async def _outbox_all_published(node):
    async with node.runtime.db("sender").sessions() as session:
        pending = await session.scalar(
            select(func.count()).where(sender_tables.outbox.c.published_at.is_(None))
        )
    return pending == 0


async def _dead_letters(node):
    async with node.runtime.db("receiver").sessions() as session:
        return (await session.execute(select(receiver_tables.dead_letter))).all()


async def _delivered_at_least(node, consumer, n):
    info = await node.js.consumer_info(STREAM_NAME, consumer)
    return info.delivered.consumer_seq >= n  # counts every delivery, redeliveries included


async def _stream_drained(node, consumer):
    async def drained():
        info = await node.js.consumer_info(STREAM_NAME, consumer)
        return info.num_pending == 0 and info.num_ack_pending == 0

    await eventually(drained)
    await asyncio.sleep(0.1)


async def test_a_catch_all_consumer_receives_events_of_every_type(start_node):
    from benchmarks.probe import on_pinged
    from services.kit.definition import ANY_EVENT, ServiceDef

    seen: list[str] = []

    async def record(uow, event):
        seen.append(event.type)
        if event.type == "sender.pinged":
            await on_pinged(uow, event)

    catch_all = ServiceDef(
        name="receiver",
        metadata=RECEIVER.metadata,
        tables=RECEIVER.tables,
        handlers=lambda rt: {ANY_EVENT: record},
        on_start=RECEIVER.on_start,
    )
    node = await start_node([SENDER, catch_all])

    await send(node.runtime, 1, poison=True)  # a type the catch-all never named
    await send(node.runtime, 2)

    await eventually(lambda: _count(node, 1))
    assert seen == ["sender.poisoned", "sender.pinged"]
    info = await node.js.consumer_info(STREAM_NAME, "receiver")
    assert (
        info.config.filter_subjects in (["retorno.>"], None)
        or info.config.filter_subject == "retorno.>"
    )


async def test_relay_prunes_rows_published_long_ago_and_keeps_the_rest(start_node):
    node = await start_node([SENDER, RECEIVER])
    await send(node.runtime, 1, 2)
    await eventually(lambda: _outbox_all_published(node))
    relay = node.relays["sender"]
    async with node.runtime.db("sender").sessions() as session:
        oldest = await session.scalar(select(func.min(sender_tables.outbox.c.seq)))
        await session.execute(
            update(sender_tables.outbox)
            .where(sender_tables.outbox.c.seq == oldest)
            .values(published_at=relay.db.clock() - relay.keep_published * 2)
        )
        await session.commit()

    pruned = await relay.prune()

    assert pruned == 1
    async with node.runtime.db("sender").sessions() as session:
        left = await session.scalar(select(func.count()).select_from(sender_tables.outbox))
    assert left == 1


async def test_a_dead_letter_is_listed_and_replayed_once_the_handler_is_fixed(start_node):
    from benchmarks import probe
    from services.runtime.deadletters import list_dead_letters, replay

    node = await start_node([SENDER, RECEIVER], max_deliver=1)
    [poison_id] = await send(node.runtime, 5, poison=True)
    await eventually(lambda: _dead_letters(node))
    [listed] = [d for d in await list_dead_letters(node.runtime) if d.service == "receiver"]
    assert (listed.event_id, listed.type) == (poison_id, "sender.poisoned")

    runner = node.runners["receiver"]
    runner.handlers["sender.poisoned"] = probe.on_pinged_any  # the bug is fixed
    subject = await replay(node.js, "receiver", poison_id)

    assert subject == "retorno.sender.poisoned"
    rows = await eventually(lambda: _count(node, 1))
    assert rows == [(poison_id, 5)]


async def test_events_committed_while_the_broker_is_down_arrive_after_it_restarts(start_node):
    node = await start_node([SENDER, RECEIVER])
    [before] = await send(node.runtime, 1)
    await eventually(lambda: _count(node, 1))
    assert node.embedded is not None

    node.embedded.kill()  # the broker process dies (SIGKILL)
    [during] = await send(node.runtime, 2)  # committed to the outbox while it is down
    await asyncio.sleep(1.0)
    await node.embedded.astart()  # same port, same store

    rows = await eventually(lambda: _count(node, 2), timeout=30)
    assert rows == [(before, 1), (during, 2)]


async def test_health_reports_the_flow_of_each_service_without_personal_data(start_node):
    node = await start_node([SENDER, RECEIVER], max_deliver=1)
    await send(node.runtime, 1, poison=True)
    await eventually(lambda: _dead_letters(node))
    await _stream_drained(node, "receiver")

    health = await node.health()

    assert health["status"] == "ok"
    assert health["flow"]["receiver"] == {
        "outbox_unpublished": 0,
        "dead_letters": 1,
        "parked": 0,
        "oldest_parked_seconds": None,
        "consumer_pending": 0,
        "consumer_unacknowledged": 0,
    }
    assert health["flow"]["sender"]["outbox_unpublished"] == 0


async def test_one_relay_at_a_time_publishes_an_outbox(start_node, database):
    """Replicas of a service each run a relay on its outbox: while one holds the guard (an
    advisory lock on PostgreSQL, a lock file on SQLite) another publishes nothing."""
    from sqlalchemy import text

    node = await start_node([SENDER, RECEIVER])
    await node.relays.pop("sender").stop()  # the node's own sender relay stays out of it
    await send(node.runtime, 1)
    relay = OutboxRelay(node.runtime.db("sender"), node.js)  # a second replica's relay
    holder = OutboxRelay(node.runtime.db("sender"), node.js)  # the replica publishing now

    if database is None:
        assert relay.lock_path is not None
        with holder.file_guard() as held:
            assert held
            while_held = await relay.relay_once()
    else:
        async with node.runtime.db("sender").sessions() as other_replica:
            await other_replica.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": relay.lock_key}
            )
            while_held = await relay.relay_once()
    after = await relay.relay_once()

    assert (while_held, after) == (0, 1)
    await eventually(lambda: _count(node, 1))
    await holder.stop()
    await relay.stop()


async def test_a_cases_events_stay_in_order_while_an_earlier_one_is_retried(start_node):
    from benchmarks import probe

    node = await start_node([SENDER, RECEIVER])
    probe.FAILURES[("X", 1)] = 2  # its batch fails, then it fails on its own: retried later

    async with node.runtime.db("sender").unit_of_work() as uow:
        uow.emit(probe.Stepped(case_id="X", step=1))
        await uow.commit()
    async with node.runtime.db("sender").unit_of_work() as uow:  # most likely another batch
        uow.emit(probe.Stepped(case_id="X", step=2))
        uow.emit(probe.Stepped(case_id="Y", step=1))
        await uow.commit()

    await eventually(lambda: _count(node, 3))
    async with node.runtime.db("receiver").reading() as session:
        rows = (
            await session.execute(
                select(probe.applied.c.type, probe.applied.c.n).order_by(probe.applied.c.id)
            )
        ).all()
    order = [(case, n) for case, n in rows]
    assert [n for case, n in order if case == "case X"] == [1, 2]
    assert ("case Y", 1) in order
    assert probe.FAILURES[("X", 1)] == 0


async def test_an_event_committed_after_a_quiet_spell_is_relayed_without_waiting_for_the_poll(
    start_node,
):
    """The relay is woken by the commit in its process: with a poll interval of an hour, an
    event committed once the relay went back to waiting is still published and applied."""
    node = await start_node([SENDER, RECEIVER], relay_poll_seconds=3600)
    await send(node.runtime, 1)
    relay = node.relays[SENDER.name]
    await eventually(lambda: _count(node, 1))
    # The receiver may apply the event before the relay has counted the broker's ack.
    await eventually(lambda: _published(relay, 1))
    await asyncio.sleep(0.5)  # quiet: the relay waits for its next wake-up

    await send(node.runtime, 2)

    await eventually(lambda: _count(node, 2))
    await eventually(lambda: _published(relay, 2))
    assert relay.published == 2


async def test_an_event_committed_in_another_process_than_the_owners_is_relayed_at_once(
    start_node, tmp_path, database
):
    """The HTTP process of `retorno up` writes outboxes of services whose consumers run in
    another process: its own relay of that outbox, woken by its commit, publishes the event
    at once, while the owner's relay polls only hourly (two relays on one outbox take
    turns). Two nodes on one data directory and broker stand for the two processes."""
    owner = await start_node([SENDER, RECEIVER], relay_poll_seconds=3600)
    assert owner.embedded is not None
    guest = Node(
        make_settings(
            tmp_path / "var",
            nats_url=owner.embedded.url,
            relay_poll_seconds=3600,
            database_url=database,
        ),
        [SENDER, RECEIVER],
        active=set(),
        relays_for={SENDER.name},
    )
    try:
        await guest.start()
        assert set(guest.relays) == {SENDER.name} and not guest.runners
        await asyncio.sleep(0.3)  # both relays went back to waiting
        await send(guest.runtime, 1)

        await eventually(lambda: _count(owner, 1))
        assert guest.relays[SENDER.name].published == 1
        assert owner.relays[SENDER.name].published == 0
    finally:
        await guest.stop()


async def test_events_after_a_quiet_spell_are_applied_at_once_with_the_broker_across_a_network(
    start_node, tmp_path, monkeypatch
):
    """Across a network, the server ends a pull request after the client's timeout: nats-py's
    fetch took that late 408 for the next request's "no messages" and left a lingering
    request on the server, which then caught the second event after the quiet spell and held
    it until it expired (`retorno up --processes 1` lost 3.2 s per hop so). With requests that
    expire after eight seconds, every event after a quiet spell still arrives at once."""
    monkeypatch.setattr(pull, "FETCH_TIMEOUT_SECONDS", 8.0)
    broker = EmbeddedNats(tmp_path / "nats", free_port(), free_port())
    await broker.astart()
    link = await SlowLink(broker.port, delay=0.002).start()
    try:
        node = await start_node([SENDER, RECEIVER], nats_url=link.url, relay_poll_seconds=3600)
        await send(node.runtime, 1)
        await eventually(lambda: _count(node, 1))
        await asyncio.sleep(8.5)  # quiet: the consumer's pull request expires on the server
        await send(node.runtime, 2)
        await eventually(lambda: _count(node, 2))

        sent = time.monotonic()
        await send(node.runtime, 3)
        await eventually(lambda: _count(node, 3))

        assert time.monotonic() - sent < 4.0  # held for up to 8 s before
        assert [n for _, n in await applied_rows(node.runtime)] == [1, 2, 3]
    finally:
        await link.close()
        await broker.astop()
