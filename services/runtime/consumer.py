"""The event runner every service uses: durable pull consumer, one transaction per batch,
inbox for idempotency, outbox for outgoing events, parking for events that came too early,
dead letter after max deliveries.

A batch is applied in stream order in one transaction and acknowledged after the commit.
If the batch fails, each message is retried in its own transaction so one poison event
cannot hold back the others; a failing event is nak'ed with a growing delay and, on its
last delivery, published to ``retorno_dlq.<service>`` with the error, recorded in the
service's dead-letter table and acknowledged, and the stream moves on.

An event whose handler raises ``WaitingForEvent`` (it depends on an event this service has
not applied yet, e.g. a screening redelivered before its case's registration after a crash)
is not a failure: it is *parked* in the service's ``<service>_parked`` table, acknowledged,
and applied as soon as an event carrying the awaited key has been applied (and by a sweep
every ``parked_retry_seconds``). Waiting never uses the dead-letter budget; a parked event
that fails for another reason counts its failures and is dead-lettered at ``max_deliver``,
and one whose prerequisite never comes is dead-lettered after ``parked_max_seconds``.
"""

from __future__ import annotations

import logging
import time
import traceback
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import ValidationError
from sqlalchemy import delete, func, insert, select, update

from db.uow import ServiceDatabase, UnitOfWork
from events.envelope import DEAD_LETTER_PREFIX, SUBJECT_PREFIX, Envelope
from services.kit.definition import ANY_EVENT, Handler
from services.kit.errors import WaitingForEvent
from services.runtime.ordering import OrderGuard, provided_keys
from services.runtime.readiness import database_answers, is_database_unavailable
from services.runtime.streams import DLQ_STREAM_NAME

log = logging.getLogger("retorno.consumer")


class DatabaseUnavailableError(Exception):
    """The service's database does not answer: the batch is given back, not failed (an
    outage must not spend the events' delivery budget and dead-letter good events)."""


RETRY_DELAYS_SECONDS = (0.5, 2.0, 5.0, 15.0, 30.0)
PARKED_RETRY_SECONDS = 30.0
PARKED_MAX_SECONDS = 72 * 3600.0


@dataclass
class Incoming:
    """An event to apply: from the broker (``msg``), or from the parked table (no ``msg``)."""

    envelope: Envelope | None
    subject: str
    body: bytes
    stream_seq: int | None
    deliveries: int
    msg: Msg | None = None
    error: str | None = None


def decode(msg: Msg) -> Incoming:
    meta = msg.metadata
    seq = meta.sequence.stream if meta.sequence else None
    deliveries = int(meta.num_delivered or 1)
    try:
        envelope: Envelope | None = Envelope.from_bytes(msg.data)
        error = None
    except ValidationError as exc:
        envelope, error = None, f"not a valid event envelope: {exc.error_count()} errors"
    return Incoming(envelope, msg.subject, msg.data, seq, deliveries, msg, error)


class EventRunner:
    def __init__(
        self,
        db: ServiceDatabase,
        handlers: Mapping[str, Handler],
        js: JetStreamContext | None,
        *,
        max_deliver: int,
        parked_retry_seconds: float = PARKED_RETRY_SECONDS,
        parked_max_seconds: float = PARKED_MAX_SECONDS,
    ) -> None:
        self.db = db
        self.handlers = dict(handlers)
        self.js = js
        self.max_deliver = max_deliver
        self.parked_retry_seconds = parked_retry_seconds
        self.parked_max_seconds = parked_max_seconds
        self.applied = 0
        self.dead_lettered = 0
        self.parked = 0
        self.order = OrderGuard()
        # Whether parked events may exist: checked at start and by every sweep, set when this
        # runner parks one. While false, batches skip the parked-key lookup.
        self._maybe_parked = True
        self._next_sweep = 0.0

    @property
    def subjects(self) -> list[str]:
        if ANY_EVENT in self.handlers:
            return [f"{SUBJECT_PREFIX}.>"]
        return [f"{SUBJECT_PREFIX}.{name}" for name in self.handlers]

    async def process(self, messages: Sequence[Msg]) -> None:
        incoming = [decode(m) for m in messages]
        good = [i for i in incoming if i.envelope is not None]
        for bad in (i for i in incoming if i.envelope is None):
            await self._dead_letter(bad, bad.error or "undecodable")
        ready_at, held = self.order.split([i.envelope for i in good])  # type: ignore[misc]
        for index, delay in held.items():
            await self._hold_back(good[index], delay)
        ready = [good[i] for i in ready_at]
        if not ready:
            return
        if await self._releases_parked(ready):
            # A parked event waits on one of these: one by one, so each parked event is
            # applied right after its prerequisite and before later events of its key.
            for item in ready:
                await self._process_in_order(item)
            return
        try:
            async with self.db.unit_of_work() as uow:
                await self._apply(uow, ready)
                await uow.commit()
        except WaitingForEvent as waiting:
            log.info("%s: batch of %d has an early event (%s)", self.db.name, len(ready), waiting)
            for item in ready:
                await self._process_in_order(item)
            return
        except Exception as exc:
            await self._raise_if_database_down(exc)
            log.warning("%s: batch of %d failed; retrying one by one", self.db.name, len(ready))
            for item in ready:
                await self._process_in_order(item)
            return
        for item in ready:
            await _ack(item)
            self.order.settled(item.envelope)  # type: ignore[arg-type]

    async def apply(self, envelopes: Sequence[Envelope]) -> None:
        """Apply events handed over in process, each as one delivery of the broker would be:
        the inbox skips an event already applied, the handler runs in its own unit of work,
        an event that waits (``WaitingForEvent``) is parked and applied after its
        prerequisite, and applying one releases the parked events waiting on its keys. For a
        runtime without a broker (tests, in-process flows). A handler's failure is raised to
        the caller: no broker, so no redelivery to count."""
        for envelope in envelopes:
            item = Incoming(envelope, envelope.subject, envelope.to_bytes(), None, 1)
            try:
                async with self.db.unit_of_work() as uow:
                    await self._apply(uow, [item])
                    await uow.commit()
            except WaitingForEvent as waiting:
                await self._park(item, waiting)
                continue
            await self._release(provided_keys(envelope))

    async def _raise_if_database_down(self, exc: BaseException) -> None:
        """A connection failure while the database does not answer a probe either is an
        outage, not this event's fault: raise DatabaseUnavailableError (the pull loop waits
        for the database and gives the batch back). Any other failure is the event's."""
        if is_database_unavailable(exc) and not await self.database_answers():
            raise DatabaseUnavailableError(f"the {self.db.name} database does not answer") from exc

    async def database_answers(self) -> bool:
        try:
            await database_answers(self.db.engine)
        except Exception:
            return False
        return True

    async def _process_in_order(self, item: Incoming) -> None:
        """One event on its own, unless an earlier event of its case just failed."""
        assert item.envelope is not None
        _ready, held = self.order.split([item.envelope])
        if held:
            await self._hold_back(item, held[0])
            return
        delay = await self._process_one(item)
        if delay is None:
            self.order.settled(item.envelope)
        else:
            self.order.retrying(item.envelope, delay)

    async def _hold_back(self, item: Incoming, behind: float) -> None:
        """A later event of a case whose earlier event is being retried waits behind it,
        so a case's events are still applied in stream order."""
        assert item.envelope is not None and item.msg is not None
        if item.deliveries >= self.max_deliver:
            await self._dead_letter(
                item, "held back behind an earlier event of the same case that kept failing"
            )
        else:
            await item.msg.nak(delay=behind)

    async def _process_one(self, item: Incoming) -> float | None:
        """Apply one event in its own transaction. Returns the retry delay if it failed and
        will be delivered again, else None (applied, parked, or dead-lettered)."""
        assert item.envelope is not None and item.msg is not None
        try:
            async with self.db.unit_of_work() as uow:
                await self._apply(uow, [item])
                await uow.commit()
        except WaitingForEvent as waiting:
            await self._park(item, waiting)
            await _ack(item)
            return None
        except Exception as exc:
            await self._raise_if_database_down(exc)
            error = f"{type(exc).__name__}: {exc}"
            if item.deliveries >= self.max_deliver:
                log.error(
                    "%s: %s %s failed %d times; dead-lettered\n%s",
                    self.db.name,
                    item.envelope.type,
                    item.envelope.event_id,
                    item.deliveries,
                    traceback.format_exc(),
                )
                await self._dead_letter(item, error)
            else:
                delay = RETRY_DELAYS_SECONDS[min(item.deliveries, len(RETRY_DELAYS_SECONDS)) - 1]
                log.warning(
                    "%s: %s %s failed (delivery %d of %d): %s; retrying in %.1fs",
                    self.db.name,
                    item.envelope.type,
                    item.envelope.event_id,
                    item.deliveries,
                    self.max_deliver,
                    type(exc).__name__,
                    delay,
                )
                await item.msg.nak(delay=delay)
                return delay
            return None
        await _ack(item)
        await self._release(provided_keys(item.envelope))
        return None

    async def _apply(self, uow: UnitOfWork, items: Sequence[Incoming]) -> None:
        inbox = self.db.tables.inbox
        ids = [i.envelope.event_id for i in items if i.envelope is not None]
        seen = set(
            (await uow.session.execute(select(inbox.c.event_id).where(inbox.c.event_id.in_(ids))))
            .scalars()
            .all()
        )
        rows = []
        fresh = []
        for item in items:
            envelope = item.envelope
            assert envelope is not None
            if envelope.event_id in seen:
                continue  # redelivered or published twice: already applied
            seen.add(envelope.event_id)
            fresh.append(item)
        uow.batch = [i.envelope for i in fresh if i.envelope is not None]
        for item in fresh:
            envelope = item.envelope
            assert envelope is not None
            handler = self.handlers.get(envelope.type) or self.handlers.get(ANY_EVENT)
            if handler is not None:
                uow.cause = envelope
                await handler(uow, envelope)
                uow.cause = None
            rows.append(
                {
                    "event_id": envelope.event_id,
                    "type": envelope.type,
                    "stream_seq": item.stream_seq,
                    "applied_at": uow.clock(),
                }
            )
        if rows:
            await uow.session.execute(insert(inbox), rows)
        self.applied += len(rows)

    # -- parking -------------------------------------------------------------------------

    async def _releases_parked(self, items: Sequence[Incoming]) -> bool:
        """Whether a parked event waits on a key that one of these events carries."""
        if not self._maybe_parked:
            return False
        keys = {key for item in items for key in provided_keys(item.envelope)}  # type: ignore[arg-type]
        if not keys:
            return False
        parked = self.db.tables.parked
        async with self.db.reading() as session:
            found = await session.scalar(
                select(parked.c.wait_key).where(parked.c.wait_key.in_(sorted(keys))).limit(1)
            )
        return found is not None

    async def _park(self, item: Incoming, waiting: WaitingForEvent) -> None:
        """Keep an early event until what it waits for has been applied (idempotent: a
        redelivery of an event already parked changes nothing)."""
        assert item.envelope is not None
        parked = self.db.tables.parked
        async with self.db.unit_of_work() as uow:
            exists = await uow.session.scalar(
                select(parked.c.event_id).where(parked.c.event_id == item.envelope.event_id)
            )
            if exists is None:
                await uow.session.execute(
                    insert(parked).values(
                        event_id=item.envelope.event_id,
                        type=item.envelope.type,
                        subject=item.subject,
                        stream_seq=item.stream_seq,
                        body=item.body,
                        wait_key=waiting.key,
                        reason=waiting.detail[:2000],
                        failures=0,
                        parked_at=uow.clock(),
                    )
                )
            await uow.commit()
        self._maybe_parked = True
        self.parked += 1
        log.info(
            "%s: %s %s parked until %s is applied",
            self.db.name,
            item.envelope.type,
            item.envelope.event_id,
            waiting.key,
        )

    async def _release(self, keys: Sequence[str]) -> None:
        """Apply the parked events that wait on ``keys``, oldest in the stream first; each
        one applied may release others in turn. A key's events after one that still cannot
        be applied stay parked behind it, keeping their order."""
        if not self._maybe_parked or not keys:
            return
        parked = self.db.tables.parked
        todo, done = list(keys), set()
        while todo:
            key = todo.pop(0)
            if key in done:
                continue
            done.add(key)
            async with self.db.reading() as session:
                rows = (
                    await session.execute(
                        select(parked)
                        .where(parked.c.wait_key == key)
                        .order_by(parked.c.stream_seq, parked.c.parked_at)
                    )
                ).all()
            for row in rows:
                released = await self._retry_parked(row)
                if released is None:
                    break
                todo.extend(k for k in released if k not in done)

    async def _retry_parked(self, row) -> list[str] | None:  # type: ignore[no-untyped-def]
        """Try one parked event in its own transaction. Returns the keys it provides when it
        was applied (or found applied already), None when it stays parked or was
        dead-lettered."""
        parked = self.db.tables.parked
        envelope = Envelope.from_bytes(row.body)
        item = Incoming(envelope, row.subject, row.body, row.stream_seq, row.failures + 1)
        try:
            async with self.db.unit_of_work() as uow:
                await self._apply(uow, [item])
                await uow.session.execute(delete(parked).where(parked.c.event_id == row.event_id))
                await uow.commit()
        except WaitingForEvent as waiting:
            async with self.db.unit_of_work() as uow:
                await uow.session.execute(
                    update(parked)
                    .where(parked.c.event_id == row.event_id)
                    .values(
                        wait_key=waiting.key, reason=waiting.detail[:2000], retried_at=uow.clock()
                    )
                )
                await uow.commit()
            return None
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.warning(
                "%s: parked %s %s failed (%d of %d): %s",
                self.db.name,
                envelope.type,
                envelope.event_id,
                item.deliveries,
                self.max_deliver,
                error,
            )
            if item.deliveries >= self.max_deliver:
                await self._dead_letter(item, error)
            else:
                async with self.db.unit_of_work() as uow:
                    await uow.session.execute(
                        update(parked)
                        .where(parked.c.event_id == row.event_id)
                        .values(
                            failures=item.deliveries, reason=error[:2000], retried_at=uow.clock()
                        )
                    )
                    await uow.commit()
            return None
        log.info("%s: parked %s %s applied", self.db.name, envelope.type, envelope.event_id)
        return provided_keys(envelope)

    async def sweep(self) -> None:
        """Retry every parked event (a safety net: its prerequisite may have been applied by
        another replica, or under another key), and dead-letter those that waited longer
        than ``parked_max_seconds``."""
        parked = self.db.tables.parked
        async with self.db.reading() as session:
            keys = (
                (
                    await session.execute(
                        select(parked.c.wait_key)
                        .group_by(parked.c.wait_key)
                        .order_by(func.min(parked.c.stream_seq))
                    )
                )
                .scalars()
                .all()
            )
        self._maybe_parked = bool(keys)
        if not keys:
            return
        await self._release(keys)
        limit = self.db.clock() - timedelta(seconds=self.parked_max_seconds)
        async with self.db.reading() as session:
            stale = (await session.execute(select(parked).where(parked.c.parked_at < limit))).all()
        for row in stale:
            item = Incoming(
                Envelope.from_bytes(row.body), row.subject, row.body, row.stream_seq, row.failures
            )
            await self._dead_letter(
                item,
                f"waited since {row.parked_at:%Y-%m-%d %H:%M} UTC for an event with "
                f"{row.wait_key}, which never came ({row.reason})",
            )

    async def sweep_if_due(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.parked_retry_seconds
        try:
            await self.sweep()
        except Exception:
            log.exception("%s: sweep of parked events failed; tried again later", self.db.name)

    # -- dead letters ----------------------------------------------------------------------

    async def _dead_letter(self, item: Incoming, error: str) -> None:
        envelope = item.envelope
        event_id = (
            envelope.event_id if envelope else uuid.uuid5(uuid.NAMESPACE_URL, repr(item.stream_seq))
        )
        if self.js is not None:  # without a broker (``apply``): the table only
            await self.js.publish(
                f"{DEAD_LETTER_PREFIX}.{self.db.name}",
                item.body,
                stream=DLQ_STREAM_NAME,
                headers={
                    "Nats-Msg-Id": f"{self.db.name}:{event_id}",
                    "Retorno-Error": error[:500],
                    "Retorno-Subject": item.subject,
                    "Retorno-Deliveries": str(item.deliveries),
                },
            )
        async with self.db.unit_of_work() as uow:
            table, parked = self.db.tables.dead_letter, self.db.tables.parked
            exists = await uow.session.scalar(
                select(table.c.event_id).where(table.c.event_id == event_id)
            )
            if exists is None:
                await uow.session.execute(
                    insert(table).values(
                        event_id=event_id,
                        type=envelope.type if envelope else "undecodable",
                        stream_seq=item.stream_seq,
                        deliveries=item.deliveries,
                        error=error[:2000],
                        failed_at=uow.clock(),
                    )
                )
            await uow.session.execute(delete(parked).where(parked.c.event_id == event_id))
            await uow.commit()
        await _ack(item)
        self.dead_lettered += 1


async def _ack(item: Incoming) -> None:
    if item.msg is not None:
        await item.msg.ack()
