from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from db.migrate import downgrade, upgrade
from services.funding import store
from tests.support import table_names


async def test_funding_branch_upgrades_and_downgrades_step_by_step(database_url: str) -> None:
    await asyncio.to_thread(upgrade, "funding", database_url)
    created = await table_names(database_url)
    await asyncio.to_thread(downgrade, "funding", database_url, "base")
    remaining = await table_names(database_url)
    await asyncio.to_thread(upgrade, "funding", database_url)

    assert set(store.metadata.tables) <= created
    assert not any(
        name.startswith("funding_") and name != "funding_alembic_version" for name in remaining
    )
    assert set(store.metadata.tables) <= await table_names(database_url)


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "version_table": "funding_alembic_version"}
    )
    return [d for d in compare_metadata(context, store.metadata) if "alembic_version" not in str(d)]


async def test_migrated_schema_matches_the_store_tables(database_url: str) -> None:
    await asyncio.to_thread(upgrade, "funding", database_url)
    engine = create_async_engine(database_url)

    async with engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    await engine.dispose()

    assert diff == []


async def test_funding_0003_gives_every_earlier_pledge_and_receipt_its_own_id(
    database_url: str,
) -> None:
    await asyncio.to_thread(upgrade, "funding", database_url, "funding_0002")
    engine = create_async_engine(database_url)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO funding_funds (period, currency, per_person_cap_cents, target_cents,"
                " received_cents, committed_cents, disbursed_cents, created_at, created_by)"
                " VALUES ('2026', 'USD', 100000, 6000000, 300, 0, 0, :now, 'u')"
            ),
            {"now": now},
        )
        for table in ("funding_pledges", "funding_receipts"):
            for cents in (100, 200):
                await conn.execute(
                    text(
                        f"INSERT INTO {table} (period, member, amount_cents, on_date,"  # noqa: S608
                        " recorded_at, recorded_by) VALUES ('2026', 'CA', :c, :d, :now, 'u')"
                    ),
                    {"c": cents, "d": date(2026, 1, 5), "now": now},
                )

    await asyncio.to_thread(upgrade, "funding", database_url)

    async with engine.connect() as conn:
        ids = [
            row[0]
            for table in (store.pledges, store.receipts)
            for row in await conn.execute(select(table.c.entry_id))
        ]
    await engine.dispose()
    assert len(ids) == 4 and None not in ids
    assert len({str(i) for i in ids}) == 4
