"""Fixtures for the evaluation service against a real database (SQLite file, PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.evaluation.service import SERVICE
from services.kit.definition import Runtime
from tests.integration.evaluation.scenario import make_runtime
from tests.support import open_service_db


@pytest.fixture
async def rt(database_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    db = await open_service_db(SERVICE, database_url)
    try:
        yield make_runtime(db, tmp_path / "data")
    finally:
        await db.engine.dispose()
