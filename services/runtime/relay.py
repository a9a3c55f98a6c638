"""The outbox relay: publishes committed events to JetStream, in commit order, with the
event id as ``Nats-Msg-Id`` so the broker drops a duplicate publish inside its window."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from nats.js import JetStreamContext
from sqlalchemy import delete, select, text, update

from db.uow import ServiceDatabase
from events.envelope import STREAM_NAME

log = logging.getLogger("retorno.relay")

PUBLISH_TIMEOUT_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 10.0
PRUNE_EVERY_SECONDS = 600.0
# Another relay holds this outbox's guard: look again this soon (it may have read its batch
# before our commit), not after the whole poll interval.
GUARD_RETRY_SECONDS = 0.02
LOCK = text("SELECT pg_try_advisory_xact_lock(:key)")


class OutboxRelay:
    def __init__(
        self,
        db: ServiceDatabase,
        js: JetStreamContext,
        *,
        batch_size: int = 500,
        poll_seconds: float = 0.5,
        keep_published: timedelta = timedelta(days=7),
    ) -> None:
        self.db = db
        self.js = js
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.keep_published = keep_published
        self._next_prune = 0.0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        self.guard_taken = False  # the last round found another relay publishing
        db.outbox_listeners.append(self.wake)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"relay-{self.db.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(ValueError):
            self.db.outbox_listeners.remove(self.wake)

    async def _run(self) -> None:
        failures = 0
        while True:
            self._wake.clear()
            try:
                sent = await self.relay_once()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or database down: back off and retry
                failures += 1
                delay = min(MAX_BACKOFF_SECONDS, 0.2 * 2**failures)
                log.warning(
                    "relay %s failed (%s); retrying in %.1fs",
                    self.db.name,
                    type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            if time.monotonic() >= self._next_prune:
                with contextlib.suppress(Exception):
                    await self.prune()
                self._next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
            if sent < self.batch_size:
                # Woken by a commit in this process; other processes' commits are seen at
                # the next poll, or sooner while another relay holds the guard.
                wait = GUARD_RETRY_SECONDS if self.guard_taken else self.poll_seconds
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)

    async def prune(self) -> int:
        """Forget rows published long ago (far beyond the broker's duplicate window)."""
        outbox = self.db.tables.outbox
        cutoff = self.db.clock() - self.keep_published
        async with self.db.sessions() as session:
            result = await session.execute(
                delete(outbox).where(
                    outbox.c.published_at.is_not(None), outbox.c.published_at < cutoff
                )
            )
            await session.commit()
        return int(result.rowcount or 0)

    async def relay_once(self) -> int:
        """Publish one batch of unpublished rows; returns how many were published.

        Several replicas of a service may run a relay on one outbox; one publishes at a time,
        so they neither publish the same rows twice nor interleave them out of commit order.
        On PostgreSQL a transaction-scoped advisory lock guards the batch; on SQLite an
        exclusive ``flock`` on a file beside the database (``<file>.relay-lock``), which every
        process on the machine sees. A relay that finds the guard taken publishes nothing
        this round and looks again shortly (``GUARD_RETRY_SECONDS``).
        """
        self.guard_taken = False
        if self.db.engine.dialect.name == "postgresql":
            async with self.db.sessions() as guard:
                if not await guard.scalar(LOCK, {"key": self.lock_key}):
                    self.guard_taken = True  # another relay is publishing this outbox now
                    return 0
                return await self._relay_batch()  # the lock ends with the guard's transaction
        with self.file_guard() as held:
            if not held:
                self.guard_taken = True
                return 0
            return await self._relay_batch()

    @property
    def lock_key(self) -> int:
        digest = hashlib.sha256(f"retorno.relay.{self.db.tables.outbox.name}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    @property
    def lock_path(self) -> Path | None:
        """The SQLite guard's file, or None for an in-memory database."""
        database = self.db.engine.url.database
        if not database or database == ":memory:":
            return None
        return Path(f"{database}.relay-lock")

    @contextlib.contextmanager
    def file_guard(self) -> Iterator[bool]:
        """Hold the outbox's relay lock file while the block runs; yields whether it is ours."""
        path = self.lock_path
        if path is None:
            yield True
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    async def _relay_batch(self) -> int:
        outbox = self.db.tables.outbox
        async with self.db.reading() as session:  # takes no write lock while nothing is due
            rows: Sequence[Any] = (
                await session.execute(
                    select(outbox.c.seq, outbox.c.event_id, outbox.c.subject, outbox.c.body)
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.seq)
                    .limit(self.batch_size)
                )
            ).all()
        if not rows:
            return 0
        futures = [
            await self.js.publish_async(
                row.subject,
                row.body,
                stream=STREAM_NAME,
                headers={"Nats-Msg-Id": str(row.event_id)},
            )
            for row in rows
        ]
        results = await asyncio.gather(
            *(asyncio.wait_for(f, PUBLISH_TIMEOUT_SECONDS) for f in futures), return_exceptions=True
        )
        done = [
            row.seq
            for row, result in zip(rows, results, strict=True)
            if not isinstance(result, BaseException)
        ]
        errors = [r for r in results if isinstance(r, BaseException)]
        now = self.db.clock()
        async with self.db.sessions() as session:
            if done:
                await session.execute(
                    update(outbox).where(outbox.c.seq.in_(done)).values(published_at=now)
                )
            if errors:
                failed = [
                    row.seq
                    for row, r in zip(rows, results, strict=True)
                    if isinstance(r, BaseException)
                ]
                await session.execute(
                    update(outbox)
                    .where(outbox.c.seq.in_(failed))
                    .values(attempts=outbox.c.attempts + 1, last_error=type(errors[0]).__name__)
                )
            await session.commit()
        self.published += len(done)
        if errors:
            raise errors[0]
        return len(done)
