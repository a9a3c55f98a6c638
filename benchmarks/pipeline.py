"""`make bench`: events through outbox -> JetStream -> consumer (inbox + a write), on the
embedded broker and SQLite files, next to the raw nats-py JetStream rates of the same run.

Usage: python -m benchmarks.pipeline [--events N] [--paced-rate R]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import nats
from sqlalchemy import func, select

from benchmarks.probe import RECEIVER, SENDER, Pinged, receiver_tables, sender_tables
from db.uow import ServiceDatabase
from services.kit.settings import Settings
from services.runtime.embedded import EmbeddedNats, free_port
from services.runtime.node import Node


async def raw_rates(url: str, n: int) -> tuple[float, float]:
    """nats-py alone: async publish with acks, then pull fetch(500) + ack."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(name="RAWBENCH", subjects=["rawbench.>"])
    payload = b"x" * 400
    start = time.perf_counter()
    futures = [await js.publish_async("rawbench.e", payload) for _ in range(n)]
    await asyncio.gather(*futures)
    publish_rate = n / (time.perf_counter() - start)
    sub = await js.pull_subscribe("rawbench.>", durable="rawbench", stream="RAWBENCH")
    start = time.perf_counter()
    got = 0
    while got < n:
        msgs = await sub.fetch(500, timeout=5)
        for m in msgs:
            await m.ack()
        got += len(msgs)
    consume_rate = n / (time.perf_counter() - start)
    await js.delete_stream("RAWBENCH")
    await nc.close()
    return publish_rate, consume_rate


def _db(node: Node, name: str) -> ServiceDatabase:
    assert node.runtime is not None, "the node is started"
    return node.runtime.db(name)


async def emit(node: Node, n: int, chunk: int = 500) -> None:
    db = _db(node, "sender")
    for start in range(0, n, chunk):
        async with db.unit_of_work() as uow:
            for i in range(start, min(n, start + chunk)):
                uow.emit(Pinged(n=i))
            await uow.commit()


async def applied_count(node: Node) -> int:
    async with _db(node, "receiver").reading() as session:
        return int(
            await session.scalar(select(func.count()).select_from(receiver_tables.inbox)) or 0
        )


async def wait_applied(node: Node, n: int, timeout: float = 300) -> None:
    deadline = time.perf_counter() + timeout
    while await applied_count(node) < n:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"only {await applied_count(node)} of {n} applied")
        await asyncio.sleep(0.02)


async def wait_relayed(node: Node) -> None:
    outbox = sender_tables.outbox
    while True:
        async with _db(node, "sender").reading() as s:
            left = await s.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
        if not left:
            return
        await asyncio.sleep(0.02)


async def latencies(node: Node, since: datetime) -> list[float]:
    """Commit (outbox created_at) to applied (inbox applied_at), per event, in ms."""
    outbox = sender_tables.outbox
    async with _db(node, "sender").reading() as s:
        created: dict[uuid.UUID, datetime] = dict(
            (
                await s.execute(
                    select(outbox.c.event_id, outbox.c.created_at).where(
                        outbox.c.created_at >= since
                    )
                )
            ).all()
        )
    async with _db(node, "receiver").reading() as s:
        applied: dict[uuid.UUID, datetime] = dict(
            (
                await s.execute(
                    select(receiver_tables.inbox.c.event_id, receiver_tables.inbox.c.applied_at)
                )
            ).all()
        )
    return [(applied[k] - created[k]).total_seconds() * 1000 for k in applied if k in created]


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


async def audit_rate(data: Path, n: int) -> float:
    """The audit service (which consumes every event) chaining a backlog of ``n`` events."""
    from db import migrate
    from services.audit import store
    from services.audit.service import SERVICE as AUDIT

    settings = Settings(
        data_dir=data, nats_port=free_port(), nats_monitor_port=free_port(), log_level="WARNING"
    )
    await asyncio.to_thread(migrate.upgrade, "audit", settings.database_url_for("audit"))
    node = Node(settings, [SENDER, AUDIT], {"sender"})
    await node.start()
    try:
        await emit(node, n)
        await wait_relayed(node)
    finally:
        await node.stop()
    node = Node(settings, [SENDER, AUDIT], {"audit"})
    start = time.perf_counter()
    await node.start()
    try:
        while True:
            async with _db(node, "audit").reading() as session:
                done = await session.scalar(select(func.count()).select_from(store.log))
            if (done or 0) >= n:
                return n / (time.perf_counter() - start)
            await asyncio.sleep(0.02)
    finally:
        await node.stop()


async def main(events: int, paced_rate: int) -> None:
    data = Path(tempfile.mkdtemp(prefix="retorno-bench-"))
    broker = EmbeddedNats(data / "nats-raw", free_port(), free_port())
    await broker.astart()
    try:
        raw_pub, raw_con = await raw_rates(broker.url, events)
    finally:
        await broker.astop()
    fast = EmbeddedNats(data / "nats-raw-nosync", free_port(), free_port(), sync_always=False)
    await fast.astart()
    try:
        nosync_pub, nosync_con = await raw_rates(fast.url, events)
    finally:
        await fast.astop()

    settings = Settings(
        data_dir=data / "var",
        nats_port=free_port(),
        nats_monitor_port=free_port(),
        log_level="WARNING",
    )
    node = Node(settings, [SENDER, RECEIVER], {"sender", "receiver"})
    await node.start()
    try:
        began = datetime.now(UTC)
        start = time.perf_counter()
        await emit(node, events)
        emitted_at = time.perf_counter() - start
        await wait_relayed(node)
        relayed_at = time.perf_counter() - start
        await wait_applied(node, events)
        elapsed = time.perf_counter() - start
        throughput = events / elapsed
        bulk_lat = await latencies(node, began)

        # Paced: a steady rate well below saturation, for latency without queueing.
        paced = min(events, paced_rate * 3)
        before = await applied_count(node)
        paced_began = datetime.now(UTC)
        for _ in range(paced // 50):
            t0 = time.perf_counter()
            await emit(node, 50, chunk=50)
            await asyncio.sleep(max(0.0, 50 / paced_rate - (time.perf_counter() - t0)))
        await wait_applied(node, before + paced)
        paced_lat = await latencies(node, paced_began)
    finally:
        await node.stop()
    audit = await audit_rate(data / "audit", min(events, 10_000))

    print(f"Retorno pipeline benchmark ({events} events, embedded nats-server, SQLite files)")
    print(f"  raw nats-py JetStream async publish : {raw_pub:10,.0f} msg/s")
    print(f"  raw nats-py pull fetch(500) + ack   : {raw_con:10,.0f} msg/s")
    print(
        f"  (same, server default fsync every 2 min: publish {nosync_pub:,.0f} msg/s, consume {nosync_con:,.0f} msg/s)"
    )
    print(
        f"  outbox -> JetStream -> inbox + write: {throughput:10,.0f} events/s  ({elapsed:.2f} s)"
    )
    print(
        f"  stages: all committed to the outbox at {emitted_at:.2f} s, all published at "
        f"{relayed_at:.2f} s, all applied at {elapsed:.2f} s"
    )
    print(f"  ratio pipeline / raw consume        : {throughput / raw_con:10.2%}")
    print(f"  ratio pipeline / raw publish        : {throughput / raw_pub:10.2%}")
    print(f"  audit hash chain of every event     : {audit:10,.0f} events/s (a backlog)")
    print(
        f"  latency, all at once (queueing)     : p50 {pct(bulk_lat, 50):8.1f} ms   p99 {pct(bulk_lat, 99):8.1f} ms"
    )
    print(
        f"  latency, paced {paced_rate}/s             : p50 {pct(paced_lat, 50):8.1f} ms   p99 {pct(paced_lat, 99):8.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--paced-rate", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.paced_rate))
