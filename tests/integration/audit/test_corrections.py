"""Audit's read models follow a case corrected before screening; the log chains it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from benchmarks.audit_scenario import Scenario, at, register
from db.uow import ServiceDatabase
from events.registration import CaseCorrected
from services.audit import store
from services.audit.queries.stages import select_stages
from services.kit.errors import WaitingForEvent
from tests.integration.audit.feeding import feed


def _corrected(s: Scenario, name: str) -> None:
    s.add(
        CaseCorrected(
            case_id=s.cases[name],
            office="GT-GUA",
            case_version=2,
            fund_period="2027",
            requester_type="government_return",
            departure_country="US",
            destination_country="SV",
            allow_partial=False,
            vulnerability_categories=["disability", "trafficking_victim"],
            corrected=["fund_period", "requester", "departure_country", "destination_country"],
        ),
        at(3, 2),
    )


async def _case(db: ServiceDatabase, s: Scenario) -> tuple[object, ...]:
    async with db.sessions() as session:
        row = (
            await session.execute(select(store.cases).where(store.cases.c.case_id == s.cases["c"]))
        ).one()
        cats = await session.scalars(
            select(store.case_categories.c.category)
            .where(store.case_categories.c.case_id == s.cases["c"])
            .order_by(store.case_categories.c.category)
        )
        return (
            row.fund_period,
            row.requester_type,
            row.departure_country,
            row.destination_country,
            row.status,
            list(cats),
        )


async def test_a_correction_replaces_the_case_facts_and_categories(db: ServiceDatabase) -> None:
    s = Scenario()
    register(s, "c", "2026", "GT-GUA", "HN", {"ana": ["woman_at_risk"]}, at(3, 1))
    _corrected(s, "c")

    await feed(db, *s.envelopes)

    assert await _case(db, s) == (
        "2027",
        "government_return",
        "US",
        "SV",
        "registered",
        ["disability", "trafficking_victim"],
    )
    async with db.sessions() as session:
        stages = await select_stages(session, by="category")
        logged = list(
            await session.scalars(select(store.log.c.type).order_by(store.log.c.position))
        )
    assert {(row.stage, row.group) for row in stages} == {
        ("registered", "disability"),
        ("registered", "trafficking_victim"),
    }
    assert logged == ["registration.return_registered", "registration.case_corrected"]


async def test_a_correction_before_its_registration_waits_for_it(db: ServiceDatabase) -> None:
    s = Scenario()
    register(s, "c", "2026", "GT-GUA", "HN", {"ana": ["woman_at_risk"]}, at(3, 1))
    _corrected(s, "c")
    registration, correction = s.envelopes

    with pytest.raises(WaitingForEvent) as waiting:
        await feed(db, correction)
    await feed(db, registration)
    await feed(db, correction)

    assert waiting.value.key == f"case_id:{s.cases['c']}"
    assert (await _case(db, s))[3] == "SV"
