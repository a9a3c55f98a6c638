from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from db.migrate import downgrade, upgrade
from privacy.store import metadata
from tests.support import table_names


async def test_privacy_branch_upgrades_and_downgrades_step_by_step(database_url: str) -> None:
    await asyncio.to_thread(upgrade, "privacy", database_url)
    created = await table_names(database_url)

    await asyncio.to_thread(downgrade, "privacy", database_url, "base")
    remaining = await table_names(database_url)
    await asyncio.to_thread(upgrade, "privacy", database_url)

    assert set(metadata.tables) <= created
    assert not {t for t in remaining if t.startswith("privacy_") and t != "privacy_alembic_version"}
    assert set(metadata.tables) <= await table_names(database_url)


async def test_migrated_schema_matches_the_tables_in_code(database_url: str) -> None:
    await asyncio.to_thread(upgrade, "privacy", database_url)
    engine = create_async_engine(database_url)

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [
            d
            for d in compare_metadata(context, metadata)
            if not (d[0] == "remove_table" and d[1].name == "privacy_alembic_version")
        ]

    async with engine.connect() as connection:
        found = await connection.run_sync(differences)
    await engine.dispose()

    assert found == []
