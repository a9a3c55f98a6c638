"""Export periods: presets, whole-month ranges, the closed periods of a schedule; the
lifecycle outcome of a case."""

from __future__ import annotations

from datetime import date

import pytest

from services.evaluation.domain.errors import InvalidPeriodError
from services.evaluation.domain.lifecycle import outcome_after
from services.evaluation.domain.periods import between, closed_periods, preset


def test_presets_name_their_months() -> None:
    assert preset("2026-H1").months == tuple(f"2026-{m:02d}" for m in range(1, 7))
    assert preset("2026-H2").months[0] == "2026-07"
    assert preset("2026-Q3").months == ("2026-07", "2026-08", "2026-09")
    assert preset("2026-05").months == ("2026-05",)
    assert len(preset("2026").months) == 12


@pytest.mark.parametrize("text", ["2026-H3", "2026-Q0", "2026-13", "H1", "2026-h1", ""])
def test_an_unreadable_preset_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidPeriodError) as refused:
        preset(text)
    assert refused.value.extra == {"field": "period"}


def test_a_range_takes_whole_months_across_a_year_end() -> None:
    period = between(date(2026, 11, 15), date(2027, 2, 3))
    assert period.months == ("2026-11", "2026-12", "2027-01", "2027-02")
    assert period.label == "2026-11_2027-02"
    assert between(date(2026, 3, 1), date(2026, 3, 31)).label == "2026-03"
    with pytest.raises(InvalidPeriodError):
        between(date(2026, 3, 1), date(2026, 2, 28))


def test_closed_periods_end_before_the_month_of_today() -> None:
    found = closed_periods("half-year", "2025-08", date(2026, 7, 1))
    assert [p.label for p in found] == ["2025-H2", "2026-H1"]
    assert closed_periods("half-year", "2026-02", date(2026, 6, 30)) == []
    assert [p.label for p in closed_periods("quarter", "2026-02", date(2026, 7, 2))] == [
        "2026-Q1",
        "2026-Q2",
    ]
    assert [p.label for p in closed_periods("year", "2025-05", date(2027, 1, 1))] == [
        "2025",
        "2026",
    ]
    assert closed_periods("off", "2020-01", date(2026, 1, 1)) == []
    # labels are presets: the schedule and a request name a period the same way
    for p in closed_periods("month", "2025-11", date(2026, 2, 1)):
        assert preset(p.label) == p


def test_outcomes_follow_the_case_and_a_closed_case_keeps_its_own() -> None:
    assert outcome_after("arrived", None) == "returned"
    assert outcome_after("withdrawn", None) == "withdrawn"
    assert outcome_after("ineligible", None) == "ineligible"
    assert outcome_after("closed", "returned") == "returned"
    assert outcome_after("cancelled", None) is None
    assert outcome_after("eligible", "ineligible") is None  # screened again: in progress
