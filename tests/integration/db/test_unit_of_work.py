"""The unit of work on a real SQLite file: writers serialize, readers never wait for them."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select

from db.engine import make_engine
from db.schema import MessagingTables, service_metadata
from db.uow import ServiceDatabase
from events.envelope import Payload

pytestmark = pytest.mark.integration

metadata: MetaData = service_metadata()
tables = MessagingTables(metadata, "probe")
counter = Table("probe_counter", metadata, Column("id", Integer, primary_key=True))


class Probed(Payload):
    service = "probe"
    event = "probed"


@pytest.fixture
async def db(database_url):
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield ServiceDatabase("probe", engine, tables)
    await engine.dispose()


async def test_a_reader_does_not_wait_for_a_writer_holding_the_lock(db):
    async with db.unit_of_work() as writer:
        await writer.session.execute(insert(counter).values(id=1))  # holds the write lock

        async with db.reading() as reader:
            seen = await asyncio.wait_for(
                reader.scalar(select(func.count()).select_from(counter)), timeout=2
            )

        assert seen == 0  # the reader sees the last committed state
        await writer.commit()


async def test_events_reach_the_outbox_only_when_the_unit_commits(db):
    async with db.unit_of_work() as uow:
        uow.emit(Probed())
        # leaving without commit rolls back
    async with db.unit_of_work() as uow:
        kept = uow.emit(Probed())
        await uow.commit()

    async with db.reading() as session:
        ids = (await session.execute(select(tables.outbox.c.event_id))).scalars().all()
    assert ids == [kept.event_id]


async def test_a_service_cannot_emit_another_services_event(db):
    class Foreign(Payload):
        service = "funding"
        event = "foreign"

    async with db.unit_of_work() as uow:
        with pytest.raises(ValueError, match="probe cannot emit funding.foreign"):
            uow.emit(Foreign())


async def test_rows_queued_for_later_are_inserted_at_commit_in_one_go(db):
    async with db.unit_of_work() as uow:
        for i in range(1, 4):
            uow.insert_later(counter, {"id": i})
        async with db.reading() as other:
            before = await other.scalar(select(func.count()).select_from(counter))
        await uow.commit()

    async with db.reading() as session:
        after = await session.scalar(select(func.count()).select_from(counter))
    assert (before, after) == (0, 3)


async def test_rows_queued_for_later_are_dropped_when_the_unit_does_not_commit(db):
    async with db.unit_of_work() as uow:
        uow.insert_later(counter, {"id": 1})
        await uow.rollback()
        await uow.commit()

    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(counter)) == 0


async def test_before_commit_hooks_run_once_inside_the_transaction_and_not_on_rollback(db):
    ran: list[str] = []

    async def hook() -> None:
        ran.append("hook")
        await uow.session.execute(insert(counter).values(id=7))

    async with db.unit_of_work() as uow:
        uow.before_commit(hook)
        await uow.rollback()
        await uow.commit()
    async with db.unit_of_work() as uow:
        uow.before_commit(hook)
        await uow.commit()

    assert ran == ["hook"]
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(counter)) == 1
