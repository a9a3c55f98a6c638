from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.funding.domain.money import (
    Share,
    allocate,
    attribute_payment,
    contribution_scale,
    format_cents,
    parse_cents,
    split_by_shares,
)
from services.kit.errors import InvalidInputError


def test_source_example_member_with_a_quarter_of_60000_is_expected_to_pay_15000() -> None:
    scale = contribution_scale([("CA", "25"), ("US", "50"), ("MX", "25")])

    expected = split_by_shares(parse_cents("60000.00"), scale)

    assert expected["CA"] == 1_500_000
    assert format_cents(expected["CA"]) == "15000.00"
    assert sum(expected.values()) == 6_000_000


@pytest.mark.parametrize(
    ("raw", "cents"),
    [("1000.00", 100_000), ("0.01", 1), (Decimal("12.5"), 1250), (7, 700), ("10.500", 1050)],
)
def test_parses_amounts_with_at_most_two_decimals(raw: str | Decimal | int, cents: int) -> None:
    assert parse_cents(raw) == cents


@pytest.mark.parametrize("raw", ["0", "-5.00", "1.005", "abc", "NaN", "Infinity", "1e20", 1.5])
def test_refuses_zero_negative_overly_precise_or_non_numeric_amounts(raw: object) -> None:
    with pytest.raises(InvalidInputError):
        parse_cents(raw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "raw", ["١٠٠.٠٠", "１００", "100.00\u0663", "1,000.00", "1e3", "0x10", ".5"]
)
def test_refuses_amounts_not_written_with_the_digits_0_to_9(raw: str) -> None:
    with pytest.raises(InvalidInputError, match="digits 0-9"):
        parse_cents(raw)


def test_refuses_shares_that_do_not_add_up_to_exactly_100() -> None:
    with pytest.raises(InvalidInputError, match="100"):
        contribution_scale([("CA", "33.33"), ("US", "33.33"), ("MX", "33.33")])


@pytest.mark.parametrize(
    "entries",
    [
        [("CA", "50"), ("CA", "50")],
        [("XX", "100")],
        [("CAN", "100")],
        [("CA", "0"), ("US", "100")],
        [("CA", "-10"), ("US", "110")],
        [],
    ],
)
def test_refuses_invalid_contribution_scales(entries: list[tuple[str, str]]) -> None:
    with pytest.raises(InvalidInputError):
        contribution_scale(entries)


def test_scale_is_ordered_by_member_code_and_keeps_exact_percentages() -> None:
    scale = contribution_scale([("us", "66.667"), ("CA", "33.333")])

    assert [(s.member, s.text) for s in scale] == [("CA", "33.333"), ("US", "66.667")]


def test_largest_remainder_gives_leftover_cents_to_the_largest_remainders() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(10, [Decimal("33.5"), Decimal("33.5"), Decimal("33")]) == [4, 3, 3]
    assert allocate(2, [1, 1, 1]) == [1, 1, 0]


def test_largest_remainder_breaks_ties_by_position() -> None:
    assert allocate(1, [1, 1]) == [1, 0]
    assert allocate(5, [1, 1, 1, 1]) == [2, 1, 1, 1]


def test_largest_remainder_edge_cases() -> None:
    assert allocate(0, [1, 2]) == [0, 0]
    assert allocate(7, [1]) == [7]
    assert allocate(7, [0, 1]) == [0, 7]
    assert allocate(1, [Decimal("99.99"), Decimal("0.01")]) == [1, 0]
    assert allocate(0, [0, 0]) == [0, 0]
    with pytest.raises(ValueError):
        allocate(1, [0, 0])
    with pytest.raises(ValueError):
        allocate(-1, [1])


def test_split_is_independent_of_the_order_members_were_given() -> None:
    a = contribution_scale([("CA", "50"), ("US", "50")])
    b = contribution_scale([("US", "50"), ("CA", "50")])

    assert split_by_shares(1, a) == split_by_shares(1, b) == {"CA": 1, "US": 0}


weights = st.lists(
    st.decimals(min_value=0, max_value=100, places=3, allow_nan=False), min_size=1, max_size=12
).filter(lambda ws: sum(ws) > 0)


@given(total=st.integers(min_value=0, max_value=10**12), ws=weights)
def test_allocation_adds_up_and_each_part_is_within_one_cent_of_its_quota(
    total: int, ws: list[Decimal]
) -> None:
    parts = allocate(total, ws)

    assert sum(parts) == total
    whole = sum(ws)
    for part, w in zip(parts, ws, strict=True):
        quota = Decimal(total) * w / whole
        assert abs(Decimal(part) - quota) < 1
        assert part >= 0


@given(cents=st.integers(min_value=1, max_value=10**13))
def test_formatting_then_parsing_is_exact(cents: int) -> None:
    assert parse_cents(format_cents(cents)) == cents


def test_a_payment_is_attributed_to_the_members_whose_money_is_unused():
    shares = [Share("CA", Decimal("25")), Share("CR", Decimal("75"))]

    parts = attribute_payment(1_000, {"CA": 3_000, "CR": 0}, shares)

    assert parts == {"CA": 1_000}  # CR pledged but paid nothing in: none of it is CR's money


@given(
    unused=st.dictionaries(
        st.sampled_from(["CA", "CR", "MX", "US"]), st.integers(0, 10_000_000), min_size=1
    ),
    fraction=st.fractions(min_value=0, max_value=1),
)
def test_attribution_adds_up_and_never_exceeds_a_members_unused_money(unused, fraction):
    total = sum(unused.values())
    amount = int(total * fraction)
    shares = [Share(m, Decimal(100) / len(unused)) for m in sorted(unused)]

    parts = attribute_payment(amount, unused, shares)

    assert sum(parts.values()) == amount
    if total:
        assert all(parts.get(m, 0) <= unused[m] for m in unused)
