"""A service started before its broker or its database waits for them with a growing delay,
one log line per attempt and no traceback, then runs; and it recovers when they go away and
come back (a node of the cluster, the database)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest
from sqlalchemy.engine import make_url

from benchmarks.probe import RECEIVER, SENDER, applied_rows, send
from services.runtime.embedded import LocalCluster, free_port
from services.runtime.node import Node

from .conftest import cluster_settings, eventually, leftovers

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _waiting_lines(caplog: pytest.LogCaptureFixture, what: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "retorno.readiness" and r.getMessage().startswith(f"waiting for {what}")
    ]


def _database_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Lines of a node waiting for a database (it opens each service's, sender's first)."""
    return [
        r
        for r in caplog.records
        if r.name == "retorno.readiness"
        and r.getMessage().startswith("waiting for the ")
        and " database (" in r.getMessage()
    ]


def _assert_clear(records: list[logging.LogRecord]) -> None:
    for record in records:
        assert record.exc_info is None and record.exc_text is None
        assert "\n" not in record.getMessage()
        assert "Traceback" not in record.getMessage()


async def test_a_service_started_before_the_cluster_waits_for_it_and_then_runs(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="retorno")
    cluster = LocalCluster(tmp_path / "nats")  # not started yet
    node = Node(
        cluster_settings(tmp_path / "var", cluster, startup_retry_max_seconds=1),
        [SENDER, RECEIVER],
        {"sender", "receiver"},
    )
    starting = asyncio.create_task(node.start())
    try:
        await eventually(lambda: _some(len(_waiting_lines(caplog, "the broker")) >= 3), 30)
        assert not starting.done()
        await asyncio.to_thread(cluster.start)
        await asyncio.wait_for(starting, 60)

        ids = await send(node.runtime, 1, 2, 3)

        rows = await eventually(lambda: _applied(node, 3), 30)
        assert [event_id for event_id, _ in rows] == ids
        lines = _waiting_lines(caplog, "the broker")
        _assert_clear(lines)
        assert "attempt 1 failed, next in 0.5s" in lines[0].getMessage()
        assert any("answers after" in r.getMessage() for r in caplog.records)
    finally:
        await _cancel(starting)
        await node.stop()
        cluster.stop()


class TcpProxy:
    """A loopback TCP forwarder to the PostgreSQL server: 'the database is down' is this
    proxy not listening (and its connections cut), so the real server stays untouched."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}


async def test_a_service_waits_for_its_database_and_recovers_when_it_comes_back(
    tmp_path, cluster, postgres_url, caplog
):
    caplog.set_level(logging.INFO, logger="retorno")
    url = make_url(postgres_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    sender = Node(
        cluster_settings(tmp_path / "a", cluster, database_url=postgres_url),
        [SENDER, RECEIVER],
        {"sender"},
    )
    receiver = Node(  # its database goes through the proxy; at most 2 deliveries per event
        cluster_settings(
            tmp_path / "b",
            cluster,
            database_url=through_proxy,
            startup_retry_max_seconds=1,
            max_deliver=2,
        ),
        [SENDER, RECEIVER],
        {"receiver"},
    )
    await sender.start()
    starting = asyncio.create_task(receiver.start())
    try:
        await eventually(lambda: _some(len(_database_lines(caplog)) >= 2))
        assert not starting.done()
        await proxy.start()
        await asyncio.wait_for(starting, 60)
        first = await send(sender.runtime, 1)
        await eventually(lambda: _applied(receiver, 1), 30)

        before = len(_database_lines(caplog))
        await proxy.stop()  # the database goes away under a running consumer ...
        later = await send(sender.runtime, 2, 3, 4)
        await eventually(lambda: _some(len(_database_lines(caplog)) >= before + 3), 30)
        await proxy.start()  # ... and comes back

        rows = await eventually(lambda: _applied(receiver, 4), 60)
        assert [event_id for event_id, _ in rows] == first + later
        assert await leftovers(receiver.runtime, "receiver") == {
            "receiver_dead_letter": 0,
            "receiver_parked": 0,
        }
        _assert_clear(_database_lines(caplog))
    finally:
        await _cancel(starting)
        await receiver.stop()
        await sender.stop()
        await proxy.stop()


async def _cancel(task: asyncio.Task) -> None:  # type: ignore[type-arg]
    if not task.done():
        task.cancel()
        with contextlib.suppress(BaseException):
            await task


async def _some(value: bool) -> bool:
    return value


async def _applied(node: Node, n: int):  # type: ignore[no-untyped-def]
    assert node.runtime is not None
    rows = await applied_rows(node.runtime)
    return rows if len(rows) >= n else None
