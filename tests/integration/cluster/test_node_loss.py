"""The services on a 3-node JetStream cluster, streams and consumers at 3 replicas: a node
SIGKILLed under load and restarted loses no acknowledged event, applies none twice, and the
services carry on."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import func, select

from events.envelope import STREAM_NAME
from services.funding.store import commitments
from services.registration.store import cases
from services.runtime.streams import DLQ_STREAM_NAME

from .conftest import (
    cluster_settings,
    create_fund,
    eventually,
    inbox_ids,
    leftovers,
    matches,
    outbox_ids,
    register_and_screen,
    stream_messages,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CASES = 36


async def test_a_node_killed_under_load_loses_no_event_and_applies_none_twice(
    tmp_path, cluster, start_system
):
    settings = cluster_settings(tmp_path / "var", cluster)
    s = await start_system(settings)
    js = s.nodes[0].js
    for config_file in (node.config_path for node in cluster.nodes):
        assert "sync_interval: always" in config_file.read_text()
    for stream in (STREAM_NAME, DLQ_STREAM_NAME):
        info = await js.stream_info(stream)
        assert info.config.num_replicas == 3
        assert info.cluster is not None and info.cluster.name == "retorno"
    for name in s.nodes[0].runners:
        assert (await js.consumer_info(STREAM_NAME, name)).config.num_replicas == 3
    await create_fund(s)

    leader = (await js.stream_info(STREAM_NAME)).cluster.leader  # type: ignore[union-attr]
    victim = next(n for n in cluster.nodes if n.server_name == leader)
    done: list = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(CASES):
        queue.put_nowait(n)

    async def client() -> None:
        while not queue.empty():
            done.append(await register_and_screen(s, queue.get_nowait()))

    async def chaos() -> None:
        await eventually(lambda: _at_least(done, CASES // 3), timeout=120)
        victim.kill()  # SIGKILL the stream leader while events flow
        await eventually(lambda: _at_least(done, 2 * CASES // 3), timeout=120)
        await asyncio.to_thread(victim.start)  # same store directory and ports
        await asyncio.to_thread(cluster.wait_current)

    await asyncio.gather(chaos(), *(client() for _ in range(4)))
    assert victim.process is not None  # it came back

    rt = s.rt

    async def drained():
        async with rt.db("registration").reading() as session:
            approved = await session.scalar(
                select(func.count()).where(cases.c.status == "funding_approved")
            )
        flow = await s.nodes[0].flow()
        idle = all(
            f.get("outbox_unpublished") == 0
            and f.get("consumer_pending", 0) == 0
            and f.get("consumer_unacknowledged", 0) == 0
            and "error" not in f
            for f in flow.values()
        )
        return approved == CASES and idle, approved, flow

    last: list = []

    async def drained_ok() -> bool:
        ok, *state = await drained()
        last[:] = state
        return bool(ok)

    try:
        await eventually(drained_ok, timeout=180)  # a lost ack waits out the 30 s ack wait
    except AssertionError as exc:
        raise AssertionError(f"not drained: {last}") from exc

    outboxes = await outbox_ids(rt)
    committed = [event_id for rows in outboxes.values() for event_id, _ in rows]
    assert all(published for rows in outboxes.values() for _, published in rows)
    on_stream = await stream_messages(js)
    stream_ids = [event_id for event_id, _ in on_stream]
    assert len(stream_ids) == len(set(stream_ids)), "an event is twice on the stream"
    assert sorted(stream_ids) == sorted(committed), "the stream and the outboxes differ"
    for name, runner in s.nodes[0].runners.items():
        expected = {
            event_id for event_id, subject in on_stream if matches(subject, runner.subjects)
        }
        applied = await inbox_ids(rt, name)
        assert len(applied) == len(set(applied))
        assert set(applied) == expected, f"{name} applied other events than the stream holds"
        assert await leftovers(rt, name) == {f"{name}_dead_letter": 0, f"{name}_parked": 0}
    audit = await inbox_ids(rt, "audit")
    assert sorted(audit) == sorted(stream_ids)  # every event chained once
    async with rt.db("funding").reading() as session:
        per_case = Counter((await session.scalars(select(commitments.c.case_id))).all())
    assert sorted(per_case) == sorted(done) and set(per_case.values()) == {1}
    verified = await s.http.get(
        "/api/audit/verify", headers={"Authorization": f"Bearer {await _auditor(s)}"}
    )
    assert verified.json()["intact"] is True, verified.text

    # The services carry on: a case after the restart goes through as before.
    later = await register_and_screen(s, CASES)
    await eventually(lambda: _approved(s, later), timeout=60)


def _at_least(items: list, n: int):
    async def check() -> bool:
        return len(items) >= n

    return check()


async def _approved(s, case_id) -> bool:  # type: ignore[no-untyped-def]
    async with s.rt.db("registration").reading() as session:
        status = await session.scalar(select(cases.c.status).where(cases.c.case_id == case_id))
    return status == "funding_approved"


async def _auditor(s) -> str:  # type: ignore[no-untyped-def]
    from services.api.usecases import add_user

    _user, token = await add_user(s.rt, "auditor", "auditor", [])
    return token
