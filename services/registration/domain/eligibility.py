"""Eligibility screening: the automatic checks a case must pass to be declared eligible."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from services.registration.domain.errors import EligibilityChecksFailedError


@dataclass(frozen=True)
class PersonForScreening:
    age_years: int
    nationality: str
    vulnerability_categories: Sequence[str]


NO_CATEGORY = "no_vulnerability_category"
UNKNOWN_CATEGORY = "unknown_vulnerability_category"
MINOR_NOT_UNDER_18 = "unaccompanied_minor_not_under_18"
ELDERLY_NOT_OVER_70 = "elderly_over_70_not_over_70"
SAME_COUNTRIES = "departure_equals_destination"
NOT_NATIONALITY = "destination_not_nationality"


def failed_checks(
    people: Iterable[PersonForScreening],
    *,
    departure: str,
    destination: str,
    categories: Iterable[str],
    nationality_exception: bool = False,
) -> list[str]:
    """The automatic eligibility checks a case fails (empty: it may be declared eligible).

    Every person needs at least one vulnerability category from the configured list;
    ``unaccompanied_minor`` needs age < 18 and ``elderly_over_70`` age > 70 (whole years at
    registration); the case must leave one country for another; and each person returns to
    their own nationality unless a recorded exception covers it.
    """
    known = set(categories)
    failed: list[str] = []
    for person in people:
        cats = set(person.vulnerability_categories)
        if not cats & known:
            failed.append(NO_CATEGORY)
        if cats - known:
            failed.append(UNKNOWN_CATEGORY)
        if "unaccompanied_minor" in cats and person.age_years >= 18:
            failed.append(MINOR_NOT_UNDER_18)
        if "elderly_over_70" in cats and person.age_years <= 70:
            failed.append(ELDERLY_NOT_OVER_70)
        if person.nationality != destination and not nationality_exception:
            failed.append(NOT_NATIONALITY)
    if departure == destination:
        failed.append(SAME_COUNTRIES)
    return sorted(set(failed))


def check_eligible_decision(failed: Sequence[str]) -> None:
    """A caseworker may declare a case eligible only when every automatic check passes."""
    if failed:
        raise EligibilityChecksFailedError(
            "the case fails eligibility checks: "
            + ", ".join(failed)
            + "; fix the case, record an eligibility_exception_reason for a return to a country "
            "other than the nationality, or declare it 'ineligible'",
            failed_checks=list(failed),
        )
