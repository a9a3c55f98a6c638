"""Async engines from URLs: SQLite in WAL mode with foreign keys, PostgreSQL through asyncpg."""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

READ_ONLY = "retorno_read_only"


class StatementCounter:
    """SQL statements and commits an engine has sent since it was made (every statement,
    BEGIN included): what ``/health`` reports and ``make bench`` divides per return."""

    def __init__(self) -> None:
        self.statements = 0
        self.commits = 0

    def as_dict(self) -> dict[str, int]:
        return {"statements": self.statements, "commits": self.commits}


_COUNTERS: weakref.WeakKeyDictionary[Any, StatementCounter] = weakref.WeakKeyDictionary()


def statement_counter(engine: AsyncEngine) -> StatementCounter:
    """The engine's counter (zeros for an engine not made by ``make_engine``)."""
    return _COUNTERS.get(engine.sync_engine) or StatementCounter()


def _count_statements(engine: AsyncEngine) -> None:
    counter = _COUNTERS.setdefault(engine.sync_engine, StatementCounter())

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _on_statement(*_args: Any) -> None:
        counter.statements += 1

    @event.listens_for(engine.sync_engine, "commit")
    def _on_commit(_connection: Any) -> None:
        counter.commits += 1


# How long a SQLite writer waits for the file's write lock before the request is refused as
# busy (the HTTP edge answers 503 with Retry-After).
SQLITE_BUSY_TIMEOUT_S = 30.0


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(
    url: str, *, echo: bool = False, pool_size: int = 10, max_overflow: int = 10
) -> AsyncEngine:
    """An engine for one service's database.

    On SQLite every transaction starts with ``BEGIN IMMEDIATE``: a writer takes the file's
    write lock before it reads, so read-check-write rules (the funding cap) cannot race,
    and concurrent writers queue on ``busy_timeout`` instead of failing.
    """
    kwargs: dict[str, Any] = {"echo": echo}
    if is_sqlite(url):
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S}
    else:
        kwargs.update(pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow)
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        _configure_sqlite(engine)
    _count_statements(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")  # a WAL reader: sees a snapshot, blocks no one
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: AsyncEngine, *, read_only: bool = False) -> async_sessionmaker:
    """Sessions for writers (the default) or for readers: on SQLite a reader's transaction is
    deferred, so queries never queue behind writers for the file's write lock."""
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return async_sessionmaker(bind, expire_on_commit=False)
