"""Rules of a registration: ages, the facts other services may know of a person, and the
problems that refuse a registration or a correction (all named at once)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from events.registration import PersonFacts
from events.types import AgeBand, Sex
from services.kit.errors import InvalidInputError

# --- ages -------------------------------------------------------------------------------

_BANDS: tuple[tuple[int, AgeBand], ...] = ((4, "0-4"), (11, "5-11"), (17, "12-17"), (59, "18-59"))


# The oldest age a registration accepts: an earlier date of birth is a typing error.
MAX_AGE_YEARS = 120


def completed_years(date_of_birth: date, on: date) -> int:
    """Whole years from ``date_of_birth`` to ``on`` (negative if born after it)."""
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - int(before_birthday)


def age_on(date_of_birth: date, on: date) -> int:
    """Whole years completed on ``on``; a person born on 29 February ages on 1 March."""
    if date_of_birth > on:
        raise InvalidInputError(
            f"date of birth {date_of_birth.isoformat()} is after {on.isoformat()}",
            errors=[{"field": "date_of_birth", "problem": "is in the future"}],
        )
    age = completed_years(date_of_birth, on)
    if age > MAX_AGE_YEARS:
        raise InvalidInputError(
            f"date of birth {date_of_birth.isoformat()} is more than {MAX_AGE_YEARS} years "
            f"before {on.isoformat()}; check the year",
            errors=[{"field": "date_of_birth", "problem": f"is over {MAX_AGE_YEARS} years ago"}],
        )
    return age


def age_band(age_years: int) -> AgeBand:
    for upper, band in _BANDS:
        if age_years <= upper:
            return band
    return "60+"


# --- problems of a registration or a correction, all named at once ----------------------


def refuse_problems(what: str, problems: Sequence[dict[str, str]]) -> None:
    """422 naming every problem at once: "the case was not <what>: <field>: <problem>; ..."."""
    if problems:
        summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        raise InvalidInputError(f"the case was not {what}: {summary}", errors=list(problems))


def cost_category_problems(
    categories: Sequence[str], cost_categories: Sequence[str]
) -> list[dict[str, str]]:
    """The requested lines' categories (``requested[i]``) not in the configured list."""
    return [
        {
            "field": f"requested[{i}].category",
            "problem": f"unknown cost category '{category}'; known: " + ", ".join(cost_categories),
        }
        for i, category in enumerate(categories)
        if category not in cost_categories
    ]


def age_category_problems(categories: Sequence[str], age: int) -> list[str]:
    """The age-bound categories must agree with the age in whole years."""
    found = []
    if "unaccompanied_minor" in categories and age >= 18:
        found.append(f"unaccompanied_minor needs an age under 18, not {age}")
    if "elderly_over_70" in categories and age <= 70:
        found.append(f"elderly_over_70 needs an age over 70, not {age}")
    return found


def check_fund_terms(
    period: str,
    line_currencies: Sequence[str],
    currency: str | None,
    *,
    defaulted: bool = False,
    outcome: str,
) -> None:
    """A period with a fund (``currency``: its currency, None when registration knows no fund
    for it), and cost lines in that currency; else a 422 naming each field."""
    problems: list[dict[str, str]] = []
    if currency is None:
        given = " (the default: the year of registration)" if defaulted else ""
        problems.append(
            {
                "field": "fund_period",
                "problem": f"no fund is known for period '{period}'{given}; a supervisor "
                "creates it (POST /api/funds). A fund created seconds ago may take a moment "
                "to reach registration: try again shortly",
            }
        )
    for i, line_currency in enumerate(line_currencies):
        if currency is not None and line_currency != currency:
            problems.append(
                {
                    "field": f"requested[{i}].currency",
                    "problem": f"is {line_currency}, but the fund of {period} is kept in "
                    f"{currency}; request the amount in {currency}",
                }
            )
    if problems:
        summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        raise InvalidInputError(f"{outcome}: {summary}", errors=problems)


def person_facts(
    ref: str,
    *,
    sex: Sex,
    nationality: str,
    date_of_birth: date,
    categories: Iterable[str],
    on: date,
) -> PersonFacts:
    """What other services may know of a person at a registration on ``on``: nothing that
    identifies them, with their age and age band on that day."""
    age = age_on(date_of_birth, on)
    return PersonFacts(
        person_ref=ref,
        sex=sex,
        age_years=age,
        age_band=age_band(age),
        nationality=nationality,
        vulnerability_categories=sorted(set(categories)),
    )
