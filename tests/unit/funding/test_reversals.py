"""The rules of reversals: once per entry, never below the fund's balance, exact attribution."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.funding.domain import (
    CommitmentState,
    Reversed,
    check_not_reversed,
    check_payment_line,
    check_receipt_reversal,
    paid_per_line,
    reverse_attributions,
    reverse_payment,
)
from services.funding.domain.money import Share, attribute_payment
from services.kit.errors import ConflictError


def receipt_reversal(amount: int, **over: Any) -> None:
    figures: dict[str, Any] = {
        "fund_received_cents": 100_000,
        "fund_committed_cents": 0,
        "member": "CA",
        "member_received_cents": 100_000,
        "member_attributed_cents": 0,
    }
    check_receipt_reversal(amount, **(figures | over))


def test_an_entry_not_yet_reversed_may_be_reversed() -> None:
    check_not_reversed("receipt", "r-1", None)


def test_a_second_reversal_is_a_conflict_naming_the_first() -> None:
    first = Reversed("rev-1", "duplicate", date(2026, 5, 1))

    with pytest.raises(ConflictError) as caught:
        check_not_reversed("payment", "pay-1", first)

    assert "payment pay-1 was already reversed on 2026-05-01" in caught.value.detail
    assert "rev-1" in caught.value.detail and "duplicate" in caught.value.detail
    assert caught.value.extra["reversal_id"] == "rev-1"


def test_a_receipt_reversal_may_use_up_the_available_balance_exactly() -> None:
    receipt_reversal(40_000, fund_committed_cents=60_000)


def test_a_receipt_reversal_below_the_committed_total_says_by_how_much_and_what_to_do() -> None:
    with pytest.raises(ConflictError) as caught:
        receipt_reversal(40_001, fund_committed_cents=60_000)

    assert caught.value.extra["shortfall_cents"] == 1
    assert "0.01 short" in caught.value.detail
    assert "Release commitments" in caught.value.detail


def test_a_receipt_reversal_may_not_leave_a_member_charged_more_than_it_paid_in() -> None:
    with pytest.raises(ConflictError) as caught:
        receipt_reversal(
            30_000,
            fund_received_cents=200_000,
            member_received_cents=50_000,
            member_attributed_cents=30_000,
        )

    assert caught.value.extra["shortfall_cents"] == 10_000
    assert "reverse those payments first" in caught.value.detail


def test_a_payment_reversal_restores_an_active_commitments_line() -> None:
    state = CommitmentState(
        amount_cents=50_000, disbursed_cents=30_000, released_cents=0, active=True
    )

    effect = reverse_payment(state, 30_000)

    assert (effect.restored_cents, effect.released_cents) == (30_000, 0)
    check_payment_line("transport", 50_000, {"transport": 50_000}, {"transport": 30_000 - 30_000})


def test_a_payment_reversal_of_a_released_commitment_releases_the_amount_at_once() -> None:
    state = CommitmentState(50_000, 30_000, 20_000, active=False)

    effect = reverse_payment(state, 30_000)

    assert (effect.restored_cents, effect.released_cents) == (30_000, 30_000)


def test_a_payment_reversal_never_gives_back_more_than_was_paid() -> None:
    with pytest.raises(ValueError):
        reverse_payment(CommitmentState(50_000, 10_000, 0, True), 10_001)


@given(
    receipts=st.dictionaries(
        st.sampled_from(["AR", "BR", "CA", "MX", "US"]), st.integers(1, 10**9), min_size=1
    ),
    payments=st.lists(st.integers(1, 10**6), min_size=1, max_size=8),
    reversed_index=st.integers(0, 7),
)
def test_reversing_a_payment_takes_back_exactly_its_attribution(
    receipts: dict[str, int], payments: list[int], reversed_index: int
) -> None:
    shares = (Share("CA", Decimal(100)),)
    unused = dict(receipts)
    parts = []
    for amount in payments:
        part = attribute_payment(amount, unused, shares)
        for member, cents in part.items():
            unused[member] = unused.get(member, 0) - cents
        parts.append(part)
    gone = reversed_index % len(payments)

    back = reverse_attributions(parts[gone])

    net = {m: sum(p.get(m, 0) for p in parts) - back.get(m, 0) for m in unused | back}
    assert sum(back.values()) == payments[gone]
    assert sum(net.values()) == sum(payments) - payments[gone]
    assert all(cents >= 0 for cents in net.values())


def test_a_categorys_net_payments_fill_its_lines_in_position_order() -> None:
    lines = [(0, "transport", 30_000), (1, "medical", 10_000), (2, "transport", 20_000)]

    assert paid_per_line(lines, {"transport": 40_000}) == [
        (0, "transport", 30_000, 30_000),
        (1, "medical", 10_000, 0),
        (2, "transport", 20_000, 10_000),
    ]
