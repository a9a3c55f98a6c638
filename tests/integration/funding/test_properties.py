"""Random sequences of receipts, commitments, disbursements, releases and reversals (of receipts
and payments) against the real store: no person above the cap, no fund below zero,
contributions and attributions add up exactly, net of reversals."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.uow import ServiceDatabase
from services.funding import store
from services.funding.domain import Line
from services.funding.domain.money import contribution_scale
from services.funding.usecases import casework, funds, reversing
from services.kit.errors import ConflictError
from tests.integration.funding.factories import (
    ADMIN,
    SUPERVISOR,
    deliver,
    period,
    person_ref,
    registered,
    screened,
    withdrawn,
)

MEMBERS = ("AR", "BR", "CA", "MX", "US")
CAP = 100_000

basis_points = st.lists(st.integers(1, 2_000), min_size=0, max_size=4).map(
    lambda bps: [*bps, 10_000 - sum(bps)]
)
money = st.integers(1, 60_000)
operation = st.one_of(
    st.tuples(st.just("receipt"), st.integers(0, 4), st.integers(1, 300_000)),
    st.tuples(st.just("commit"), st.integers(0, 1), st.integers(0, 3), money, st.booleans()),
    st.tuples(st.just("disburse"), st.integers(0, 50), money),
    st.tuples(st.just("release"), st.integers(0, 1)),
    st.tuples(st.just("reverse_receipt"), st.integers(0, 50)),
    st.tuples(st.just("reverse_payment"), st.integers(0, 50)),
)


async def setup(
    db: ServiceDatabase, target: int, bps: list[int], initial: int
) -> tuple[str, list[Any], list[str]]:
    name = period()
    shares = [(m, Decimal(bp) / 100) for m, bp in zip(MEMBERS, bps, strict=False)]
    async with db.unit_of_work() as uow:
        await funds.add_fund(
            uow, funds.NewFund(name, "USD", CAP, target, contribution_scale(shares)), ADMIN
        )
        if initial:
            await funds.add_contribution(
                uow, "receipt", name, MEMBERS[0], initial, date(2026, 1, 1), None, ADMIN
            )
        await uow.commit()
    people = [person_ref() for _ in range(4)]
    cases = []
    for _ in range(2):
        reg = registered(name, {ref: [("transport", 20_000)] for ref in people})
        await deliver(db, reg)
        await deliver(db, screened(uuid.UUID(reg.payload["case_id"])))
        cases.append(uuid.UUID(reg.payload["case_id"]))
    return name, cases, people


async def apply(
    db: ServiceDatabase,
    fund: str,
    cases: list[Any],
    people: list[str],
    op: tuple[Any, ...],
    members: int,
) -> None:
    kind = op[0]
    try:
        async with db.unit_of_work() as uow:
            if kind == "receipt":
                member = MEMBERS[op[1] % members]
                await funds.add_contribution(
                    uow, "receipt", fund, member, op[2], date(2026, 2, 1), None, ADMIN
                )
            elif kind == "commit":
                await casework.decide_request(
                    uow,
                    cases[op[1]],
                    people[op[2]],
                    (Line("transport", op[3]),),
                    op[4],
                    None,
                    SUPERVISOR,
                )
            elif kind == "disburse":
                t = store.commitments
                ids = list(
                    (
                        await uow.session.execute(
                            select(t.c.commitment_id)
                            .where(t.c.period == fund)
                            .order_by(t.c.created_at, t.c.commitment_id)
                        )
                    ).scalars()
                )
                if not ids:
                    return
                await casework.pay(
                    uow,
                    ids[op[1] % len(ids)],
                    op[2],
                    "transport",
                    date(2026, 3, 1),
                    None,
                    SUPERVISOR,
                )
            elif kind in ("reverse_receipt", "reverse_payment"):
                t = store.receipts if kind == "reverse_receipt" else store.disbursements
                key = t.c.entry_id if kind == "reverse_receipt" else t.c.disbursement_id
                ids = list(
                    (
                        await uow.session.execute(
                            select(key).where(t.c.period == fund).order_by(t.c.recorded_at, key)
                        )
                    ).scalars()
                )
                if not ids:
                    return
                if kind == "reverse_receipt":
                    await reversing.undo_contribution(
                        uow, "receipt", fund, ids[op[1] % len(ids)], "entered_in_error", ADMIN
                    )
                else:
                    await reversing.undo_disbursement(
                        uow, ids[op[1] % len(ids)], "payment_failed", SUPERVISOR
                    )
            await uow.commit()
    except ConflictError:
        return  # refused (over the unspent amount, or a withdrawn case): nothing changed
    if kind == "release":
        await deliver(db, withdrawn(cases[op[1]]))


async def total(db: ServiceDatabase, column: Any, *where: Any) -> int:
    async with db.unit_of_work() as uow:
        query = select(func.coalesce(func.sum(column), 0)).where(*where)
        return int((await uow.session.execute(query)).scalar_one())


async def check_books(db: ServiceDatabase, fund: str, people: list[str], target: int) -> None:
    c, d, a = store.commitments.c, store.disbursements.c, store.attributions.c
    async with db.unit_of_work() as uow:
        row = await store.fund(uow.session, fund)
        ledger = await store.lock_people(uow.session, fund, people)
        rows = list(await uow.session.execute(select(store.commitments).where(c.period == fund)))
    assert row is not None
    live = store.not_reversed
    net = await total(db, c.amount_cents - c.released_cents, c.period == fund)
    paid = await total(db, d.amount_cents, d.period == fund, live(d.disbursement_id))
    attributed = await total(
        db,
        a.amount_cents,
        a.disbursement_id.in_(
            select(d.disbursement_id).where(d.period == fund, live(d.disbursement_id))
        ),
    )
    rc = store.receipts.c
    assert row.received_cents == await total(
        db, rc.amount_cents, rc.period == fund, live(rc.entry_id)
    )
    assert row.committed_cents == net
    assert row.received_cents - row.committed_cents >= 0
    assert row.disbursed_cents == paid == attributed
    expected = await total(
        db, store.member_shares.c.expected_cents, store.member_shares.c.period == fund
    )
    assert expected == target
    for ref in people:
        mine = await total(
            db, c.amount_cents - c.released_cents, c.period == fund, c.person_ref == ref
        )
        assert ledger[ref] == mine <= CAP
    for r in rows:
        assert r.disbursed_cents + r.released_cents <= r.amount_cents
        assert r.disbursed_cents == await total(
            db, d.amount_cents, d.commitment_id == r.commitment_id, live(d.disbursement_id)
        )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    target=st.integers(1, 10**10),
    bps=basis_points,
    initial=st.integers(0, 1_000_000),
    ops=st.lists(operation, min_size=1, max_size=30),
)
async def test_random_sequences_keep_the_books_exact(
    db: ServiceDatabase, target: int, bps: list[int], initial: int, ops: list[tuple[Any, ...]]
) -> None:
    fund, cases, people = await setup(db, target, bps, initial)

    for op in ops:
        await apply(db, fund, cases, people, op, len(bps))

    await check_books(db, fund, people, target)
