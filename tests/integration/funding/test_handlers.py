from __future__ import annotations

import uuid

from db.uow import ServiceDatabase
from services.funding import store
from tests.integration.funding.factories import (
    deliver,
    make_fund,
    of_type,
    outbox,
    parked,
    person_ref,
    registered,
    screened,
    withdrawn,
)


async def test_eligible_case_gets_commitments_and_a_case_decision(db: ServiceDatabase) -> None:
    fund = await make_fund(db, received=1_000_000)
    a, b = person_ref(), person_ref()
    reg = registered(
        fund, {a: [("transport", 40_000), ("subsistence", 10_000)], b: [("transport", 40_000)]}
    )
    await deliver(db, reg)

    emitted = await deliver(db, screened(uuid.UUID(reg.payload["case_id"])))

    approved = of_type(emitted, "funding.commitment_approved")
    assert sorted((p["person_ref"], p["amount_cents"]) for p in approved) == sorted(
        [(a, 50_000), (b, 40_000)]
    )
    [decided] = of_type(emitted, "funding.case_funding_decided")
    assert decided["approved"] is True
    assert decided["committed_cents"] == decided["requested_cents"] == 90_000
    assert {e.event_id for e in emitted} <= {e.event_id for e in await outbox(db)}
    assert all(e.causation_id is not None for e in emitted)


async def test_case_over_the_cap_is_rejected_with_remaining_amounts(db: ServiceDatabase) -> None:
    fund = await make_fund(db, received=1_000_000)
    ref = person_ref()
    reg = registered(fund, {ref: [("transport", 80_000), ("reintegration_grant", 30_000)]})
    await deliver(db, reg)

    emitted = await deliver(db, screened(uuid.UUID(reg.payload["case_id"])))

    [rejected] = of_type(emitted, "funding.commitment_rejected")
    assert rejected["reason"] == "cap_exhausted"
    assert rejected["remaining_cap_cents"] == 100_000
    assert rejected["requested_cents"] == 110_000
    [decided] = of_type(emitted, "funding.case_funding_decided")
    assert decided["approved"] is False


async def test_case_allowing_partial_is_approved_up_to_the_cap(db: ServiceDatabase) -> None:
    fund = await make_fund(db, received=1_000_000)
    ref = person_ref()
    reg = registered(
        fund, {ref: [("transport", 80_000), ("reintegration_grant", 40_000)]}, allow_partial=True
    )
    await deliver(db, reg)

    emitted = await deliver(db, screened(uuid.UUID(reg.payload["case_id"])))

    [approved] = of_type(emitted, "funding.commitment_approved")
    assert approved["partial"] is True
    assert approved["amount_cents"] == 100_000
    assert sum(line["amount_cents"] for line in approved["lines"]) == 100_000
    assert approved["remaining_cap_cents"] == 0


async def test_cap_counts_across_cases_of_the_same_person(db: ServiceDatabase) -> None:
    fund = await make_fund(db, received=1_000_000)
    ref = person_ref()
    first = registered(fund, {ref: [("transport", 70_000)]})
    second = registered(fund, {ref: [("transport", 40_000)]})
    for reg in (first, second):
        await deliver(db, reg)

    await deliver(db, screened(uuid.UUID(first.payload["case_id"])))
    emitted = await deliver(db, screened(uuid.UUID(second.payload["case_id"])))

    [rejected] = of_type(emitted, "funding.commitment_rejected")
    assert rejected["remaining_cap_cents"] == 30_000


async def test_case_for_an_unknown_fund_is_rejected_not_crashed(db: ServiceDatabase) -> None:
    ref = person_ref()
    reg = registered("NOPE2099", {ref: [("transport", 10_000)]})
    await deliver(db, reg)

    emitted = await deliver(db, screened(uuid.UUID(reg.payload["case_id"])))

    [rejected] = of_type(emitted, "funding.commitment_rejected")
    assert rejected["reason"] == "unknown_fund"
    assert of_type(emitted, "funding.case_funding_decided")[0]["approved"] is False


async def test_lines_in_another_currency_are_rejected(db: ServiceDatabase) -> None:
    fund = await make_fund(db, received=1_000_000)
    reg = registered(fund, {person_ref(): [("transport", 10_000)]}, currency="EUR")
    await deliver(db, reg)

    emitted = await deliver(db, screened(uuid.UUID(reg.payload["case_id"])))

    assert of_type(emitted, "funding.commitment_rejected")[0]["reason"] == "currency_mismatch"


async def test_ineligible_case_gets_no_commitment(db: ServiceDatabase) -> None:
    fund = await make_fund(db, received=1_000_000)
    reg = registered(fund, {person_ref(): [("transport", 10_000)]})
    await deliver(db, reg)

    emitted = await deliver(db, screened(uuid.UUID(reg.payload["case_id"]), eligible=False))

    assert emitted == []


async def test_redelivered_events_are_applied_once(db: ServiceDatabase) -> None:
    fund = await make_fund(db, received=1_000_000)
    ref = person_ref()
    reg = registered(fund, {ref: [("transport", 10_000)]})
    screen = screened(uuid.UUID(reg.payload["case_id"]))

    await deliver(db, reg)
    await deliver(db, reg)
    await deliver(db, screen)
    again = await deliver(db, screen)

    assert again == []
    async with db.unit_of_work() as uow:
        assert (await store.fund(uow.session, fund)).committed_cents == 10_000  # type: ignore[union-attr]


async def test_withdrawal_releases_unspent_commitments(db: ServiceDatabase) -> None:
    fund = await make_fund(db, received=1_000_000)
    ref = person_ref()
    reg = registered(fund, {ref: [("transport", 60_000)]})
    case_id = uuid.UUID(reg.payload["case_id"])
    await deliver(db, reg)
    await deliver(db, screened(case_id))

    emitted = await deliver(db, withdrawn(case_id))
    again = await deliver(db, withdrawn(case_id, cancelled=True))

    [released] = of_type(emitted, "funding.commitment_released")
    assert released["released_cents"] == 60_000
    assert released["reason_code"] == "case_withdrawn"
    assert again == []
    async with db.unit_of_work() as uow:
        fund_row = await store.fund(uow.session, fund)
        people = await store.lock_people(uow.session, fund, [ref])
    assert fund_row is not None and fund_row.committed_cents == 0
    assert people[ref] == 0


async def test_withdrawal_before_its_registration_waits_for_it(db: ServiceDatabase) -> None:
    case_id = uuid.uuid4()
    emitted = await deliver(db, withdrawn(case_id, cancelled=True))  # the runner parks it

    assert emitted == []
    assert await parked(db) == [("registration.case_cancelled", f"case_id:{case_id}")]


async def test_screening_before_its_registration_waits_so_it_is_applied_after_it(
    db: ServiceDatabase,
) -> None:
    fund = await make_fund(db, received=1_000_000)
    a = person_ref()
    reg = registered(fund, {a: [("transport", 40_000)]})
    early = screened(uuid.UUID(reg.payload["case_id"]))

    parking = await deliver(db, early)  # the runner parks it until the registration is applied
    waited = await parked(db)
    emitted = await deliver(db, reg)  # applying it releases the screening, right after it
    again = await deliver(db, early)

    assert parking == [] and again == []
    assert waited == [("registration.case_screened", f"case_id:{reg.payload['case_id']}")]
    assert await parked(db) == []
    [decided] = of_type(emitted, "funding.case_funding_decided")
    assert decided["approved"] is True
