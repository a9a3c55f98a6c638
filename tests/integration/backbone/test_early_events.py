"""Events that arrive before the event they depend on wait for it (parked), on a real
nats-server and SQLite files / PostgreSQL; a consumer that stops gives its messages back."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from nats.aio.msg import Msg
from sqlalchemy import select

from benchmarks.probe import RECEIVER, SENDER, Followed, Opened, case_rows, emit, receiver_tables
from db.migrate import upgrade_async
from events.envelope import Envelope
from services.funding import store as funding_store
from services.funding.service import SERVICE as FUNDING
from services.runtime import pull
from services.runtime.consumer import EventRunner
from services.runtime.deadletters import list_parked
from tests.integration.funding.factories import make_fund, person_ref, registered, screened

from .conftest import eventually, make_settings

pytestmark = pytest.mark.integration


def hold_first(runner: EventRunner, event_type: str) -> list[Msg]:
    """Make the runner's process keep the first message of ``event_type`` unacknowledged and
    unapplied, as a consumer does that fetched it and then died: the server redelivers it
    only after its ack wait, while the events after it keep flowing."""
    held: list[Msg] = []
    original = runner.process

    async def process(messages: list[Msg]) -> None:
        rest = []
        for message in messages:
            if not held and Envelope.from_bytes(message.data).type == event_type:
                held.append(message)
            else:
                rest.append(message)
        if rest:
            await original(rest)

    runner.process = process  # type: ignore[method-assign]
    return held


async def parked_rows(node, service: str = "receiver"):  # type: ignore[no-untyped-def]
    db = node.runtime.db(service)
    async with db.reading() as session:
        return (await session.execute(select(db.tables.parked))).all()


async def dead_letters(node, service: str = "receiver"):  # type: ignore[no-untyped-def]
    db = node.runtime.db(service)
    async with db.reading() as session:
        return (await session.execute(select(db.tables.dead_letter))).all()


async def test_a_screening_redelivered_before_its_registration_waits_and_the_case_is_decided(
    start_node, tmp_path, database
):
    """The race seen under chaos: funding held a case's registration unacknowledged when it
    was killed; the screening arrived first. It must wait, not fail, and the case must get
    its decision once the registration comes back, with a budget of two deliveries."""
    settings = make_settings(tmp_path / "var", database_url=database, max_deliver=2)
    settings.data_dir.mkdir(parents=True)
    await upgrade_async("funding", settings.database_url_for("funding"))
    node = await start_node([FUNDING], settings=settings)
    db = node.runtime.db("funding")
    fund = await make_fund(db, received=1_000_000)
    held = hold_first(node.runners["funding"], "registration.return_registered")
    registration = registered(fund, {person_ref(): [("transport", 40_000)]})
    case_id = uuid.UUID(registration.payload["case_id"])

    for event in (registration, screened(case_id)):
        await node.js.publish(
            event.subject, event.to_bytes(), headers={"Nats-Msg-Id": str(event.event_id)}
        )
    [parked] = await eventually(lambda: parked_rows(node, "funding"))
    await asyncio.sleep(3)  # longer than the runner's first retry delays: it stays parked
    assert parked.type == "registration.case_screened"
    assert parked.wait_key == f"case_id:{case_id}"
    assert len(held) == 1 and await dead_letters(node, "funding") == []

    await held[0].nak()  # the registration is delivered again (after the ack wait, in life)

    async def decided():  # type: ignore[no-untyped-def]
        async with db.reading() as session:
            status = await session.scalar(
                select(funding_store.cases.c.status).where(funding_store.cases.c.case_id == case_id)
            )
        return status if status not in (None, "registered") else None

    assert await eventually(decided) == "funded"
    assert await parked_rows(node, "funding") == []
    assert await dead_letters(node, "funding") == []
    async with db.reading() as session:
        decisions = [
            Envelope.from_bytes(body)
            for body in (await session.execute(select(db.tables.outbox.c.body))).scalars()
        ]
    assert [
        e.payload["approved"] for e in decisions if e.type == "funding.case_funding_decided"
    ] == [True]


async def test_early_events_wait_in_stream_order_without_using_their_deliveries(start_node):
    node = await start_node([SENDER, RECEIVER], max_deliver=2)
    held = hold_first(node.runners["receiver"], "sender.opened")
    case = "c1"

    await emit(node.runtime, Opened(case_id=case), Followed(case_id=case, step=1))
    await emit(node.runtime, Followed(case_id=case, step=2))
    parked = await eventually(
        lambda: _at_least(parked_rows(node), 2)
    )  # a failure would be retried once after 0.5 s, then dead-lettered
    assert [Envelope.from_bytes(r.body).payload["step"] for r in parked] == [1, 2]
    assert await case_rows(node.runtime, case) == []
    listed = [p for p in await list_parked(node.runtime) if p.service == "receiver"]
    assert [(p.type, p.wait_key, p.failures) for p in listed] == [
        ("sender.followed", "case_id:c1", 0),
        ("sender.followed", "case_id:c1", 0),
    ]
    flow = (await node.health())["flow"]["receiver"]
    assert flow["parked"] == 2 and flow["oldest_parked_seconds"] >= 0

    await held[0].nak()

    assert await eventually(lambda: _at_least(case_rows(node.runtime, case), 3)) == [
        ("opened", 0),
        ("case", 1),
        ("case", 2),
    ]
    assert await parked_rows(node) == []
    assert await dead_letters(node) == []


async def test_an_early_event_of_another_case_does_not_hold_back_the_rest(start_node):
    node = await start_node([SENDER, RECEIVER], max_deliver=2)
    held = hold_first(node.runners["receiver"], "sender.opened")

    await emit(node.runtime, Opened(case_id="late"), Followed(case_id="late", step=1))
    await emit(node.runtime, Opened(case_id="other"), Followed(case_id="other", step=1))

    assert await eventually(lambda: _at_least(case_rows(node.runtime, "other"), 2)) == [
        ("opened", 0),
        ("case", 1),
    ]
    [parked] = await parked_rows(node)
    assert parked.wait_key == "case_id:late"
    await held[0].nak()
    await eventually(lambda: _at_least(case_rows(node.runtime, "late"), 2))


async def test_a_parked_event_applied_meanwhile_elsewhere_is_released_by_the_sweep(start_node):
    """Another replica may apply the prerequisite: the periodic sweep finds it applied."""
    node = await start_node([SENDER, RECEIVER], parked_retry_seconds=0.2)
    held = hold_first(node.runners["receiver"], "sender.opened")
    [opened_id, _] = await emit(node.runtime, Opened(case_id="c"), Followed(case_id="c", step=1))
    await eventually(lambda: parked_rows(node))

    # The prerequisite's effect committed by someone else (not through this runner).
    from benchmarks.probe import applied

    async with node.runtime.db("receiver").unit_of_work() as uow:
        await uow.session.execute(applied.insert().values(event_id=opened_id, n=0, type="opened c"))
        await uow.commit()

    assert await eventually(lambda: _at_least(case_rows(node.runtime, "c"), 2)) == [
        ("opened", 0),
        ("case", 1),
    ]
    assert held and await parked_rows(node) == []


async def test_a_parked_event_whose_prerequisite_never_comes_is_dead_lettered_in_time(
    start_node,
):
    node = await start_node([SENDER, RECEIVER], parked_retry_seconds=0.2, parked_max_hours=1 / 3600)
    [followed_id] = await emit(node.runtime, Followed(case_id="orphan", step=1))

    [dead] = await eventually(lambda: dead_letters(node), timeout=20)
    assert dead.event_id == followed_id
    assert "case_id:orphan" in dead.error and "never came" in dead.error
    assert await parked_rows(node) == []


async def test_a_stopped_consumer_gives_its_unacknowledged_messages_back_at_once(
    start_node, tmp_path, database, monkeypatch
):
    """SIGTERM: the messages in hand are nak'ed, so another consumer gets them now, not
    after the ack wait (30 s)."""
    monkeypatch.setattr(pull, "STOP_GRACE_SECONDS", 0.2)
    broker = await start_node([SENDER, RECEIVER], active={"sender"})
    shared = {"nats_url": broker.nats_url, "database_url": database}
    first = await start_node(
        [SENDER, RECEIVER],
        active={"receiver"},
        settings=make_settings(tmp_path / "var", **shared),
    )
    stuck = asyncio.Event()

    async def never_finishes(messages: list[Msg]) -> None:
        stuck.set()
        await asyncio.Event().wait()

    first.runners["receiver"].process = never_finishes  # type: ignore[method-assign]
    [event_id] = await emit(broker.runtime, Opened(case_id="handed-back"))
    await asyncio.wait_for(stuck.wait(), 15)

    await first.stop()
    second = await start_node(
        [SENDER, RECEIVER],
        active={"receiver"},
        settings=make_settings(tmp_path / "var", **shared),
    )

    rows = await eventually(lambda: case_rows(second.runtime, "handed-back"), timeout=10)
    assert rows == [("opened", 0)]  # within 10 s, well before the ack wait
    async with second.runtime.db("receiver").reading() as session:
        applied_ids = (await session.execute(select(receiver_tables.inbox.c.event_id))).scalars()
        assert event_id in set(applied_ids)


async def _at_least(rows_awaitable, n: int):  # type: ignore[no-untyped-def]
    rows = await rows_awaitable
    return rows if len(rows) >= n else None
