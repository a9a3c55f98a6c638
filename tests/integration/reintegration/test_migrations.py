"""The reintegration branch creates exactly the store's tables (the parked table with them),
on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from db.migrate import downgrade, upgrade
from services.reintegration import store


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "version_table": "reintegration_alembic_version"}
    )
    return [d for d in compare_metadata(context, store.metadata) if "alembic_version" not in str(d)]


async def test_the_first_revision_creates_the_store_tables_and_the_parked_table(database_url):
    await asyncio.to_thread(upgrade, "reintegration", database_url)
    created = await _tables(database_url)
    assert set(store.metadata.tables) <= created
    assert "reintegration_parked" in created

    engine = create_async_engine(database_url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    await engine.dispose()
    assert diff == []

    await asyncio.to_thread(downgrade, "reintegration", database_url, "base")
    assert await _tables(database_url) <= {"reintegration_alembic_version"}
