from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from services.kit.settings import Settings
from services.runtime.cli import _migrate_all
from services.runtime.embedded import free_port
from services.runtime.node import Node
from services.runtime.registry import all_services, service_names
from tests.support import eventually  # noqa: F401  (re-exported for the tests here)


@dataclass
class System:
    node: Node
    http: httpx.AsyncClient
    data_dir: Path
    tokens: dict[str, str]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[System]:
    """The whole system in one process, as `make run` starts it, on free ports."""
    from services.api.usecases import add_user

    settings = Settings(
        data_dir=tmp_path / "var",
        http_port=free_port(),
        nats_port=free_port(),
        nats_monitor_port=free_port(),
        relay_poll_seconds=0.1,
    )
    await asyncio.to_thread(_migrate_all, settings)
    node = Node(settings, all_services(), set(service_names()), http=True)
    rt = await node.start()
    tokens = {}
    for role, offices in [
        ("caseworker", ["GT-GUA"]),
        ("other_office_caseworker", ["MX-TAP"]),
        ("supervisor", ["GT-GUA"]),
        ("auditor", []),
        ("data_protection_officer", []),
        ("evaluator", []),
        ("admin", []),
    ]:
        real_role = "caseworker" if role == "other_office_caseworker" else role
        _user, tokens[role] = await add_user(rt, role.replace("_", "-")[:30], real_role, offices)
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http_port}", timeout=30)
    try:
        yield System(node, client, settings.data_dir, tokens)
    finally:
        await client.aclose()
        await node.stop()
