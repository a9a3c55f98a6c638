"""Unit of work: one transaction over one service's database, with its outbox.

Outgoing events are written to the service's outbox in the same transaction as the state
change that caused them; the relay publishes them after commit.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.engine import make_sessionmaker
from db.schema import MessagingTables
from events.envelope import Actor, Envelope, Payload, new_envelope

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class UnitOfWork:
    def __init__(
        self,
        session: AsyncSession,
        tables: MessagingTables,
        *,
        clock: Clock = utc_now,
        on_commit: Callable[[], None] | None = None,
        cause: Envelope | None = None,
    ) -> None:
        self.session = session
        self.tables = tables
        self.clock = clock
        self.cause = cause
        self._on_commit = on_commit
        self._pending: list[Envelope] = []
        self._rows: dict[Table, list[dict[str, Any]]] = {}
        self._before_commit: list[Callable[[], Awaitable[None]]] = []
        # Per-unit scratch space for handlers that keep something across the events of a
        # batch (e.g. the audit chain's head), keyed by a name of their own.
        self.state: dict[str, Any] = {}
        # The events this unit applies, when a consumer applies a batch of them in one unit
        # (empty otherwise), so that a handler can look up what they all need in one query.
        self.batch: Sequence[Envelope] = ()

    @property
    def service(self) -> str:
        return self.tables.service

    def emit(
        self,
        payload: Payload,
        *,
        actor: Actor | None = None,
        cause: Envelope | None = None,
        correlation_id: uuid.UUID | None = None,
    ) -> Envelope:
        """Queue an event for the outbox; it is published only if this unit commits."""
        if payload.service != self.service:
            raise ValueError(f"{self.service} cannot emit {payload.type_name()}")
        envelope = new_envelope(
            payload,
            actor=actor or Actor.service(self.service),
            occurred_at=self.clock(),
            cause=cause or self.cause,
            correlation_id=correlation_id,
        )
        self._pending.append(envelope)
        return envelope

    def insert_later(self, table: Table, row: dict[str, Any]) -> None:
        """Queue a row to be inserted with others of its table in one statement at commit
        (or at ``flush_rows``): for handlers applying a batch of events, one statement instead
        of one per event. Queued rows are not visible to queries until flushed."""
        self._rows.setdefault(table, []).append(row)

    def before_commit(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run ``hook`` once, inside the transaction, just before it commits."""
        self._before_commit.append(hook)

    async def flush_rows(self) -> None:
        rows, self._rows = self._rows, {}
        for table, batch in rows.items():
            await self.session.execute(insert(table), batch)

    @property
    def pending(self) -> list[Envelope]:
        return list(self._pending)

    async def flush_outbox(self) -> None:
        if not self._pending:
            return
        now = self.clock()
        rows = [
            {
                "event_id": e.event_id,
                "subject": e.subject,
                "body": e.to_bytes(),
                "created_at": now,
                "attempts": 0,
            }
            for e in self._pending
        ]
        self._pending.clear()
        await self.session.execute(insert(self.tables.outbox), rows)

    async def commit(self) -> None:
        hooks, self._before_commit = self._before_commit, []
        for hook in hooks:
            await hook()
        had_events = bool(self._pending)
        await self.flush_rows()
        await self.flush_outbox()
        await self.session.commit()
        if had_events and self._on_commit is not None:
            self._on_commit()

    async def rollback(self) -> None:
        self._pending.clear()
        self._rows.clear()
        self._before_commit.clear()
        self.state.clear()
        await self.session.rollback()


@dataclass
class ServiceDatabase:
    """One service's engine, sessions and messaging tables."""

    name: str
    engine: AsyncEngine
    tables: MessagingTables
    clock: Clock = utc_now
    outbox_listeners: list[Callable[[], None]] = field(default_factory=list)
    sessions: async_sessionmaker = field(init=False)
    read_sessions: async_sessionmaker = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = make_sessionmaker(self.engine)
        self.read_sessions = make_sessionmaker(self.engine, read_only=True)

    def _notify(self) -> None:
        for listener in self.outbox_listeners:
            listener()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only session (queries for routes): never takes SQLite's write lock."""
        async with self.read_sessions() as session:
            yield session

    @asynccontextmanager
    async def unit_of_work(self, *, cause: Envelope | None = None) -> AsyncIterator[UnitOfWork]:
        """A transaction; rolled back on exit unless ``commit()`` was called."""
        async with self.sessions() as session:
            uow = UnitOfWork(
                session, self.tables, clock=self.clock, on_commit=self._notify, cause=cause
            )
            try:
                yield uow
            finally:
                if session.in_transaction():
                    await session.rollback()
