"""The audit branch upgrades and downgrades on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from db.migrate import downgrade, upgrade_async


async def tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_the_audit_branch_goes_up_down_and_up_again(database_url: str) -> None:
    await upgrade_async("audit", database_url)
    up = await tables(database_url)
    await asyncio.to_thread(downgrade, "audit", database_url)
    down = await tables(database_url)
    await upgrade_async("audit", database_url)

    assert {"audit_log", "audit_head", "audit_checkpoints", "audit_inbox"} <= up
    assert not {t for t in down if t.startswith("audit_") and t != "audit_alembic_version"}
    assert await tables(database_url) == up
