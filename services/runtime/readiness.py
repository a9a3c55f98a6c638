"""Waiting for the broker and the databases: a service that starts before them (a container
started first, a node or the database restarting) waits with a growing delay and one log
line per attempt, no traceback, and carries on when they answer.

Only connection failures are waited out; anything else (a wrong password, a missing
database, a stream configuration the server refuses) is raised at once, so a mistake is not
hidden behind an endless wait.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TypeVar

import nats
import nats.errors
from nats.js.errors import APIError
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger("retorno.readiness")

T = TypeVar("T")
FIRST_DELAY_SECONDS = 0.5
BROKER_CONNECT_TIMEOUT_SECONDS = 2.0


def _chain(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        todo += [item.__cause__, item.__context__, getattr(item, "orig", None)]


def _connection_types() -> tuple[type[BaseException], ...]:
    import asyncpg.exceptions as pg

    return (
        OSError,  # refused, reset, unreachable (ConnectionError is one)
        TimeoutError,
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        pg.PostgresConnectionError,
        pg.ConnectionDoesNotExistError,
        pg.OperatorInterventionError,  # starting up, shutting down (57P01, 57P03)
    )


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached (not that a query was wrong)."""
    types = _connection_types()
    for item in _chain(exc):
        if isinstance(item, sa_exc.DBAPIError) and item.connection_invalidated:
            return True
        if isinstance(item, types):
            return True
    return False


def is_broker_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the broker or its JetStream could not answer yet: no server, a
    timeout, no responders, or JetStream unavailable or short of peers while a cluster forms
    or elects a leader (an API error 5xx). A 4xx API error is a real refusal."""
    for item in _chain(exc):
        if isinstance(item, APIError):
            return item.code is None or item.code >= 500
        if isinstance(item, nats.errors.AuthorizationError):
            return False  # wrong credentials: waiting would not help
        if isinstance(item, OSError | TimeoutError | nats.errors.Error):
            return True
    return False


def describe(exc: BaseException) -> str:
    """One short line: the exception's type and the first line of its message."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message[:160]}" if message else type(exc).__name__


async def wait_until_ready(
    what: str,
    attempt: Callable[[], Awaitable[T]],
    *,
    transient: Callable[[BaseException], bool],
    max_delay: float = 10.0,
) -> T:
    """Run ``attempt`` until it succeeds; a transient failure is logged on one line and tried
    again after 0.5, 1, 2, 4 ... seconds (at most ``max_delay``)."""
    failures = 0
    while True:
        try:
            result = await attempt()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not transient(exc):
                raise
            failures += 1
            delay = min(max_delay, FIRST_DELAY_SECONDS * 2 ** (failures - 1))
            log.warning(
                "waiting for %s (%s); attempt %d failed, next in %.1fs",
                what,
                describe(exc),
                failures,
                delay,
            )
            await asyncio.sleep(delay)
            continue
        if failures:
            log.info("%s answers after %d failed attempts", what, failures)
        return result


async def database_answers(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def wait_for_databases(engines: Mapping[str, AsyncEngine], max_delay: float) -> None:
    """Until every (server) database answers; a SQLite file is local and never waited for."""
    for name, engine in engines.items():
        if engine.dialect.name == "sqlite":
            continue
        await wait_until_ready(
            f"the {name} database",
            lambda engine=engine: database_answers(engine),  # type: ignore[misc]
            transient=is_database_unavailable,
            max_delay=max_delay,
        )


async def _no_callback(*_args: object) -> None:
    return None


async def broker_answers(urls: Sequence[str]) -> None:
    """Connect to one of ``urls`` (each tried once) and close again; raise if none answers.
    (``max_reconnect_attempts=0`` would make nats-py try the pool forever.)"""
    connection = await nats.connect(
        list(urls),
        allow_reconnect=False,
        max_reconnect_attempts=1,
        reconnect_time_wait=0.05,
        connect_timeout=BROKER_CONNECT_TIMEOUT_SECONDS,
        error_cb=_no_callback,
        disconnected_cb=_no_callback,
        closed_cb=_no_callback,
    )
    await connection.close()


def safe_urls(urls: Sequence[str]) -> str:
    """The broker's URLs without credentials, for log lines."""
    return ",".join(url.split("@")[-1] for url in urls)


async def wait_for_broker(urls: Sequence[str], max_delay: float) -> None:
    await wait_until_ready(
        f"the broker at {safe_urls(urls)}",
        lambda: broker_answers(urls),
        transient=is_broker_unavailable,
        max_delay=max_delay,
    )
