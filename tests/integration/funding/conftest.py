"""Fixtures for the funding service against a real database (SQLite file, PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from db.uow import ServiceDatabase
from services.funding.service import SERVICE
from tests.integration.funding.test_api import api  # noqa: F401  (the HTTP client fixture)
from tests.support import open_service_db


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[ServiceDatabase]:
    database = await open_service_db(SERVICE, database_url)
    try:
        yield database
    finally:
        await database.engine.dispose()
