from __future__ import annotations

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
