"""A privacy runtime on a real database (SQLite file, or PostgreSQL when configured)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from privacy.service import SERVICE
from privacy.usecases.vault import Vault, vault_of
from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.kit.settings import Settings
from tests.support import FakeClock, close_runtime, open_runtime


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def rt(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Runtime]:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, master_key=None)
    runtime = await open_runtime(settings, [SERVICE], clock=clock)  # on_start: the vault
    yield runtime
    await close_runtime(runtime)


@pytest.fixture
def vault(rt: Runtime) -> Vault:
    return vault_of(rt)


@pytest.fixture
def dpo() -> Principal:
    return Principal(user_id="u_dpo", role="data_protection_officer")


@pytest.fixture
def person_ref() -> str:
    return f"p_{secrets.token_hex(16)}"
