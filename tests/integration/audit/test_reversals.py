"""Reversed receipts, pledges and payments: the secretariat's figures are net of them."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from benchmarks.audit_scenario import SUPERVISOR, Scenario, at, build
from db.uow import ServiceDatabase
from events import funding as f
from services.audit import store
from services.audit.queries.cap import cap_compliance
from services.audit.queries.money import disbursements_by, member_use
from services.audit.queries.summary import summary
from services.audit.schemas import MoneyFilter
from services.kit.definition import Runtime
from tests.integration.audit.feeding import feed

H1 = MoneyFilter(date_from=date(2026, 1, 1), date_to=date(2026, 6, 30))
H2 = MoneyFilter(date_from=date(2026, 7, 1), date_to=date(2026, 12, 31))


def keyed(rows: list) -> dict:  # type: ignore[type-arg]
    return {tuple(r.keys.values()): r for r in rows}


def _child_payment(s: Scenario) -> dict:  # type: ignore[type-arg]
    [payment] = [
        e.payload
        for e in s.envelopes
        if e.type == "funding.disbursement_made" and e.payload["person_ref"] == s.people["child"]
    ]
    return payment


def with_reversals(s: Scenario) -> Scenario:
    """A duplicate MX receipt and a duplicate CA pledge, both reversed; the child's transport
    payment (CA 150.00, MX 450.00) reversed in July because it failed."""
    duplicate, pledge = uuid.uuid4(), uuid.uuid4()
    s.add(
        f.ContributionReceived(
            period="2026-A",
            member="MX",
            amount_cents=1_000_000,
            on=date(2026, 1, 6),
            entry_id=duplicate,
        ),
        at(1, 7),
        SUPERVISOR,
    )
    s.add(
        f.ContributionPledged(
            period="2026-A",
            member="CA",
            amount_cents=500_000,
            on=date(2026, 1, 3),
            entry_id=pledge,
        ),
        at(1, 7),
        SUPERVISOR,
    )
    for kind, member, entry, cents in (
        ("receipt", "MX", duplicate, 1_000_000),
        ("pledge", "CA", pledge, 500_000),
    ):
        s.add(
            f.ContributionReversed(
                reversal_id=uuid.uuid4(),
                entry_id=entry,
                kind=kind,  # type: ignore[arg-type]
                period="2026-A",
                member=member,
                amount_cents=cents,
                reason_code="duplicate",
                reversed_on=date(2026, 2, 1),
            ),
            at(2, 1),
            SUPERVISOR,
        )
    paid = _child_payment(s)
    s.add(
        f.DisbursementReversed(
            reversal_id=uuid.uuid4(),
            disbursement_id=paid["disbursement_id"],
            commitment_id=paid["commitment_id"],
            period="2026-A",
            case_id=paid["case_id"],
            person_ref=paid["person_ref"],
            category="transport",
            amount_cents=60_000,
            attributions=[f.MemberAmount(**a) for a in paid["attributions"]],
            reason_code="payment_failed",
            reversed_on=date(2026, 7, 10),
        ),
        at(7, 10),
        SUPERVISOR,
    )
    return s


@pytest.fixture
async def scenario(db: ServiceDatabase) -> Scenario:
    s = with_reversals(build())
    for envelope in s.envelopes:
        await feed(db, envelope)
    return s


async def test_members_received_pledged_and_attributed_are_net_of_reversals(
    rt: Runtime, scenario: Scenario
) -> None:
    rows = {(r.fund_period, r.member): r for r in await member_use(rt)}

    mx, ca = rows[("2026-A", "MX")], rows[("2026-A", "CA")]
    assert (mx.received_cents, mx.attributed_cents) == (3_000_000, 37_500)
    assert mx.unused_received_cents == 3_000_000 - 37_500
    assert (ca.pledged_cents, ca.attributed_cents) == (1_500_000, 12_500)


async def test_a_reversed_payment_counts_negative_in_the_half_year_it_was_reversed(
    rt: Runtime, scenario: Scenario
) -> None:
    first = keyed(await disbursements_by(rt, ["fund_period"], H1))
    second = keyed(await disbursements_by(rt, ["fund_period"], H2))
    overall = keyed(await disbursements_by(rt, ["fund_period"], MoneyFilter()))

    a1, a2, a = first[("2026-A",)], second[("2026-A",)], overall[("2026-A",)]
    assert (a1.count, a1.amount_cents, a1.reversed_cents) == (2, 110_000, 0)
    assert (a2.count, a2.amount_cents, a2.reversed_cents) == (0, -60_000, 60_000)
    assert (a.count, a.amount_cents, a.reversed_cents) == (2, 50_000, 60_000)
    assert (second[("2026-B",)].count, second[("2026-B",)].amount_cents) == (1, 20_000)


async def test_attributions_of_each_fund_add_up_to_its_net_disbursements(
    rt: Runtime, scenario: Scenario
) -> None:
    by_member = await disbursements_by(rt, ["fund_period", "member"], H2)
    overall = await disbursements_by(rt, ["fund_period"], MoneyFilter())
    members = await disbursements_by(rt, ["member"], MoneyFilter())

    assert {tuple(r.keys.values()): r.amount_cents for r in by_member} == {
        ("2026-A", "CA"): -15_000,
        ("2026-A", "MX"): -45_000,
        ("2026-B", "US"): 20_000,
    }
    assert {r.keys["member"]: r.amount_cents for r in members} == {
        "CA": 12_500,
        "MX": 37_500,
        "US": 20_000,
    }
    assert sum(r.amount_cents for r in members) == sum(r.amount_cents for r in overall)


async def test_the_cap_check_counts_what_was_paid_net_of_reversals(
    db: ServiceDatabase, rt: Runtime, scenario: Scenario
) -> None:
    child = scenario.people["child"]
    async with db.reading() as session:
        paid = (
            await session.execute(
                select(func.sum(store.disbursements.c.amount_cents)).where(
                    store.disbursements.c.person_ref == child
                )
            )
        ).scalar()
    result = await cap_compliance(rt)

    assert paid == 0
    assert result.compliant and result.violations == []


async def test_the_semi_annual_summary_shows_the_reversal_in_its_half(
    rt: Runtime, scenario: Scenario
) -> None:
    report = await summary(rt, "2026-H2")

    transport = {tuple(r.keys.values()): r for r in report.disbursements_by_category}
    assert (transport[("transport",)].amount_cents, transport[("transport",)].reversed_cents) == (
        -60_000,
        60_000,
    )
    assert report.activity.events_by_type["funding.disbursement_reversed"] == 1
    ca = next(m for m in report.members if (m.fund_period, m.member) == ("2026-A", "CA"))
    assert ca.attributed_cents == 12_500


async def test_a_reversal_applied_before_the_entry_it_reverses_nets_the_same(
    db: ServiceDatabase, rt: Runtime
) -> None:
    s = with_reversals(build())
    reversals = [e for e in s.envelopes if e.type.endswith("_reversed")]
    others = [e for e in s.envelopes if not e.type.endswith("_reversed")]
    for envelope in others[:5] + reversals + others[5:]:
        await feed(db, envelope)

    rows = {(r.fund_period, r.member): r for r in await member_use(rt)}
    assert rows[("2026-A", "MX")].received_cents == 3_000_000
    assert rows[("2026-A", "CA")].attributed_cents == 12_500
