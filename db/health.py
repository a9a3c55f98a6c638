"""Whether a service's database answers: a read-only probe (never takes SQLite's write lock)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text

from db.uow import ServiceDatabase

PROBE_TIMEOUT_SECONDS = 2.0


async def probe(db: ServiceDatabase) -> dict[str, Any]:
    try:
        async with db.reading() as session:
            await asyncio.wait_for(session.execute(text("SELECT 1")), PROBE_TIMEOUT_SECONDS)
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "dialect": db.engine.dialect.name}
