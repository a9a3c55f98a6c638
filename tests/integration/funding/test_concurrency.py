"""Simultaneous commitment requests never take a person above the cap, nor a fund below zero."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from sqlalchemy import func, select

from db.uow import ServiceDatabase
from services.funding import store
from services.funding.domain import Line
from services.funding.usecases import casework
from services.funding.usecases.committing import Outcome
from services.kit.errors import ConflictError
from tests.integration.funding.factories import (
    CASEWORKER,
    SUPERVISOR,
    deliver,
    make_fund,
    person_ref,
    registered,
    screened,
)

REQUESTS = 60


async def eligible_case(
    db: ServiceDatabase, fund: str, lines: dict[str, list[tuple[str, int]]]
) -> uuid.UUID:
    reg = registered(fund, lines)
    case_id = uuid.UUID(reg.payload["case_id"])
    await deliver(db, reg)
    await deliver(db, screened(case_id))
    return case_id


async def request(
    db: ServiceDatabase, case_id: uuid.UUID, ref: str, cents: int, *, partial: bool = False
) -> Outcome:
    """One caseworker request in its own unit of work."""
    async with db.unit_of_work() as uow:
        outcome = await casework.decide_request(
            uow, case_id, ref, (Line("transport", cents),), partial, None, CASEWORKER
        )
        await uow.commit()
        return outcome


async def committed_in_rows(db: ServiceDatabase, fund: str, ref: str | None = None) -> int:
    t = store.commitments
    query = select(func.coalesce(func.sum(t.c.amount_cents - t.c.released_cents), 0)).where(
        t.c.period == fund
    )
    if ref is not None:
        query = query.where(t.c.person_ref == ref)
    async with db.unit_of_work() as uow:
        return int((await uow.session.execute(query)).scalar_one())


async def test_concurrent_requests_for_one_person_stay_within_the_cap(db: ServiceDatabase) -> None:
    fund = await make_fund(db, received=5_000_000, cap=100_000)
    ref = person_ref()
    case_id = await eligible_case(db, fund, {ref: [("transport", 10_000)]})

    outcomes = await asyncio.gather(*(request(db, case_id, ref, 5_000) for _ in range(REQUESTS)))

    approved = [o for o in outcomes if o.decision.approved]
    assert len(approved) == 18  # (100_000 - 10_000) / 5_000
    assert await committed_in_rows(db, fund, ref) == 100_000
    async with db.unit_of_work() as uow:
        ledger = await store.lock_people(uow.session, fund, [ref])
        fund_row = await store.fund(uow.session, fund)
    assert ledger[ref] == 100_000
    assert fund_row is not None and fund_row.committed_cents == 100_000


async def test_concurrent_partial_requests_fill_the_cap_exactly(db: ServiceDatabase) -> None:
    fund = await make_fund(db, received=5_000_000, cap=100_000)
    ref = person_ref()
    case_id = await eligible_case(db, fund, {ref: [("transport", 1_234)]})

    await asyncio.gather(*(request(db, case_id, ref, 7_001, partial=True) for _ in range(REQUESTS)))

    assert await committed_in_rows(db, fund, ref) == 100_000


async def test_concurrent_requests_never_take_the_fund_below_zero(db: ServiceDatabase) -> None:
    fund = await make_fund(db, received=250_000, cap=100_000)
    people = [person_ref() for _ in range(10)]
    case_id = await eligible_case(db, fund, {ref: [("transport", 100)] for ref in people})

    await asyncio.gather(*(request(db, case_id, people[i % 10], 9_900) for i in range(REQUESTS)))

    total = await committed_in_rows(db, fund)
    assert total == 1_000 + 25 * 9_900  # screening, then as many requests as the balance allows
    async with db.unit_of_work() as uow:
        fund_row = await store.fund(uow.session, fund)
    assert fund_row is not None
    assert fund_row.committed_cents == total
    assert fund_row.received_cents - fund_row.committed_cents >= 0
    for ref in people:
        assert await committed_in_rows(db, fund, ref) <= 100_000


async def pay(db: ServiceDatabase, commitment_id: uuid.UUID, cents: int) -> bool:
    try:
        async with db.unit_of_work() as uow:
            await casework.pay(
                uow, commitment_id, cents, "transport", date(2026, 5, 1), None, SUPERVISOR
            )
            await uow.commit()
    except ConflictError:
        return False
    return True


async def test_concurrent_disbursements_never_exceed_the_commitment(db: ServiceDatabase) -> None:
    fund = await make_fund(db, received=5_000_000, cap=100_000)
    ref = person_ref()
    case_id = await eligible_case(db, fund, {ref: [("transport", 20_000)]})
    async with db.unit_of_work() as uow:
        [commitment] = await store.active_commitments(uow.session, case_id)

    paid = await asyncio.gather(
        *(pay(db, commitment.commitment_id, 1_000) for _ in range(REQUESTS))
    )

    assert sum(paid) == 20
    t = store.disbursements
    async with db.unit_of_work() as uow:
        total = (await uow.session.execute(select(func.sum(t.c.amount_cents)))).scalar_one()
        fund_row = await store.fund(uow.session, fund)
    assert total == 20_000
    assert fund_row is not None and fund_row.disbursed_cents == 20_000
