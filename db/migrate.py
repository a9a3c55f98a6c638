"""Apply or revert each service's branch of the Alembic history against its database."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(service: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["service"] = service
    config.attributes["url"] = url
    return config


def branches() -> list[str]:
    """Every service that has a branch in the history."""
    script = ScriptDirectory.from_config(alembic_config("-", "-"))
    labels: set[str] = set()
    for revision in script.walk_revisions():
        labels.update(revision.branch_labels)
    return sorted(labels)


SQLITE = "sqlite+aiosqlite:///"


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith(SQLITE):
        Path(url[len(SQLITE) :]).parent.mkdir(parents=True, exist_ok=True)


@contextlib.contextmanager
def _one_at_a_time(url: str) -> Iterator[None]:
    """Processes that migrate one SQLite file at once take turns (an exclusive ``flock`` on
    ``<file>.migrate-lock``); on PostgreSQL, env.py takes an advisory lock instead."""
    if not url.startswith(SQLITE) or url == SQLITE + ":memory:":
        yield
        return
    with open(url[len(SQLITE) :] + ".migrate-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def upgrade(service: str, url: str, target: str = "head") -> None:
    _ensure_sqlite_dir(url)
    with _one_at_a_time(url):
        command.upgrade(alembic_config(service, url), f"{service}@{target}")


def downgrade(service: str, url: str, target: str = "base") -> None:
    command.downgrade(alembic_config(service, url), f"{service}@{target}")


async def upgrade_async(service: str, url: str, target: str = "head") -> None:
    """For callers already inside an event loop (env.py runs its own loop)."""
    await asyncio.to_thread(upgrade, service, url, target)
