"""The date range of an audit query: refused with the parameter named, never guessed."""

from __future__ import annotations

from datetime import date

import pytest

from services.audit.domain import InvalidDateRangeError
from services.audit.domain.dates import DateRange, check_date_range

TODAY = date(2026, 6, 15)


def test_no_bounds_and_sensible_bounds_are_accepted() -> None:
    assert check_date_range(None, None, today=TODAY) == DateRange(None, None)
    assert check_date_range("2026-01-01", "2027-12-31", today=TODAY) == DateRange(
        date(2026, 1, 1), date(2027, 12, 31)
    )


@pytest.mark.parametrize("raw", ["0", "20260101", "1767225600", "2026-1-1", "٢٠٢٦-٠١-٠١", ""])
def test_a_number_or_a_loose_date_is_not_read_as_a_date(raw: str) -> None:
    with pytest.raises(InvalidDateRangeError) as refused:
        check_date_range(None, raw, today=TODAY)

    assert refused.value.extra["errors"][0]["field"] == "query.date_to"
    assert "YYYY-MM-DD" in refused.value.extra["errors"][0]["problem"]


def test_dates_before_2000_or_after_next_year_and_reversed_ranges_are_refused_together() -> None:
    with pytest.raises(InvalidDateRangeError) as before:
        check_date_range("1970-01-01", "2028-01-01", today=TODAY)
    with pytest.raises(InvalidDateRangeError) as reversed_range:
        check_date_range("2026-03-02", "2026-03-01", today=TODAY)

    assert [e["field"] for e in before.value.extra["errors"]] == [
        "query.date_from",
        "query.date_to",
    ]
    assert "2027-12-31" in before.value.detail
    assert reversed_range.value.extra["errors"][0]["field"] == "query.date_from"
    assert "after date_to 2026-03-01" in reversed_range.value.detail
