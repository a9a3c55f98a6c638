"""A privacy runtime on a real database (SQLite file, or PostgreSQL when configured)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from privacy.service import SERVICE
from privacy.settings import PrivacySettings
from privacy.usecases.vault import Vault, vault_of
from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.kit.settings import Settings
from tests.support import open_service_db


@dataclass
class FakeClock:
    now: datetime = field(default_factory=lambda: datetime(2030, 1, 15, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def rt(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Runtime]:
    db = await open_service_db(SERVICE, database_url, clock)
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    runtime = Runtime(settings=settings, databases={"privacy": db}, clock=clock)
    runtime.put_settings(PrivacySettings(master_key=None))  # the key file, whatever the env
    assert SERVICE.on_start is not None
    await SERVICE.on_start(runtime)
    yield runtime
    await db.engine.dispose()


@pytest.fixture
def vault(rt: Runtime) -> Vault:
    return vault_of(rt)


@pytest.fixture
def dpo() -> Principal:
    return Principal(user_id="u_dpo", role="data_protection_officer")


@pytest.fixture
def person_ref() -> str:
    return f"p_{secrets.token_hex(16)}"
