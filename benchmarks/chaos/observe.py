"""Read what the system holds, read-only: every service's tables (SQLite files opened with
``mode=ro``, or the PostgreSQL database) and the broker's stream and consumers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import nats
from nats.aio.client import Client
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from benchmarks.chaos.checker import ASSISTANCE, Commitment, Consumer, Event, Held, Observed
from events.envelope import STREAM_NAME


def read_only_url(url: str) -> str:
    """SQLite files are opened read-only (``mode=ro``): the checker never writes."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return url
    return f"sqlite+aiosqlite:///file:{parsed.database}?mode=ro&uri=true"


@dataclass
class Databases:
    """One read-only engine per service."""

    engines: dict[str, AsyncEngine]

    @classmethod
    def open(cls, services: Sequence[str], url_for: Callable[[str], str]) -> Databases:
        return cls({s: create_async_engine(read_only_url(url_for(s))) for s in services})

    async def rows(self, service: str, sql: str) -> list[Any]:
        async with self.engines[service].connect() as connection:
            return list(await connection.execute(text(sql)))

    async def scalar(self, service: str, sql: str) -> int:
        async with self.engines[service].connect() as connection:
            return int((await connection.execute(text(sql))).scalar_one())

    async def optional_rows(self, service: str, sql: str) -> list[Any] | None:
        """Rows of a table that may not exist on this branch (``<service>_parked``)."""
        try:
            return await self.rows(service, sql)
        except DBAPIError:
            return None

    async def close(self) -> None:
        for engine in self.engines.values():
            await engine.dispose()


@dataclass
class Flow:
    """The drain's view: what is still moving."""

    unpublished: dict[str, int]
    consumers: list[Consumer]
    parked: int
    dead_letters: int

    @property
    def drained(self) -> bool:
        return (
            not any(self.unpublished.values())
            and not any(c.pending or c.unacknowledged for c in self.consumers)
            and self.parked == 0
        )

    def summary(self) -> str:
        waiting = {k: v for k, v in self.unpublished.items() if v}
        lag = {
            c.name: (c.pending, c.unacknowledged)
            for c in self.consumers
            if c.pending or c.unacknowledged
        }
        return (
            f"unpublished {waiting or 0}, consumers (pending, unacked) {lag or 0}, "
            f"parked {self.parked}, dead letters {self.dead_letters}"
        )


async def connect(url: str) -> Client:
    return await nats.connect(url.split(","), connect_timeout=5, max_reconnect_attempts=-1)


async def consumers(nc: Client, services: Iterable[str]) -> list[Consumer]:
    """The services' durable consumers on the stream (a service without handlers has none)."""
    js = nc.jetstream()
    names = set(services)
    found = []
    for info in await js.consumers_info(STREAM_NAME):
        if info.name not in names:
            continue
        config = info.config
        filters = tuple(
            config.filter_subjects or ([config.filter_subject] if config.filter_subject else [])
        )
        found.append(
            Consumer(
                name=info.name,
                filters=filters or (">",),
                pending=int(info.num_pending or 0),
                unacknowledged=int(info.num_ack_pending or 0),
            )
        )
    return sorted(found, key=lambda c: c.name)


async def flow(db: Databases, nc: Client) -> Flow:
    unpublished, parked, dead = {}, 0, 0
    for service in db.engines:
        unpublished[service] = await db.scalar(
            service, f"SELECT count(*) FROM {service}_outbox WHERE published_at IS NULL"
        )
        dead += await db.scalar(service, f"SELECT count(*) FROM {service}_dead_letter")
        rows = await db.optional_rows(service, f"SELECT count(*) FROM {service}_parked")
        parked += int(rows[0][0]) if rows else 0
    return Flow(unpublished, await consumers(nc, db.engines), parked, dead)


async def wait_drained(
    db: Databases, nc: Client, timeout: float, report: Callable[[str], None]
) -> tuple[bool, Flow]:
    """Until outboxes are empty, consumers caught up and nothing is parked, or timeout."""
    deadline = time.monotonic() + timeout
    last_said = 0.0
    while True:
        try:
            current = await flow(db, nc)
        except Exception as exc:  # a database locked for a moment, the broker reconnecting
            report(f"drain: cannot read the flow yet ({type(exc).__name__}); retrying")
            await asyncio.sleep(2)
            continue
        if current.drained:
            return True, current
        if time.monotonic() > deadline:
            return False, current
        if time.monotonic() - last_said > 15:
            report(f"draining: {current.summary()}")
            last_said = time.monotonic()
        await asyncio.sleep(2)


def _event(service: str, row: Any) -> Event:
    envelope = json.loads(row.body)
    payload = envelope.get("payload", {})
    case_id = payload.get("case_id")
    return Event(
        service=service,
        event_id=str(envelope["event_id"]),
        type=envelope["type"],
        published=row.published_at is not None,
        actor_kind=envelope.get("actor", {}).get("kind", "service"),
        case_id=str(case_id) if case_id else None,
        eligible=payload.get("eligible") if envelope["type"].endswith("case_screened") else None,
        approved=payload.get("approved") if envelope["type"].endswith("funding_decided") else None,
        contact_id=str(payload["contact_id"])
        if envelope["type"] == "reintegration.contact_recorded"
        else None,
        plan_id=str(payload["plan_id"]) if payload.get("plan_id") else None,
        stage=payload.get("stage") if envelope["type"] == ASSISTANCE else None,
        cash=envelope["type"] == ASSISTANCE
        and any(item.get("kind") == "cash" for item in payload.get("items", [])),
        causation_id=str(envelope["causation_id"]) if envelope.get("causation_id") else None,
    )


async def stream_messages(nc: Client) -> tuple[int, list[tuple[str, str]]]:
    """Every message on the stream, read by an ephemeral consumer without acks."""
    js = nc.jetstream()
    info = await js.stream_info(STREAM_NAME)
    total = int(info.state.messages)
    config = ConsumerConfig(
        ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=30.0
    )
    subscription = await js.pull_subscribe(">", stream=STREAM_NAME, config=config)
    found: list[tuple[str, str]] = []
    try:
        while len(found) < total:
            try:
                batch = await subscription.fetch(500, timeout=5)
            except (TimeoutError, nats.errors.TimeoutError):
                break
            for msg in batch:
                try:
                    event_id = str(json.loads(msg.data)["event_id"])
                except (ValueError, KeyError):
                    event_id = f"undecodable@{msg.metadata.sequence.stream}"
                found.append((msg.subject, event_id))
    finally:
        with contextlib.suppress(Exception):
            consumer = (await subscription.consumer_info()).name
            await subscription.unsubscribe()
            await js.delete_consumer(STREAM_NAME, consumer)
    return total, found


async def observe(db: Databases, nc: Client) -> Observed:
    events: list[Event] = []
    inbox: dict[str, set[str]] = {}
    dead: list[Held] = []
    parked: list[Held] = []
    for service in db.engines:
        for row in await db.rows(service, f"SELECT body, published_at FROM {service}_outbox"):
            events.append(_event(service, row))
        inbox[service] = {
            _uuid(r.event_id)
            for r in await db.rows(service, f"SELECT event_id FROM {service}_inbox")
        }
        for r in await db.rows(
            service, f"SELECT event_id, type, deliveries, error FROM {service}_dead_letter"
        ):
            dead.append(
                Held(service, _uuid(r.event_id), r.type, f"{r.deliveries} deliveries: {r.error}")
            )
        for r in (
            await db.optional_rows(
                service, f"SELECT event_id, type, wait_key, reason FROM {service}_parked"
            )
            or []
        ):
            parked.append(
                Held(service, _uuid(r.event_id), r.type, f"waits for {r.wait_key}: {r.reason}")
            )
    cases = {
        _uuid(r.case_id): (r.status, r.requester_name)
        for r in await db.rows(
            "registration", "SELECT case_id, status, requester_name FROM registration_cases"
        )
    }
    funding_cases = {
        _uuid(r.case_id): r.status
        for r in await db.rows("funding", "SELECT case_id, status FROM funding_cases")
    }
    commitments = [
        Commitment(
            _uuid(r.commitment_id),
            _uuid(r.case_id),
            r.period,
            r.person_ref,
            int(r.amount_cents),
            int(r.released_cents),
            r.origin,
        )
        for r in await db.rows(
            "funding",
            "SELECT commitment_id, case_id, period, person_ref, amount_cents, released_cents, "
            "origin FROM funding_commitments",
        )
    ]
    ledger = {
        (r.period, r.person_ref): int(r.committed_cents)
        for r in await db.rows(
            "funding", "SELECT period, person_ref, committed_cents FROM funding_person_ledger"
        )
    }
    caps = {
        r.period: int(r.per_person_cap_cents)
        for r in await db.rows("funding", "SELECT period, per_person_cap_cents FROM funding_funds")
    }
    grants = {
        _uuid(r.grant_id): r.status
        for r in await db.rows("reintegration", "SELECT grant_id, status FROM reintegration_grants")
    }
    audit_ids = [
        _uuid(r.event_id) for r in await db.rows("audit", "SELECT event_id FROM audit_log")
    ]
    total, stream = await stream_messages(nc)
    return Observed(
        cases=cases,
        funding_cases=funding_cases,
        events=events,
        audit_ids=audit_ids,
        stream=stream,
        stream_messages=total,
        consumers=await consumers(nc, db.engines),
        inbox={c: ids for c, ids in inbox.items()},
        commitments=commitments,
        ledger=ledger,
        caps=caps,
        grants=grants,
        dead_letters=dead,
        parked=parked,
    )


def _uuid(value: Any) -> str:
    """UUIDs as canonical strings (SQLite stores them as 32 hex digits, PostgreSQL as uuid)."""
    return str(uuid.UUID(str(value)))
