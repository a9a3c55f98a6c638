"""The audit consumer applies a fetched batch in one unit of work: one look-up of the batch in
the log, and the read models without a savepoint an event. With a real nats-server, on SQLite
and PostgreSQL: the read models come out as when each event is applied alone, an event the
log already holds is not chained twice, and an event whose fields cannot be read still enters
the log and is left out of the read models (the batch fails and is applied one by one)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, func, select

from benchmarks.audit_scenario import build
from db.migrate import upgrade_async
from db.uow import ServiceDatabase
from events.envelope import STREAM_NAME, Envelope
from services.audit import store
from services.audit.service import SERVICE
from services.audit.usecases.verify import verify_log
from services.kit.settings import Settings
from services.runtime.node import Node
from tests.integration.audit.feeding import feed
from tests.integration.audit.test_handlers import envelope as make_envelope
from tests.integration.backbone.conftest import make_settings
from tests.support import eventually, open_service_db

READ_MODELS = (
    store.cases,
    store.case_stages,
    store.funds,
    store.contributions,
    store.commitments,
    store.disbursements,
)


@pytest.fixture
async def settings(tmp_path: Path, database_url: str) -> Settings:
    await upgrade_async("audit", database_url)
    return make_settings(tmp_path / "var", database_url=database_url)


@asynccontextmanager
async def published_then_consumed(
    settings: Settings, envelopes: Sequence[Envelope]
) -> AsyncIterator[Node]:
    """Publish every envelope first (a node without consumers), then start audit's consumer
    on the same broker, so that its first fetch takes them all as one batch. Yields the
    consuming node; both nodes are stopped after."""
    broker = Node(settings, [SERVICE], set())
    await broker.start()
    try:
        for envelope in envelopes:
            await broker.js.publish(
                envelope.subject,
                envelope.to_bytes(),
                stream=STREAM_NAME,
                headers={"Nats-Msg-Id": str(envelope.event_id)},
            )
        consumer = Node(
            settings.model_copy(update={"nats_url": broker.nats_url}), [SERVICE], {"audit"}
        )
        await consumer.start()
        try:
            yield consumer
        finally:
            await consumer.stop()
    finally:
        await broker.stop()


async def logged(db: ServiceDatabase) -> list[uuid.UUID]:
    async with db.reading() as session:
        rows = await session.execute(select(store.log.c.event_id).order_by(store.log.c.position))
        return list(rows.scalars())


async def rows_of(db: ServiceDatabase, table: Table) -> list[tuple[Any, ...]]:
    async with db.reading() as session:
        rows = (await session.execute(select(table))).all()
    return sorted((tuple(str(v) for v in row) for row in rows), key=str)


async def count(db: ServiceDatabase, table: Table) -> int:
    async with db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_a_batch_builds_the_read_models_each_event_alone_would(
    settings: Settings, tmp_path: Path
) -> None:
    history = build().envelopes
    async with published_then_consumed(settings, history) as node:
        db = node.runtime.db("audit")  # type: ignore[union-attr]
        ids = [e.event_id for e in history]
        await eventually(lambda: _logged_all(db, ids))
        one_by_one = await open_service_db(SERVICE, f"sqlite+aiosqlite:///{tmp_path / 'alone.db'}")
        try:
            for envelope in history:
                await feed(one_by_one, envelope)
            for table in READ_MODELS:
                assert await rows_of(db, table) == await rows_of(one_by_one, table), table.name
        finally:
            await one_by_one.engine.dispose()
        assert await count(db, store.cases) > 0 and await count(db, store.disbursements) > 0
        assert (await verify_log(node.runtime)).intact  # type: ignore[arg-type]


async def test_an_event_already_in_the_log_is_not_chained_again_from_a_batch(
    settings: Settings, database_url: str
) -> None:
    """The log can hold an event its inbox does not (applied, then the inbox row pruned
    after its days): the batch's one look-up finds it."""
    history = build().envelopes[:10]
    earlier = await open_service_db(SERVICE, database_url)
    await feed(earlier, history[3])
    await earlier.engine.dispose()

    async with published_then_consumed(settings, history) as node:
        db = node.runtime.db("audit")  # type: ignore[union-attr]
        expected = [history[3].event_id] + [e.event_id for i, e in enumerate(history) if i != 3]
        await eventually(lambda: _logged_all(db, expected))
        assert await logged(db) == expected  # (signed by the tests' key first: not verified)


async def test_a_broken_event_in_a_batch_is_chained_and_left_out_of_the_read_models(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    history = build().envelopes[:10]
    broken = make_envelope("funding.disbursement_made", {"disbursement_id": "not-a-uuid"})
    events = [*history[:5], broken, *history[5:]]
    caplog.set_level(logging.INFO)

    async with published_then_consumed(settings, events) as node:
        db = node.runtime.db("audit")  # type: ignore[union-attr]
        await eventually(lambda: _logged_all(db, [e.event_id for e in events]))
        assert await logged(db) == [e.event_id for e in events]
        assert "retrying one by one" in caplog.text  # the batch path ran, and failed
        assert f"{broken.event_id} left out of the read models" in caplog.text
        registered = [e for e in history if e.type == "registration.return_registered"]
        assert registered and await count(db, store.cases) == len(registered)
        assert await count(db, store.disbursements) == 0
        assert (await verify_log(node.runtime)).intact  # type: ignore[arg-type]


async def _logged_all(db: ServiceDatabase, ids: Sequence[uuid.UUID]) -> bool:
    return set(await logged(db)) >= set(ids)
