"""Two replicas of the funding service (each its own engine, consumer, relay and HTTP API)
against one PostgreSQL database and the 3-node cluster: they share the durable consumer's
work, each screening is decided once, and 60 concurrent commitments for one person, sent to
both replicas, stay within the cap."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import func, select

from services.funding.store import commitments, person_ledger
from services.registration.store import cases
from services.runtime.registry import service_names

from .conftest import (
    cluster_settings,
    create_fund,
    eventually,
    inbox_ids,
    leftovers,
    register_and_screen,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.postgres]

SCREENINGS = 24
REQUESTS = 60


async def test_two_funding_replicas_share_the_work_and_keep_the_cap(
    tmp_path, cluster, postgres_url, start_system
):
    settings = cluster_settings(
        tmp_path / "var",
        cluster,
        database_url=postgres_url,
        database_pool_size=4,  # the shared test server allows 100 connections in all
        database_max_overflow=4,
    )
    everything_but_funding = set(service_names()) - {"funding"}
    s = await start_system(settings, [everything_but_funding | {"funding"}, {"funding"}])
    first, second = s.nodes
    assert first.runners["funding"] is not second.runners["funding"]
    await create_fund(s)

    # Screenings arrive on the funding consumer; both replicas pull from it.
    screened = await asyncio.gather(*(register_and_screen(s, n) for n in range(SCREENINGS)))

    async def all_decided() -> bool:
        async with s.rt.db("registration").reading() as session:
            approved = await session.scalar(
                select(func.count()).where(cases.c.status == "funding_approved")
            )
        return approved == SCREENINGS

    await eventually(all_decided, timeout=120)
    async with s.rt.db("funding").reading() as session:
        per_case = Counter((await session.scalars(select(commitments.c.case_id))).all())
    assert sorted(per_case) == sorted(screened)
    assert set(per_case.values()) == {1}, "a screening was decided twice"
    shares = [first.runners["funding"].applied, second.runners["funding"].applied]
    assert all(n > 0 for n in shares), f"one replica did all the work: {shares}"
    applied = await inbox_ids(s.rt, "funding")
    assert len(applied) == len(set(applied))
    assert await leftovers(s.rt, "funding") == {"funding_dead_letter": 0, "funding_parked": 0}

    # 60 commitments at once for one person (900.00 of the 1,000.00 cap already committed),
    # half through each replica's process.
    case_id = screened[0]
    case = (await s.http.get(f"/api/cases/{case_id}", headers=s.auth("cw"))).json()
    person = case["people"][0]["person_ref"]
    body = {
        "person_ref": person,
        "currency": "USD",
        "lines": [{"category": "transport", "amount": "5.00"}],
    }

    async def commit(i: int) -> int:
        client = s.clients[i % 2]  # each replica's process takes half
        response = await client.post(
            f"/api/cases/{case_id}/commitments", json=body, headers=s.auth("sup")
        )
        assert response.status_code in (201, 409), response.text
        return response.status_code

    answers = Counter(await asyncio.gather(*(commit(i) for i in range(REQUESTS))))

    assert answers == {201: 20, 409: 40}  # (1,000.00 - 900.00) / 5.00
    async with s.rt.db("funding").reading() as session:
        committed = await session.scalar(
            select(func.sum(commitments.c.amount_cents - commitments.c.released_cents)).where(
                commitments.c.person_ref == person
            )
        )
        ledger = await session.scalar(
            select(person_ledger.c.committed_cents).where(person_ledger.c.person_ref == person)
        )
    assert committed == ledger == 100_000
