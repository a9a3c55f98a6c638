"""Pure rules of the fund at registration and of the funding decision's wording."""

from __future__ import annotations

import pytest

from services.kit.errors import InvalidInputError
from services.registration.domain import funding_explanation
from services.registration.schemas.registering import RegisterCase, check_fund
from tests.unit.registration.test_schemas import body


def line(currency: str) -> dict[str, str | int]:
    return {"person": 0, "category": "transport", "amount": "10.00", "currency": currency}


def test_a_known_fund_and_lines_in_its_currency_pass() -> None:
    check_fund(RegisterCase.model_validate(body()), "2026", "USD")


def test_an_unknown_period_names_fund_period_and_skips_the_currency_check() -> None:
    case = RegisterCase.model_validate(body(fund_period="2031", requested=[line("EUR")]))

    with pytest.raises(InvalidInputError) as refused:
        check_fund(case, "2031", None)

    [problem] = refused.value.extra["errors"]
    assert problem["field"] == "fund_period"
    assert "default" not in problem["problem"]  # the period was given, not defaulted
    assert "POST /api/funds" in problem["problem"] and "a moment" in problem["problem"]


def test_each_line_in_another_currency_is_named_by_its_index() -> None:
    case = RegisterCase.model_validate(body(requested=[line("USD"), line("EUR"), line("EUR")]))

    with pytest.raises(InvalidInputError) as refused:
        check_fund(case, "2026", "USD")

    fields = [e["field"] for e in refused.value.extra["errors"]]
    assert fields == ["requested[1].currency", "requested[2].currency"]


@pytest.mark.parametrize(
    ("reason", "approved", "partial", "expected"),
    [
        ("cap_exhausted", False, False, "the person's cap has only 40.50 USD left"),
        ("insufficient_fund_balance", False, False, "the fund has only 7.00 USD available"),
        ("unknown_fund", False, False, "knows no fund"),
        ("currency_mismatch", False, False, "not in the fund's currency (USD)"),
        (None, True, True, "approved in part: 40.50 USD of 250.00 USD"),
        (None, True, False, "40.50 USD of the person's cap remains"),
    ],
)
def test_the_explanation_names_the_binding_limit_with_its_amount(
    reason: str | None, approved: bool, partial: bool, expected: str
) -> None:
    text = funding_explanation(
        approved=approved,
        reason=reason,
        partial=partial,
        requested_cents=25_000,
        committed_cents=4_050,
        remaining_cap_cents=4_050,
        available_cents=700,
        currency="USD",
    )

    assert expected in text
