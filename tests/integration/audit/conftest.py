"""Fixtures for the audit service against a real database (SQLite file, PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from db.uow import ServiceDatabase
from services.audit.service import SERVICE
from services.audit.usecases.keys import SIGNER as SIGNER_KEY
from services.kit.definition import Runtime
from services.kit.settings import Settings
from tests.integration.audit.feeding import SIGNER
from tests.support import make_runtime, open_service_db


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[ServiceDatabase]:
    database = await open_service_db(SERVICE, database_url)
    try:
        yield database
    finally:
        await database.engine.dispose()


@pytest.fixture
def rt(db: ServiceDatabase, tmp_path: Path) -> Runtime:
    runtime = make_runtime(Settings(data_dir=tmp_path / "data"), {"audit": db}, clock=db.clock)
    runtime.put(SIGNER_KEY, SIGNER)
    return runtime
