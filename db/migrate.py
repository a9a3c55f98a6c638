"""Apply or revert each service's branch of the Alembic history against its database."""

from __future__ import annotations

import asyncio
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


def _ensure_sqlite_dir(url: str) -> None:
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix):
        Path(url[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)


def upgrade(service: str, url: str, target: str = "head") -> None:
    _ensure_sqlite_dir(url)
    command.upgrade(alembic_config(service, url), f"{service}@{target}")


def downgrade(service: str, url: str, target: str = "base") -> None:
    command.downgrade(alembic_config(service, url), f"{service}@{target}")


async def upgrade_async(service: str, url: str, target: str = "head") -> None:
    """For callers already inside an event loop (env.py runs its own loop)."""
    await asyncio.to_thread(upgrade, service, url, target)
