"""The README's stream backup, rehearsed: stop one node of the 3-node cluster, copy its store,
start it again; later the whole cluster is lost, and every node is restored from that copy.
The stream comes back with every event up to the backup and the durable consumers resume
where they were at the backup (events after it are lost with the cluster: say so)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig

from events.envelope import STREAM_NAME
from services.runtime.embedded import LocalCluster
from services.runtime.streams import StreamSettings, ensure_streams

pytestmark = pytest.mark.integration


async def _publish(url: str, first: int, count: int) -> None:
    nc = await nats.connect(url.split(","))
    js = nc.jetstream()
    for n in range(first, first + count):
        await js.publish(f"retorno.probe.ping_{n % 3}", b"{}", headers={"Nats-Msg-Id": f"m{n}"})
    await nc.close()


async def _state(url: str) -> tuple[int, int, int]:
    """(messages in the stream, last sequence, the probe consumer's acknowledged floor)."""
    nc = await nats.connect(url.split(","))
    js = nc.jetstream()
    info = await js.stream_info(STREAM_NAME)
    consumer = await js.consumer_info(STREAM_NAME, "probe")
    await nc.close()
    return int(info.state.messages), int(info.state.last_seq), int(consumer.ack_floor.stream_seq)


async def _wait_state(url: str, expected: tuple[int, int, int], timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    last: object = None
    while asyncio.get_running_loop().time() < deadline:
        try:
            last = await _state(url)
            if last == expected:
                return
        except Exception as e:  # the restored cluster elects its leaders first
            last = e
        await asyncio.sleep(0.5)
    raise AssertionError(f"expected {expected}, last seen {last!r}")


async def test_a_cluster_restored_from_one_nodes_store_copy_has_the_stream_up_to_the_backup(
    tmp_path: Path,
) -> None:
    cluster = LocalCluster(tmp_path / "nats")
    cluster.start()
    try:
        nc = await nats.connect(cluster.url.split(","))
        js = nc.jetstream()
        await ensure_streams(js, StreamSettings(replicas=3))
        await js.add_consumer(
            STREAM_NAME,
            ConsumerConfig(durable_name="probe", ack_policy=AckPolicy.EXPLICIT, num_replicas=3),
        )
        await nc.close()
        await _publish(cluster.url, 0, 50)
        nc = await nats.connect(cluster.url.split(","))
        sub = await nc.jetstream().pull_subscribe_bind("probe", STREAM_NAME)
        acked = 0
        while acked < 20:
            for msg in await sub.fetch(20 - acked, timeout=5):
                await msg.ack_sync()
                acked += 1
        await nc.close()
        await _wait_state(cluster.url, (50, 50, 20))

        # the backup: stop one node (the others keep the cluster going), copy, start it again
        node = cluster.nodes[2]
        await asyncio.to_thread(node.stop)
        backup = tmp_path / "backup"
        shutil.copytree(node.store_dir / "jetstream", backup)
        node.launch()
        await asyncio.to_thread(cluster.wait_current)
        await _publish(cluster.url, 50, 10)  # after the backup: lost with the cluster
        await _wait_state(cluster.url, (60, 60, 20))
    finally:
        cluster.stop()

    # the cluster is lost; a new one on the same names starts from the copy on every node
    restored = LocalCluster(tmp_path / "restored")
    for each in restored.nodes:
        each.store_dir.mkdir(parents=True)
        shutil.copytree(backup, each.store_dir / "jetstream")
    restored.start()
    try:
        await _wait_state(restored.url, (50, 50, 20))
        await _publish(restored.url, 100, 5)  # and it takes new events
        await _wait_state(restored.url, (55, 55, 20))
    finally:
        restored.stop()
