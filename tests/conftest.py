"""Fixtures shared by every test: database URLs for SQLite files and (when configured) PostgreSQL."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

POSTGRES_ENV = "RETORNO_TEST_POSTGRES_URL"
TMPDIR_ENV = "RETORNO_TEST_TMPDIR"
SHM = Path("/dev/shm")

# Property tests check behaviour, not speed: no per-example deadline (on a loaded 2-core
# machine a slow example is not a failure; speed is measured in `make bench`).
settings.register_profile("retorno", deadline=None)
settings.load_profile("retorno")


def pytest_configure(config: pytest.Config) -> None:
    """Test files (``tmp_path``: SQLite files, JetStream stores, exports) in memory when the
    machine has a tmpfs (``/dev/shm``) with room: the services fsync every commit
    (``synchronous=FULL``, ``sync_interval: always``), a no-op there, and on a shared disk
    those fsyncs were most of an integration test's time (9 s against 1 s to migrate every
    service's database). A test only kills processes, never the machine, so what it sees
    is the same. ``RETORNO_TEST_TMPDIR`` names another directory (``/tmp`` for the disk);
    ``--basetemp`` still wins."""
    chosen = os.environ.get(TMPDIR_ENV)
    if not chosen and _tmpfs_with_room(SHM):
        chosen = str(SHM)
    if chosen and config.option.basetemp is None:
        tempfile.tempdir = chosen  # pytest's base temp dir and the test's own temp files


def _tmpfs_with_room(path: Path) -> bool:
    writable = path.is_dir() and os.access(path, os.W_OK | os.X_OK)
    return writable and shutil.disk_usage(path).free > 2 * 1024**3


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test (commits without waiting for the WAL
    flush: ``synchronous_commit = off``), dropped afterwards."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        if os.environ.get("RETORNO_REQUIRE_POSTGRES"):
            pytest.fail(f"{POSTGRES_ENV} is required (RETORNO_REQUIRE_POSTGRES is set)")
        pytest.skip(f"{POSTGRES_ENV} is not set; PostgreSQL tests run in CI")
    name = f"retorno_t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
            # A commit does not wait for its WAL flush: no test crashes the PostgreSQL server,
            # so nothing a test sees changes (locks, isolation, constraints are the same), and
            # each commit stops costing an fsync on the shared disk.
            await conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    except Exception as exc:  # pragma: no cover - depends on the machine
        await admin.dispose()
        if os.environ.get("RETORNO_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL at {POSTGRES_ENV} is not reachable: {exc}")
        pytest.skip(f"PostgreSQL at {POSTGRES_ENV} is not reachable: {exc}")
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs the test once on a SQLite file and once on PostgreSQL (skipped if not configured)."""
    yield request.getfixturevalue(f"{request.param}_url")
