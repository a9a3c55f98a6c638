"""Funding follows registration's corrections of a case before screening."""

from __future__ import annotations

import uuid

from db.uow import ServiceDatabase
from events.envelope import Envelope
from events.registration import CaseCorrected, RequestedLine
from services.funding import store
from tests.integration.funding.factories import (
    OFFICE,
    deliver,
    envelope,
    make_fund,
    of_type,
    parked,
    person_ref,
    registered,
    screened,
)


def corrected(
    case_id: uuid.UUID,
    fund_period: str,
    lines: dict[str, list[tuple[str, int]]],
    *,
    allow_partial: bool = False,
) -> Envelope:
    return envelope(
        CaseCorrected(
            case_id=case_id,
            office=OFFICE,
            case_version=2,
            fund_period=fund_period,
            requester_type="international_organisation",
            departure_country="MX",
            destination_country="HN",
            allow_partial=allow_partial,
            vulnerability_categories=["woman_at_risk"],
            requested=[
                RequestedLine(person_ref=ref, category=cat, amount_cents=cents, currency="USD")
                for ref, person_lines in lines.items()
                for cat, cents in person_lines
            ],
            corrected=["fund_period", "requested", "allow_partial"],
        )
    )


async def one_case(db: ServiceDatabase) -> tuple[str, str, uuid.UUID, Envelope]:
    """A funded fund and the registration of one person's case asking 400.00 of transport."""
    fund = await make_fund(db, received=1_000_000)
    a = person_ref()
    reg = registered(fund, {a: [("transport", 40_000)]})
    return fund, a, uuid.UUID(reg.payload["case_id"]), reg


async def test_screening_commits_the_corrected_lines_in_the_corrected_fund(
    db: ServiceDatabase,
) -> None:
    first, second = await make_fund(db, received=1_000_000), await make_fund(db, received=1_000_000)
    a, b = person_ref(), person_ref()
    reg = registered(first, {a: [("transport", 90_000)], b: [("transport", 10_000)]})
    case_id = uuid.UUID(reg.payload["case_id"])
    await deliver(db, reg)

    await deliver(
        db,
        corrected(
            case_id,
            second,
            {a: [("transport", 30_000), ("medical", 5_000)], b: [("escort", 7_000)]},
            allow_partial=True,
        ),
    )
    emitted = await deliver(db, screened(case_id))

    approved = of_type(emitted, "funding.commitment_approved")
    assert {p["period"] for p in approved} == {second}
    assert sorted(
        (p["person_ref"], [(x["category"], x["amount_cents"]) for x in p["lines"]])
        for p in approved
    ) == sorted([(a, [("transport", 30_000), ("medical", 5_000)]), (b, [("escort", 7_000)])])
    [decided] = of_type(emitted, "funding.case_funding_decided")
    assert decided["committed_cents"] == decided["requested_cents"] == 42_000
    async with db.unit_of_work() as uow:
        case = await store.case(uow.session, case_id)
    assert case is not None and case.allow_partial is True and case.period == second


async def test_a_correction_removing_every_line_leaves_nothing_to_commit(
    db: ServiceDatabase,
) -> None:
    fund, a, case_id, reg = await one_case(db)
    await deliver(db, reg)

    await deliver(db, corrected(case_id, fund, {}))
    emitted = await deliver(db, screened(case_id))

    assert of_type(emitted, "funding.commitment_approved") == []
    async with db.unit_of_work() as uow:
        assert await store.lines_of_case(uow.session, case_id) == {}


async def test_a_correction_before_its_registration_waits_then_applies_after_it(
    db: ServiceDatabase,
) -> None:
    fund, a, case_id, reg = await one_case(db)
    early = corrected(case_id, fund, {a: [("transport", 25_000)]})

    parking = await deliver(db, early)  # the runner parks it until the registration is applied
    waited = await parked(db)
    await deliver(db, reg)
    await deliver(db, early)
    emitted = await deliver(db, screened(case_id))

    assert parking == []
    assert waited == [("registration.case_corrected", f"case_id:{case_id}")]
    assert await parked(db) == []
    [approved] = of_type(emitted, "funding.commitment_approved")
    assert approved["amount_cents"] == 25_000


async def test_a_correction_of_a_case_already_decided_changes_nothing(
    db: ServiceDatabase,
) -> None:
    fund, a, case_id, reg = await one_case(db)
    await deliver(db, reg)
    await deliver(db, screened(case_id))

    emitted = await deliver(db, corrected(case_id, fund, {a: [("transport", 1_000)]}))

    assert emitted == []
    async with db.unit_of_work() as uow:
        lines = await store.lines_of_case(uow.session, case_id)
    assert [line.amount_cents for line, _ in lines[a]] == [40_000]
