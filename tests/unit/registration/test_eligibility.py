"""Eligibility screening and ages at registration."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kit.errors import ConflictError, InvalidInputError
from services.kit.settings import DEFAULT_CATEGORIES
from services.registration import domain
from services.registration.domain import PersonForScreening as P


def failed(*people: P, departure: str = "MX", destination: str = "GT", exc: bool = False):
    return domain.failed_checks(
        people,
        departure=departure,
        destination=destination,
        categories=DEFAULT_CATEGORIES,
        nationality_exception=exc,
    )


def test_passes_a_woman_at_risk_returning_home() -> None:
    assert failed(P(30, "GT", ["woman_at_risk"])) == []


def test_needs_at_least_one_vulnerability_category() -> None:
    assert failed(P(30, "GT", [])) == [domain.NO_CATEGORY]


def test_flags_a_category_no_longer_configured() -> None:
    assert failed(P(30, "GT", ["woman_at_risk", "retired_code"])) == [domain.UNKNOWN_CATEGORY]


def test_unaccompanied_minor_must_be_under_18() -> None:
    assert failed(P(17, "GT", ["unaccompanied_minor"])) == []
    assert failed(P(18, "GT", ["unaccompanied_minor"])) == [domain.MINOR_NOT_UNDER_18]
    assert failed(P(40, "GT", ["unaccompanied_minor"])) == [domain.MINOR_NOT_UNDER_18]


def test_elderly_over_70_must_be_over_70() -> None:
    assert failed(P(71, "GT", ["elderly_over_70"])) == []
    assert failed(P(70, "GT", ["elderly_over_70"])) == [domain.ELDERLY_NOT_OVER_70]


def test_departure_must_differ_from_destination() -> None:
    assert failed(P(30, "GT", ["disability"]), departure="GT") == [domain.SAME_COUNTRIES]


def test_destination_must_be_nationality_unless_excepted() -> None:
    person = P(30, "HN", ["disability"])

    assert failed(person) == [domain.NOT_NATIONALITY]
    assert failed(person, exc=True) == []


def test_every_person_of_a_family_case_is_checked() -> None:
    mother = P(35, "GT", ["woman_at_risk"])
    child = P(6, "GT", [])

    assert failed(mother, child) == [domain.NO_CATEGORY]


def test_eligible_decision_refused_while_checks_fail() -> None:
    with pytest.raises(ConflictError, match=domain.NO_CATEGORY):
        domain.check_eligible_decision([domain.NO_CATEGORY])

    domain.check_eligible_decision([])


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2000, 5, 10), date(2025, 5, 9), 24),
        (date(2000, 5, 10), date(2025, 5, 10), 25),
        (date(2004, 2, 29), date(2025, 2, 28), 20),
        (date(2004, 2, 29), date(2025, 3, 1), 21),
        (date(2025, 1, 1), date(2025, 1, 1), 0),
    ],
)
def test_age_is_whole_years_at_registration(born: date, on: date, age: int) -> None:
    assert domain.age_on(born, on) == age


def test_birth_after_registration_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="date_of_birth|after"):
        domain.age_on(date(2030, 1, 1), date(2025, 1, 1))


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0, "0-4"),
        (4, "0-4"),
        (5, "5-11"),
        (11, "5-11"),
        (12, "12-17"),
        (17, "12-17"),
        (18, "18-59"),
        (59, "18-59"),
        (60, "60+"),
        (104, "60+"),
    ],
)
def test_age_bands_match_the_evaluation_bands(age: int, band: str) -> None:
    assert domain.age_band(age) == band


@given(st.dates(max_value=date(2030, 1, 1)), st.integers(min_value=0, max_value=40_000))
def test_age_never_negative_and_bands_cover_every_age(born: date, days: int) -> None:
    on = date.fromordinal(min(born.toordinal() + days, date.max.toordinal()))

    age = domain.age_on(born, on)

    assert age >= 0
    assert domain.age_band(age) in ("0-4", "5-11", "12-17", "18-59", "60+")
