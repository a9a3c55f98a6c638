"""Two small services, sender and receiver, that prove the backbone's guarantees: the backbone
tests run them, and `benchmarks.pipeline` measures the pipeline with them (they are not part
of the product)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import Column, Integer, String, Table, Uuid, insert, select

from db.schema import MessagingTables, service_metadata
from db.uow import UnitOfWork
from events.envelope import Envelope, Payload
from services.kit.definition import Handler, Runtime, ServiceDef
from services.kit.errors import WaitingForEvent


class Pinged(Payload):
    service = "sender"
    event = "pinged"

    n: int


class Poisoned(Payload):
    service = "sender"
    event = "poisoned"

    n: int


class Stepped(Payload):
    """A step of a case; the receiver applies a case's steps in order."""

    service = "sender"
    event = "stepped"

    case_id: str
    step: int


class Opened(Payload):
    """A case's first event: the receiver's followers need it applied first."""

    service = "sender"
    event = "opened"

    case_id: str


class Followed(Payload):
    """A later event of a case, meaningless before the case is opened."""

    service = "sender"
    event = "followed"

    case_id: str
    step: int


# (case, step) -> how many more times applying it fails: a batch attempt and the retry of the
# event on its own each count once
FAILURES: dict[tuple[str, int], int] = {}


sender_metadata = service_metadata()
sender_tables = MessagingTables(sender_metadata, "sender")

receiver_metadata = service_metadata()
receiver_tables = MessagingTables(receiver_metadata, "receiver")
applied = Table(
    "receiver_applied",
    receiver_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Uuid, nullable=False),
    Column("n", Integer, nullable=False),
    Column("type", String(60), nullable=False),
)


async def _create_all(rt: Runtime, name: str, metadata) -> None:  # type: ignore[no-untyped-def]
    async with rt.db(name).engine.begin() as conn:
        await conn.run_sync(metadata.create_all)


async def on_pinged(uow: UnitOfWork, event: Envelope) -> None:
    ping = event.parse(Pinged)
    uow.insert_later(applied, {"event_id": event.event_id, "n": ping.n, "type": event.type})


async def on_pinged_any(uow: UnitOfWork, event: Envelope) -> None:
    """Like on_pinged, for any payload with an ``n`` (a fixed version of on_poisoned)."""
    n = int(event.payload["n"])
    uow.insert_later(applied, {"event_id": event.event_id, "n": n, "type": event.type})


async def on_stepped(uow: UnitOfWork, event: Envelope) -> None:
    stepped = event.parse(Stepped)
    key = (stepped.case_id, stepped.step)
    if FAILURES.get(key, 0) > 0:
        FAILURES[key] -= 1
        raise RuntimeError("a passing failure")
    row = {"event_id": event.event_id, "n": stepped.step, "type": f"case {stepped.case_id}"}
    uow.insert_later(applied, row)


async def on_opened(uow: UnitOfWork, event: Envelope) -> None:
    opened = event.parse(Opened)
    row = {"event_id": event.event_id, "n": 0, "type": f"opened {opened.case_id}"}
    await uow.session.execute(insert(applied), [row])


async def on_followed(uow: UnitOfWork, event: Envelope) -> None:
    followed = event.parse(Followed)
    seen = await uow.session.scalar(
        select(applied.c.id).where(applied.c.type == f"opened {followed.case_id}")
    )
    if seen is None:
        raise WaitingForEvent("case_id", followed.case_id, "followed before it was opened")
    row = {"event_id": event.event_id, "n": followed.step, "type": f"case {followed.case_id}"}
    await uow.session.execute(insert(applied), [row])


async def on_poisoned(uow: UnitOfWork, event: Envelope) -> None:
    raise RuntimeError("this handler always fails")


def receiver_handlers(rt: Runtime) -> Mapping[str, Handler]:
    return {
        Pinged.type_name(): on_pinged,
        Poisoned.type_name(): on_poisoned,
        Stepped.type_name(): on_stepped,
        Opened.type_name(): on_opened,
        Followed.type_name(): on_followed,
    }


SENDER = ServiceDef(
    name="sender",
    metadata=sender_metadata,
    tables=sender_tables,
    on_start=lambda rt: _create_all(rt, "sender", sender_metadata),
)
RECEIVER = ServiceDef(
    name="receiver",
    metadata=receiver_metadata,
    tables=receiver_tables,
    handlers=receiver_handlers,
    on_start=lambda rt: _create_all(rt, "receiver", receiver_metadata),
)


async def send(rt: Runtime, *numbers: int, poison: bool = False) -> list[uuid.UUID]:
    async with rt.db("sender").unit_of_work() as uow:
        ids = [uow.emit((Poisoned if poison else Pinged)(n=n)).event_id for n in numbers]
        await uow.commit()
    return ids


async def applied_rows(rt: Runtime) -> list[tuple[uuid.UUID, int]]:
    async with rt.db("receiver").sessions() as session:
        rows = await session.execute(select(applied.c.event_id, applied.c.n).order_by(applied.c.id))
        return [(r.event_id, r.n) for r in rows]


async def emit(rt: Runtime, *payloads: Payload) -> list[uuid.UUID]:
    """Commit events of any probe type from the sender, in this order."""
    async with rt.db("sender").unit_of_work() as uow:
        ids = [uow.emit(p).event_id for p in payloads]
        await uow.commit()
    return ids


async def case_rows(rt: Runtime, case_id: str) -> list[tuple[str, int]]:
    """What the receiver applied for a case, in the order applied."""
    async with rt.db("receiver").sessions() as session:
        rows = await session.execute(
            select(applied.c.type, applied.c.n)
            .where(applied.c.type.in_([f"opened {case_id}", f"case {case_id}"]))
            .order_by(applied.c.id)
        )
        return [(r.type.split()[0], r.n) for r in rows]
