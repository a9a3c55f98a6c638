from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from services.kit.settings import Settings
from services.runtime.embedded import free_port
from services.runtime.node import Node
from tests.support import eventually  # noqa: F401  (re-exported for the tests here)

NodeFactory = Callable[..., Awaitable[Node]]


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "nats_port": free_port(),
        "nats_monitor_port": free_port(),
        "relay_poll_seconds": 0.1,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> str | None:
    """None: one SQLite file per service (the default); else a fresh PostgreSQL database
    shared by the services (their tables are prefixed)."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def start_node(tmp_path: Path, database: str | None) -> AsyncIterator[NodeFactory]:
    """Start Nodes on a fresh data dir and database, with an embedded nats-server."""
    nodes: list[Node] = []

    async def factory(
        services: list[Any], active: set[str] | None = None, **overrides: Any
    ) -> Node:
        overrides.setdefault("database_url", database)
        settings = overrides.pop("settings", None) or make_settings(tmp_path / "var", **overrides)
        node = Node(
            settings, services, active if active is not None else {s.name for s in services}
        )
        nodes.append(node)
        await node.start()
        return node

    yield factory
    for node in reversed(nodes):
        await node.stop()


class SlowLink:
    """A TCP proxy to a broker that hands on every chunk ``delay`` seconds after it came, in
    order, both ways: the broker seen across a network instead of on loopback."""

    def __init__(self, port: int, delay: float) -> None:
        self.target, self.delay = port, delay
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    async def start(self) -> SlowLink:
        self._server = await asyncio.start_server(self._connect, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                at, data = await chunks.get()
                if not data:
                    writer.close()
                    return
                await asyncio.sleep(max(0.0, at - loop.time()))
                writer.write(data)
                await writer.drain()

        delivering = asyncio.create_task(deliver())
        try:
            while data := await reader.read(65536):
                chunks.put_nowait((loop.time() + self.delay, data))
        except asyncio.CancelledError:
            delivering.cancel()
            raise
        chunks.put_nowait((0.0, b""))
        with contextlib.suppress(OSError):
            await delivering
