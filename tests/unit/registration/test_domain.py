"""Ages from dates of birth: a typing error in the year is refused, not crashed on."""

from __future__ import annotations

from datetime import date

import pytest

from services.kit.errors import InvalidInputError
from services.registration.domain import age_on


def test_a_date_of_birth_over_120_years_ago_is_refused_not_crashed() -> None:
    with pytest.raises(InvalidInputError, match="more than 120 years"):
        age_on(date(1, 1, 1), date(2026, 12, 1))
    assert age_on(date(1906, 12, 1), date(2026, 12, 1)) == 120
