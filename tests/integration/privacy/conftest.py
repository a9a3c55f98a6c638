"""A privacy runtime on a real database (SQLite file, or PostgreSQL when configured)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from privacy.service import SERVICE
from privacy.settings import PrivacySettings
from privacy.usecases.vault import Vault, vault_of
from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.kit.settings import Settings
from services.runtime.composition import start_services
from tests.support import FakeClock, close_runtime, make_runtime, open_service_db


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def rt(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Runtime]:
    db = await open_service_db(SERVICE, database_url, clock)
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    runtime = make_runtime(settings, {"privacy": db}, clock=clock)
    runtime.put_settings(PrivacySettings(master_key=None))  # the key file, whatever the env
    await start_services(runtime, [SERVICE])  # on_start: the vault
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
