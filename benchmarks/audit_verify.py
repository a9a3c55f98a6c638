"""`make bench`: `retorno audit verify` over a 200k-record log, next to plain chained SHA-256
over the same bytes in the same run; time and peak memory (tracemalloc, a separate pass).

On a temporary SQLite file, and on PostgreSQL too when RETORNO_TEST_POSTGRES_URL is set (a
temporary database, dropped afterwards).

Usage: python -m benchmarks.audit_verify [--records N]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.audit_scenario import build  # noqa: E402
from db.engine import make_engine  # noqa: E402
from db.migrate import upgrade_async  # noqa: E402
from db.uow import ServiceDatabase  # noqa: E402
from services.audit import store  # noqa: E402
from services.audit.domain.chain import (  # noqa: E402
    GENESIS,
    RULE_COLUMNS,
    canonical,
    column_texts,
    column_values,
    columns_text,
    hashed_text,
    link,
)
from services.audit.domain.signing import CheckpointSigner, sign  # noqa: E402
from services.audit.store.chain import HEAD_ID  # noqa: E402
from services.audit.usecases.keys import SIGNER as SIGNER_KEY  # noqa: E402
from services.audit.usecases.verify import verify_log  # noqa: E402
from services.kit.definition import Runtime  # noqa: E402
from services.kit.settings import Settings  # noqa: E402

SIGNER = CheckpointSigner(Ed25519PrivateKey.generate())


async def fill(db: ServiceDatabase, n: int) -> None:
    """A log of n records chained by the service's own rule, inserted in bulk."""
    now = datetime.now(UTC)
    base = [(e, canonical(e), str(e.event_id)) for e in build().envelopes]
    prev, rows = GENESIS, []
    async with db.engine.begin() as conn:
        for i in range(n):
            envelope, body, old = base[i % len(base)]
            event_id = uuid.uuid4()
            body = body.replace(old, str(event_id))
            values = column_values(envelope, now)
            values["event_id"] = event_id
            digest = link(prev, hashed_text(body, RULE_COLUMNS, columns_text(column_texts(values))))
            rows.append(
                {
                    **values,
                    "position": i + 1,
                    "envelope": body,
                    "prev_hash": prev,
                    "hash": digest,
                    "hash_rule": RULE_COLUMNS,
                }
            )
            prev = digest
            if len(rows) == 5000:
                await conn.execute(insert(store.log), rows)
                rows = []
        if rows:
            await conn.execute(insert(store.log), rows)
        head = sign(SIGNER, n, prev, now)
        await conn.execute(
            update(store.head).where(store.head.c.id == HEAD_ID).values(**head.model_dump())
        )


async def plain_chain_from_db(db: ServiceDatabase) -> str:
    """The reference: stream the same envelope bytes and chain SHA-256 over them."""
    prev = bytes(32)
    async with db.engine.connect() as conn:
        result = await conn.stream(
            select(store.log.c.envelope)
            .order_by(store.log.c.position)
            .execution_options(yield_per=2000)
        )
        async for part in result.partitions(2000):
            for (body,) in part:
                prev = hashlib.sha256(prev + body.encode()).digest()
    return prev.hex()


async def all_bytes(db: ServiceDatabase) -> list[bytes]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(select(store.log.c.envelope).order_by(store.log.c.position))
        return [r[0].encode() for r in rows]


def plain_chain(data: list[bytes]) -> str:
    prev = bytes(32)
    for body in data:
        prev = hashlib.sha256(prev + body).digest()
    return prev.hex()


async def timed(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = await work()
    return time.perf_counter() - start, result


async def peak(work: Callable[[], Awaitable[Any]]) -> float:
    tracemalloc.start()
    try:
        await work()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


async def run(label: str, url: str, n: int, data_dir: Path) -> None:
    await upgrade_async("audit", url)
    db = ServiceDatabase("audit", make_engine(url), store.messaging)
    rt = Runtime(Settings(data_dir=data_dir), {"audit": db})
    rt.put(SIGNER_KEY, SIGNER)
    try:
        start = time.perf_counter()
        await fill(db, n)
        print(f"{label}: built {n} records in {time.perf_counter() - start:.1f}s")
        data = await all_bytes(db)
        size = sum(map(len, data)) / 2**20
        start = time.perf_counter()
        plain_chain(data)
        t_mem = time.perf_counter() - start
        del data
        t_db, _ = await timed(lambda: plain_chain_from_db(db))
        t_verify, result = await timed(lambda: verify_log(rt))
        assert result.intact, result.problem
        m_db = await peak(lambda: plain_chain_from_db(db))
        m_verify = await peak(lambda: verify_log(rt))
        print(
            f"{label}: {n} records, {size:.0f} MiB of envelopes\n"
            f"  plain chained SHA-256, bytes in memory:   {t_mem:6.2f}s\n"
            f"  plain chained SHA-256, streamed from db:  {t_db:6.2f}s  peak {m_db:6.1f} MiB\n"
            f"  retorno audit verify:                     {t_verify:6.2f}s  peak {m_verify:6.1f} MiB\n"
            f"  ratio verify / plain (streamed): {t_verify / t_db:.2f}x; "
            f"verify / plain (in memory): {t_verify / t_mem:.2f}x"
        )
    finally:
        await db.engine.dispose()


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await run("sqlite", f"sqlite+aiosqlite:///{tmp}/audit.db", n, Path(tmp))
        base = os.environ.get("RETORNO_TEST_POSTGRES_URL")
        if not base:
            print("postgresql: skipped (set RETORNO_TEST_POSTGRES_URL)")
            return
        name = f"retorno_bench_{uuid.uuid4().hex[:8]}"
        admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(base).set(database=name).render_as_string(hide_password=False)
            await run("postgresql", url, n, Path(tmp))
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=200_000)
    asyncio.run(main(parser.parse_args().records))
