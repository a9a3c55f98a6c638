"""The audit branch upgrades and downgrades on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from db.migrate import downgrade, upgrade_async
from tests.support import table_names


async def test_the_audit_branch_goes_up_down_and_up_again(database_url: str) -> None:
    await upgrade_async("audit", database_url)
    up = await table_names(database_url)
    await asyncio.to_thread(downgrade, "audit", database_url)
    down = await table_names(database_url)
    await upgrade_async("audit", database_url)

    assert {"audit_log", "audit_head", "audit_checkpoints", "audit_inbox"} <= up
    assert not {t for t in down if t.startswith("audit_") and t != "audit_alembic_version"}
    assert await table_names(database_url) == up
