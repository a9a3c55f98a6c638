"""The read model from events: early events wait for their case, corrections move a case's
facts, a redelivered registration changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from events.registration import CaseCorrected, PersonFacts
from services.evaluation import store
from services.kit.definition import Runtime
from services.kit.errors import WaitingForEvent
from tests.integration.evaluation.scenario import deliver, envelope, returned_case


async def _rows(rt: Runtime) -> list[dict[str, object]]:
    async with rt.db("evaluation").reading() as session:
        joined = select(store.cases, store.people.c.sex, store.people.c.age_band).join(
            store.people, store.people.c.case_key == store.cases.c.case_key
        )
        return [dict(r._mapping) for r in await session.execute(joined)]


async def test_a_payment_before_its_case_waits_for_the_registration(rt: Runtime) -> None:
    case = returned_case(committed=10_000, paid=10_000)
    payment = next(e for e in case.events if e.type == "funding.disbursement_made")

    with pytest.raises(WaitingForEvent) as waiting:
        await deliver(rt, payment)

    assert waiting.value.key == f"case_id:{case.case_id}"


async def test_a_redelivered_registration_changes_nothing(rt: Runtime) -> None:
    case = returned_case(sexes=("female", "male"), ages=(30, 8))
    for event in case.events:
        await deliver(rt, event)
    before = await _rows(rt)

    await deliver(rt, case.events[0])

    assert await _rows(rt) == before
    assert sorted(r["age_band"] for r in before) == ["18-59", "5-11"]
    assert {r["outcome"] for r in before} == {"returned"}


async def test_a_correction_moves_the_case_and_the_persons_facts(rt: Runtime) -> None:
    case = returned_case(destination="GT", sexes=("female",), ages=(30,))
    await deliver(rt, case.events[0])
    correction = CaseCorrected(
        case_id=case.case_id,
        office="MX-01",
        case_version=2,
        fund_period="F2026",
        requester_type="international_organisation",
        departure_country="MX",
        destination_country="HN",
        allow_partial=False,
        vulnerability_categories=["disability"],
        people=[
            PersonFacts(
                person_ref=case.people[0],
                sex="female",
                age_years=61,
                age_band="60+",
                nationality="HN",
                vulnerability_categories=["disability"],
            )
        ],
        corrected=["destination_country"],
    )

    await deliver(rt, envelope(correction, "registration"))

    [row] = await _rows(rt)
    assert row["destination_country"] == "HN" and row["age_band"] == "60+"
