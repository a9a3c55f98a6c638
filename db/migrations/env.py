"""Alembic environment: one history, one branch per service, one version table per service.

Run through ``db.migrate`` (``retorno migrate``), which passes the service and its URL.
"""

from __future__ import annotations

import asyncio
import zlib

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

config = context.config
service: str = config.attributes["service"]
url: str = config.attributes["url"]


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        version_table=f"{service}_alembic_version",
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Replicas of a service start at once: one migrates, the others wait here and
            # then find the schema at head (the lock ends with the migration's transaction).
            key = zlib.crc32(f"retorno-migrate-{service}".encode())
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_async())
