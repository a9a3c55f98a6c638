from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.reintegration.schemas import AssistanceItemIn


@pytest.mark.parametrize(
    "amount",
    ["NaN", "Infinity", "1e400", "9" * 40, "12345678901234567890.5", 1e300, "0", "-1", "1.001"],
)
def test_a_cash_amount_that_is_not_a_plain_positive_sum_is_a_validation_error(
    amount: str | float,
) -> None:
    with pytest.raises(ValidationError, match="amount"):
        AssistanceItemIn(category="training", kind="cash", amount=amount)  # type: ignore[arg-type]


def test_a_cash_amount_is_kept_in_cents() -> None:
    item = AssistanceItemIn(category="training", kind="cash", amount="150.25")  # type: ignore[arg-type]
    assert item.amount_cents == 15025
