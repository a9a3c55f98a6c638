from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.funding.domain import (
    CommitmentState,
    Line,
    Position,
    check_disbursement,
    decide_commitment,
    releasable_cents,
)
from services.kit.errors import ConflictError


def position(cap: int = 100_000, person: int = 0, received: int = 1_000_000, fund: int = 0):
    return Position(cap, person, received, fund)


def test_approves_commitment_within_cap_and_balance() -> None:
    decision = decide_commitment([Line("transport", 60_000)], position(), allow_partial=False)

    assert decision.outcome == "approved"
    assert decision.amount_cents == 60_000
    assert decision.remaining_cap_cents == 40_000
    assert decision.available_cents == 940_000


def test_approves_exactly_up_to_the_cap() -> None:
    decision = decide_commitment(
        [Line("transport", 40_000)], position(person=60_000), allow_partial=False
    )

    assert decision.outcome == "approved"
    assert decision.remaining_cap_cents == 0


def test_rejects_commitment_above_remaining_cap() -> None:
    decision = decide_commitment(
        [Line("transport", 50_000)], position(person=60_000), allow_partial=False
    )

    assert decision.outcome == "rejected"
    assert decision.reason == "cap_exhausted"
    assert decision.amount_cents == 0
    assert decision.remaining_cap_cents == 40_000


def test_rejects_commitment_above_fund_available_balance() -> None:
    decision = decide_commitment(
        [Line("transport", 50_000)], position(received=80_000, fund=50_000), allow_partial=False
    )

    assert decision.reason == "insufficient_fund_balance"
    assert decision.available_cents == 30_000


def test_partial_approval_is_the_smaller_remaining_amount_spread_over_lines() -> None:
    lines = [Line("transport", 30_000), Line("subsistence", 30_000), Line("medical", 1)]

    decision = decide_commitment(lines, position(person=50_001), allow_partial=True)

    assert decision.outcome == "partially_approved"
    assert decision.partial
    assert decision.reason == "cap_exhausted"
    assert decision.amount_cents == 49_999
    assert sum(x.amount_cents for x in decision.lines) == 49_999
    assert all(
        g.amount_cents <= r.amount_cents
        for g in decision.lines
        for r in lines
        if r.category == g.category
    )
    assert decision.remaining_cap_cents == 0


def test_partial_approval_limited_by_fund_balance() -> None:
    decision = decide_commitment(
        [Line("transport", 50_000)], position(received=20_000), allow_partial=True
    )

    assert decision.amount_cents == 20_000
    assert decision.reason == "insufficient_fund_balance"
    assert decision.available_cents == 0


def test_partial_request_with_nothing_left_is_rejected() -> None:
    decision = decide_commitment(
        [Line("transport", 50_000)], position(person=100_000), allow_partial=True
    )

    assert decision.outcome == "rejected"


def test_disbursement_never_exceeds_unspent_commitment() -> None:
    state = CommitmentState(
        amount_cents=10_000, disbursed_cents=7_000, released_cents=0, active=True
    )

    check_disbursement(state, 3_000)
    with pytest.raises(ConflictError):
        check_disbursement(state, 3_001)


def test_no_disbursement_on_a_released_commitment() -> None:
    state = CommitmentState(10_000, 2_000, 8_000, active=False)

    with pytest.raises(ConflictError):
        check_disbursement(state, 1)


def test_release_gives_back_only_what_is_unspent() -> None:
    assert releasable_cents(CommitmentState(10_000, 2_500, 0, True)) == 7_500
    assert releasable_cents(CommitmentState(10_000, 2_500, 7_500, False)) == 0


lines_strategy = st.lists(
    st.builds(Line, st.sampled_from(["transport", "medical", "escort"]), st.integers(1, 200_000)),
    min_size=1,
    max_size=5,
)


@given(
    lines=lines_strategy,
    cap=st.integers(1, 200_000),
    person=st.integers(0, 200_000),
    received=st.integers(0, 500_000),
    fund=st.integers(0, 500_000),
    allow_partial=st.booleans(),
)
def test_a_decision_never_exceeds_the_remaining_cap_or_the_available_balance(
    lines: list[Line], cap: int, person: int, received: int, fund: int, allow_partial: bool
) -> None:
    pos = Position(cap, min(person, cap), max(received, fund), fund)

    decision = decide_commitment(lines, pos, allow_partial=allow_partial)

    assert 0 <= decision.amount_cents <= min(pos.remaining_cap_cents, pos.available_cents)
    assert sum(x.amount_cents for x in decision.lines) == decision.amount_cents
    assert all(x.amount_cents > 0 for x in decision.lines)
    assert decision.remaining_cap_cents == pos.remaining_cap_cents - decision.amount_cents
    assert decision.available_cents == pos.available_cents - decision.amount_cents
    if decision.outcome == "approved":
        assert decision.amount_cents == sum(x.amount_cents for x in lines)
    if not allow_partial:
        assert decision.outcome != "partially_approved"


def test_ledger_entries_are_dated_neither_in_the_future_nor_over_ten_years_back() -> None:
    from datetime import date

    from services.funding.domain import check_entry_date
    from services.kit.errors import InvalidInputError

    today = date(2026, 12, 1)
    assert check_entry_date(date(2026, 12, 2), today, field="on") == date(2026, 12, 2)
    assert check_entry_date(date(2017, 1, 1), today, field="on") == date(2017, 1, 1)
    for wrong in (date(1, 1, 1), date(2016, 1, 1), date(2026, 12, 3), date(9999, 12, 31)):
        with pytest.raises(InvalidInputError):
            check_entry_date(wrong, today, field="paid_on")


def test_a_payment_needs_a_line_of_its_category_with_enough_left() -> None:
    from services.funding.domain import check_payment_line
    from services.kit.errors import ConflictError

    committed, paid = {"transport": 60_000, "medical": 10_000}, {"transport": 59_000}
    check_payment_line("transport", 1_000, committed, paid)
    check_payment_line("medical", 10_000, committed, paid)
    with pytest.raises(ConflictError, match="exceeds"):
        check_payment_line("transport", 1_001, committed, paid)
    with pytest.raises(ConflictError, match="no 'housing' line"):
        check_payment_line("housing", 1, committed, paid)


@given(
    received=st.integers(min_value=0, max_value=10**12),
    committed=st.integers(min_value=0, max_value=10**12),
)
def test_a_funds_position_shows_the_available_balance_the_decisions_use(
    received: int, committed: int
) -> None:
    from services.funding.domain import FundTotals, Position
    from services.funding.schemas import FundOut

    totals = FundTotals("2026", "USD", 100_000, 10**12, received, committed, 0, (), 0)
    decided = Position(100_000, 0, received, committed)

    shown = FundOut.of(totals)

    assert shown.available_cents == decided.available_cents == max(received - committed, 0)
    assert not shown.available.startswith("-")


def test_the_case_status_machine_moves_only_by_its_steps() -> None:
    from services.funding.domain import CASE_STATUSES, case_after

    assert case_after("registered", "screened_funded") == "funded"
    assert case_after("registered", "screened_unfunded") == "unfunded"
    assert case_after("registered", "screened_ineligible") == "ineligible"
    assert case_after("registered", "corrected") == "registered"
    assert case_after("funded", "corrected") is None  # decided already: a correction is ignored
    assert case_after("funded", "screened_funded") is None  # screened once
    assert case_after("unfunded", "request_approved") == "funded"
    assert case_after("funded", "request_approved") is None  # nothing changes
    assert {s for s in CASE_STATUSES if case_after(s, "requested")} == {"funded", "unfunded"}
    for closing in ("withdrawn", "cancelled"):
        assert case_after("withdrawn", closing) is None and case_after("cancelled", closing) is None
        for status in ("registered", "ineligible", "funded", "unfunded"):
            assert case_after(status, closing) == closing
