"""The event runner every service uses: durable pull consumer, one transaction per batch,
inbox for idempotency, outbox for outgoing events, dead letter after max deliveries.

A batch is applied in stream order in one transaction and acknowledged after the commit.
If the batch fails, each message is retried in its own transaction so one poison event
cannot hold back the others; a failing event is nak'ed with a growing delay and, on its
last delivery, published to ``retorno_dlq.<service>`` with the error, recorded in the
service's dead-letter table and acknowledged, and the stream moves on.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import ValidationError
from sqlalchemy import insert, select

from db.uow import ServiceDatabase, UnitOfWork
from events.envelope import DEAD_LETTER_PREFIX, SUBJECT_PREFIX, Envelope
from services.kit.definition import ANY_EVENT, Handler
from services.runtime.ordering import OrderGuard
from services.runtime.streams import DLQ_STREAM_NAME

log = logging.getLogger("retorno.consumer")

RETRY_DELAYS_SECONDS = (0.5, 2.0, 5.0, 15.0, 30.0)


@dataclass
class Incoming:
    msg: Msg
    envelope: Envelope | None
    error: str | None = None

    @property
    def deliveries(self) -> int:
        return int(self.msg.metadata.num_delivered or 1)

    @property
    def stream_seq(self) -> int | None:
        return self.msg.metadata.sequence.stream if self.msg.metadata.sequence else None


def decode(msg: Msg) -> Incoming:
    try:
        return Incoming(msg, Envelope.from_bytes(msg.data))
    except ValidationError as exc:
        return Incoming(msg, None, f"not a valid event envelope: {exc.error_count()} errors")


class EventRunner:
    def __init__(
        self,
        db: ServiceDatabase,
        handlers: Mapping[str, Handler],
        js: JetStreamContext,
        *,
        max_deliver: int,
    ) -> None:
        self.db = db
        self.handlers = dict(handlers)
        self.js = js
        self.max_deliver = max_deliver
        self.applied = 0
        self.dead_lettered = 0
        self.order = OrderGuard()

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
        try:
            async with self.db.unit_of_work() as uow:
                await self._apply(uow, ready)
                await uow.commit()
        except Exception:
            log.warning("%s: batch of %d failed; retrying one by one", self.db.name, len(ready))
            for item in ready:
                await self._process_in_order(item)
            return
        for item in ready:
            await item.msg.ack()
            self.order.settled(item.envelope)  # type: ignore[arg-type]

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
        assert item.envelope is not None
        if item.deliveries >= self.max_deliver:
            await self._dead_letter(
                item, "held back behind an earlier event of the same case that kept failing"
            )
        else:
            await item.msg.nak(delay=behind)

    async def _process_one(self, item: Incoming) -> float | None:
        """Apply one event in its own transaction. Returns the retry delay if it failed and
        will be delivered again, else None (applied, or dead-lettered)."""
        try:
            async with self.db.unit_of_work() as uow:
                await self._apply(uow, [item])
                await uow.commit()
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            assert item.envelope is not None
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
        await item.msg.ack()
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
        for item in items:
            envelope = item.envelope
            assert envelope is not None
            if envelope.event_id in seen:
                continue  # redelivered or published twice: already applied
            seen.add(envelope.event_id)
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

    async def _dead_letter(self, item: Incoming, error: str) -> None:
        envelope = item.envelope
        event_id = (
            envelope.event_id if envelope else uuid.uuid5(uuid.NAMESPACE_URL, repr(item.stream_seq))
        )
        await self.js.publish(
            f"{DEAD_LETTER_PREFIX}.{self.db.name}",
            item.msg.data,
            stream=DLQ_STREAM_NAME,
            headers={
                "Nats-Msg-Id": f"{self.db.name}:{event_id}",
                "Retorno-Error": error[:500],
                "Retorno-Subject": item.msg.subject,
                "Retorno-Deliveries": str(item.deliveries),
            },
        )
        async with self.db.unit_of_work() as uow:
            table = self.db.tables.dead_letter
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
            await uow.commit()
        await item.msg.ack()
        self.dead_lettered += 1
