"""Dates of the audit queries: the range (``date_from``, ``date_to``), refused, not guessed;
half-years; the UTC bounds of a day.

A bare number such as ``date_to=0`` would otherwise be read as a Unix timestamp (1970-01-01)
and silently answer nothing; a date before the programme's records or far in the future is a
typo, and ``date_from`` after ``date_to`` an empty range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from services.audit.domain import InvalidDateRangeError, InvalidHalfYearError

EARLIEST = date(2000, 1, 1)
YEARS_AHEAD = 1  # a range may end up to the end of next year (e.g. a half-year planned ahead)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class DateRange:
    date_from: date | None
    date_to: date | None


def _parse(raw: str) -> date | None:
    if not _ISO_DATE.fullmatch(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def check_date_range(date_from: str | None, date_to: str | None, *, today: date) -> DateRange:
    """Both bounds inclusive, each optional; every problem at once, naming the parameter."""
    latest = date(today.year + YEARS_AHEAD, 12, 31)
    problems: list[dict[str, str]] = []
    found: dict[str, date | None] = {}
    for name, raw in (("date_from", date_from), ("date_to", date_to)):
        value = None if raw is None else _parse(raw.strip())
        found[name] = value
        if raw is None:
            continue
        if value is None:
            problem = (
                f"is not a date; write it as YYYY-MM-DD (e.g. {today.isoformat()}), or "
                f"leave {name} out"
            )
        elif value < EARLIEST:
            problem = (
                f"is before {EARLIEST.isoformat()}; the record holds nothing that old: give a "
                f"later date or leave {name} out"
            )
        elif value > latest:
            problem = (
                f"is after {latest.isoformat()}; check the year (the latest accepted is "
                f"{latest.isoformat()}), or leave {name} out"
            )
        else:
            continue
        found[name] = None
        problems.append({"field": f"query.{name}", "problem": problem})
    start, end = found["date_from"], found["date_to"]
    if start is not None and end is not None and start > end:
        problems.append(
            {
                "field": "query.date_from",
                "problem": f"{start.isoformat()} is after date_to {end.isoformat()}; give the "
                "earlier date as date_from (both are included)",
            }
        )
    if problems:
        listed = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        raise InvalidDateRangeError(f"the date range is not valid: {listed}", errors=problems)
    return DateRange(start, end)


def half_bounds(half: str) -> tuple[date, date]:
    """'2026-H1' -> 1 January to 30 June 2026; '2026-H2' -> 1 July to 31 December (inclusive)."""
    found = re.fullmatch(r"([1-9]\d{3})-H([12])", half)
    if found is None:
        raise InvalidHalfYearError(
            f"'{half}' is not a half-year; write it like '2026-H1' or '2026-H2'"
        )
    year = int(found.group(1))
    if found.group(2) == "1":
        return date(year, 1, 1), date(year, 6, 30)
    return date(year, 7, 1), date(year, 12, 31)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def end_of(day: date) -> datetime:
    """Exclusive end of an inclusive last day."""
    if day >= date.max:
        return datetime.max.replace(tzinfo=UTC)
    return start_of(day + timedelta(days=1))
