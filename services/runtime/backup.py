"""Back up and restore each service's database, and replay the stream into a restored one.

A backup is one file per service: ``<service>.db`` (SQLite's online backup, a consistent copy
while services run) or ``<service>.dump`` (``pg_dump --format=custom``). A restore writes it
back with the services stopped. Then ``replay`` deletes the service's durable consumer, so at
its next start the consumer is created again at the start of the stream and the service
applies every event it had not applied when the backup was taken; its inbox skips the rest.
For privacy that re-applies erasures made after the backup (see ``privacy/handlers.py``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from events.envelope import STREAM_NAME


class BackupError(RuntimeError):
    pass


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(url.database)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL without its password, and the environment carrying the password."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} was not found: install the PostgreSQL client") from exc
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:500]}")


def _sqlite_copy(source: Path, target: Path) -> None:
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


def backup_database(service: str, url: str, directory: Path) -> Path:
    """Write ``service``'s database into ``directory``; returns the file."""
    parsed = make_url(url)
    directory.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        target = directory / f"{service}.db"
        target.unlink(missing_ok=True)
        _sqlite_copy(_sqlite_path(parsed), target)
        return target
    target = directory / f"{service}.dump"
    libpq, env = _libpq(parsed)
    _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", libpq], env)
    return target


def restore_database(service: str, url: str, directory: Path) -> Path:
    """Write the backup of ``service`` in ``directory`` back into its database (stop the
    service's processes first); returns the file restored from."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        source = directory / f"{service}.db"
        if not source.exists():
            raise BackupError(f"no backup of {service} in {directory}")
        _sqlite_copy(source, _sqlite_path(parsed))
        return source
    source = directory / f"{service}.dump"
    if not source.exists():
        raise BackupError(f"no backup of {service} in {directory}")
    libpq, env = _libpq(parsed)
    command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction"]
    _run([*command, f"--dbname={libpq}", str(source)], env)
    return source


async def replay(nats_urls: list[str], service: str) -> bool:
    """Delete ``service``'s durable consumer so its next start reads the stream from the
    beginning. Returns whether there was one."""
    import nats
    from nats.js.errors import NotFoundError

    connection = await nats.connect(nats_urls, max_reconnect_attempts=1, reconnect_time_wait=0.1)
    try:
        try:
            await connection.jetstream().delete_consumer(STREAM_NAME, service)
        except NotFoundError:
            return False
        return True
    finally:
        await connection.close()
