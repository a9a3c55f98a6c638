"""The period of an export: a preset (``2026``, ``2026-H1``, ``2026-Q3``, ``2026-05``) or a
range of months (``from``/``to`` dates, whole months), and the closed periods of a schedule."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from services.evaluation.domain.errors import InvalidPeriodError
from services.evaluation.domain.spec import Period

Schedule = Literal["off", "month", "quarter", "half-year", "year"]
MONTHS_OF: dict[str, int] = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}

_PRESET = re.compile(r"^(?P<year>[0-9]{4})(-(?P<kind>H|Q)?(?P<n>[0-9]{1,2}))?$")


def _months(year: int, first: int, count: int) -> tuple[str, ...]:
    out = []
    for i in range(count):
        y, m = divmod(first - 1 + i, 12)
        out.append(f"{year + y}-{m + 1:02d}")
    return tuple(out)


def preset(text: str) -> Period:
    """``2026`` (the year), ``2026-H1``/``H2``, ``2026-Q1``..``Q4``, ``2026-05`` (a month)."""
    found = _PRESET.match(text)
    if found is None:
        raise InvalidPeriodError(
            "period: write a year (2026), a half-year (2026-H1), a quarter (2026-Q3) or a"
            " month (2026-05)",
            field="period",
        )
    year, kind, n = int(found["year"]), found["kind"], found["n"]
    if n is None:
        return Period(label=f"{year}", months=_months(year, 1, 12))
    number = int(n)
    limits = {"H": 2, "Q": 4, None: 12}
    if not 1 <= number <= limits[kind]:
        raise InvalidPeriodError(
            "period: the half-year is H1 or H2, the quarter Q1 to Q4, the month 01 to 12",
            field="period",
        )
    if kind == "H":
        return Period(label=f"{year}-H{number}", months=_months(year, 6 * number - 5, 6))
    if kind == "Q":
        return Period(label=f"{year}-Q{number}", months=_months(year, 3 * number - 2, 3))
    return Period(label=f"{year}-{number:02d}", months=_months(year, number, 1))


def between(first: date, last: date) -> Period:
    """The whole months from ``first``'s month to ``last``'s month, both included."""
    if last < first:
        raise InvalidPeriodError("to: must not be before from", field="to")
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    if count > 120:
        raise InvalidPeriodError("to: a period covers at most 120 months", field="to")
    months = _months(first.year, first.month, count)
    label = months[0] if count == 1 else f"{months[0]}_{months[-1]}"
    return Period(label=label, months=months)


def closed_periods(schedule: Schedule, first_month: str, today: date) -> list[Period]:
    """The periods of ``schedule`` from the one holding ``first_month`` whose last month
    ended before ``today``."""
    if schedule == "off":
        return []
    size = MONTHS_OF[schedule]
    year = int(first_month[:4])
    month = int(first_month[5:7])
    start = (month - 1) // size * size + 1
    out: list[Period] = []
    while True:
        months = _months(year, start, size)
        last_year, last_month = int(months[-1][:4]), int(months[-1][5:7])
        if (last_year, last_month) >= (today.year, today.month):
            return out
        if size == 12:
            label = f"{year}"
        elif size == 6:
            label = f"{year}-H{(start + 5) // 6}"
        elif size == 3:
            label = f"{year}-Q{(start + 2) // 3}"
        else:
            label = f"{year}-{start:02d}"
        out.append(Period(label=label, months=months))
        start += size
        if start > 12:
            year, start = year + 1, start - 12
