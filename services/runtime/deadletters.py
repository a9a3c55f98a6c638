"""Dead letters: list what each service gave up on, and replay an event once it is fixed.

A dead-lettered event sits in the service's ``<service>_dead_letter`` table (with the error)
and in the RETORNO_DLQ stream (with the original body). Replaying republishes the body on its
original subject under a fresh message id; services that had applied it skip it (inbox).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy import select

from events.envelope import DEAD_LETTER_PREFIX
from services.kit.definition import Runtime
from services.runtime.streams import DLQ_STREAM_NAME


@dataclass(frozen=True)
class DeadLetter:
    service: str
    event_id: uuid.UUID
    type: str
    deliveries: int
    error: str
    failed_at: datetime


async def list_dead_letters(rt: Runtime) -> list[DeadLetter]:
    found: list[DeadLetter] = []
    for name, db in sorted(rt.databases.items()):
        table = db.tables.dead_letter
        async with db.reading() as session:
            rows = await session.execute(select(table).order_by(table.c.failed_at))
            found += [
                DeadLetter(name, r.event_id, r.type, r.deliveries, r.error, r.failed_at)
                for r in rows
            ]
    return found


@dataclass(frozen=True)
class Parked:
    """An event waiting for an event it depends on (applied automatically when it comes)."""

    service: str
    event_id: uuid.UUID
    type: str
    wait_key: str
    reason: str
    failures: int
    parked_at: datetime


async def list_parked(rt: Runtime) -> list[Parked]:
    found: list[Parked] = []
    for name, db in sorted(rt.databases.items()):
        table = db.tables.parked
        async with db.reading() as session:
            rows = await session.execute(select(table).order_by(table.c.parked_at))
            found += [
                Parked(name, r.event_id, r.type, r.wait_key, r.reason, r.failures, r.parked_at)
                for r in rows
            ]
    return found


class DeadLetterNotFoundError(LookupError):
    pass


async def replay(js: JetStreamContext, service: str, event_id: uuid.UUID) -> str:
    """Republish a dead-lettered event on its original subject; returns that subject."""
    wanted = f"{service}:{event_id}"
    subscription = await js.pull_subscribe(
        f"{DEAD_LETTER_PREFIX}.{service}",
        stream=DLQ_STREAM_NAME,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, inactive_threshold=30.0),
    )
    try:
        while True:
            try:
                messages = await subscription.fetch(100, timeout=2)
            except TimeoutError:
                break
            for message in messages:
                await message.ack()
                headers = message.headers or {}
                if headers.get("Nats-Msg-Id") == wanted:
                    subject = headers["Retorno-Subject"]
                    await js.publish(
                        subject,
                        message.data,
                        headers={"Nats-Msg-Id": f"replay:{event_id}:{time.time_ns()}"},
                    )
                    return subject
    finally:
        await subscription.unsubscribe()
    raise DeadLetterNotFoundError(f"no dead letter {event_id} of service {service}")
