"""The rules of a correction before screening: what may change, checked as a whole."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from events.registration import PersonFacts, RequestedLine
from services.kit.errors import ConflictError, InvalidInputError
from services.kit.settings import DEFAULT_CATEGORIES, DEFAULT_COST_CATEGORIES
from services.registration.domain.correcting import (
    CaseNow,
    Correction,
    check_correctable,
    correct,
    personal_values,
)
from services.registration.schemas.correcting import CaseCorrectionIn
from tests.support import person_facts

A, B = "p_" + "a" * 32, "p_" + "b" * 32
ON = date(2026, 3, 10)


def facts(ref: str, age: int = 30, band: str = "18-59", cats: tuple[str, ...] = ()) -> PersonFacts:
    return person_facts(
        ref, age_years=age, age_band=band, vulnerability_categories=list(cats or ("woman_at_risk",))
    )


def case(**changes: Any) -> CaseNow:
    values: dict[str, Any] = {
        "status": "registered",
        "version": 4,
        "registered_on": ON,
        "fund_period": "2026",
        "requester_type": "civil_society_organisation",
        "requester_name": "Casa Refugio",
        "departure_country": "MX",
        "destination_country": "GT",
        "allow_partial": False,
        "people": (facts(A), facts(B, 15, "12-17", ("unaccompanied_minor",))),
        "lines": (
            RequestedLine(person_ref=A, category="transport", amount_cents=100, currency="USD"),
        ),
    }
    values.update(changes)
    return CaseNow(**values)


def fix(body: dict[str, Any], now: CaseNow | None = None) -> Correction:
    return correct(
        now or case(),
        CaseCorrectionIn.model_validate({"version": 4, **body}),
        categories=DEFAULT_CATEGORIES,
        cost_categories=DEFAULT_COST_CATEGORIES,
    )


def problems(body: dict[str, Any], now: CaseNow | None = None) -> list[dict[str, str]]:
    with pytest.raises(InvalidInputError) as refused:
        fix(body, now)
    assert "the case was not corrected" in refused.value.detail
    found: list[dict[str, str]] = refused.value.extra["errors"]
    return found


def test_the_age_is_computed_again_at_the_registration_date_not_today() -> None:
    born = date(1956, 3, 11)  # 69 on ON, 70 a day later

    fixed = fix({"people": [{"person_ref": A, "date_of_birth": born.isoformat()}]})

    [changed] = fixed.changed
    assert (changed.age_years, changed.age_band) == (69, "60+")
    assert fixed.people[1] == case().people[1]
    assert fixed.personal == {A: {"date_of_birth": "1956-03-11"}}


def test_an_age_bound_category_is_checked_against_the_stored_age_without_the_birth_date() -> None:
    found = problems(
        {"people": [{"person_ref": A, "vulnerability_categories": ["elderly_over_70"]}]}
    )

    assert found == [
        {
            "field": "people[0].vulnerability_categories",
            "problem": "elderly_over_70 needs an age over 70, not 30",
        }
    ]


def test_a_new_birth_date_is_checked_against_the_categories_kept() -> None:
    found = problems({"people": [{"person_ref": B, "date_of_birth": "2000-01-01"}]})

    assert found == [
        {
            "field": "people[0].date_of_birth",
            "problem": "unaccompanied_minor needs an age under 18, not 26",
        }
    ]


def test_every_problem_of_the_corrected_case_is_named_at_once() -> None:
    found = problems(
        {
            "destination_country": "MX",
            "requested": [{"person": "all", "category": "yacht", "amount": "5", "currency": "USD"}],
            "people": [
                {"person_ref": A, "vulnerability_categories": []},
                {"person_ref": B, "date_of_birth": "2026-03-11"},
            ],
        }
    )

    assert [p["field"] for p in found] == [
        "people[0].vulnerability_categories",
        "people[1].date_of_birth",
        "destination_country",
        "requested[0].category",
    ]
    assert "after the case's registration date (2026-03-10)" in found[1]["problem"]


def test_a_case_already_leaving_for_the_new_departure_country_is_named_by_departure() -> None:
    [found] = problems({"departure_country": "GT"})

    assert found["field"] == "departure_country"


def test_lines_name_people_by_reference_or_all() -> None:
    fixed = fix(
        {
            "requested": [
                {"person": B, "category": "escort", "amount": "12.34", "currency": "usd"},
                {"person": "all", "category": "medical", "amount": "1", "currency": "USD"},
            ]
        }
    )

    assert [(line.person_ref, line.category, line.amount_cents) for line in fixed.lines] == [
        (B, "escort", 1234),
        (A, "medical", 100),
        (B, "medical", 100),
    ]
    assert fixed.lines[0].currency == "USD"
    assert fixed.corrected == ("requested",)


def test_lines_are_kept_unless_corrected_and_an_empty_list_removes_them() -> None:
    assert fix({"fund_period": "2027"}).lines == case().lines
    assert fix({"requested": []}).lines == ()


def test_people_are_neither_added_nor_removed() -> None:
    [found] = problems({"people": [{"person_ref": "p_" + "c" * 32, "sex": "male"}]})

    assert found["field"] == "people[0].person_ref"
    assert "not in this case" in found["problem"]


def test_only_a_registered_case_is_corrected_and_only_from_the_version_seen() -> None:
    with pytest.raises(ConflictError) as screened:
        check_correctable("eligible", 5, 5)
    with pytest.raises(ConflictError) as stale:
        check_correctable("registered", 5, 4)
    check_correctable("registered", 5, 5)

    assert screened.value.extra == {"current_status": "eligible"}
    assert "only before screening" in screened.value.detail
    assert "withdraw or cancel" in screened.value.detail
    assert stale.value.extra == {"current_version": 5}
    assert "changed meanwhile" in stale.value.detail
    with pytest.raises(ConflictError):
        fix({"fund_period": "2027"}, case(status="ineligible"))


def test_names_of_what_was_corrected_never_carry_values() -> None:
    fixed = fix(
        {
            "allow_partial": True,
            "people": [
                {
                    "person_ref": A,
                    "given_names": "Sentinela",
                    "contact": {"email": "s@example.org"},
                    "sex": "male",
                }
            ],
        }
    )

    assert fixed.field_names() == ["allow_partial", f"{A}.sex", f"{A}.given_names", f"{A}.contact"]
    assert fixed.personal_names() == {A: ["given_names", "contact"]}
    assert "Sentinela" not in str(fixed.field_names()) + str(fixed.personal_names())
    assert fixed.values["allow_partial"] is True
    assert [p.sex for p in fixed.changed] == ["male"]


def test_a_document_or_contact_is_replaced_whole_and_null_removes_it() -> None:
    body = CaseCorrectionIn.model_validate(
        {
            "version": 1,
            "people": [
                {"person_ref": A, "contact": {"phone": "+502 1234 5678"}, "travel_document": None}
            ],
        }
    )

    assert personal_values(body.people[0]) == {
        "travel_document_type": None,
        "travel_document_number": None,
        "phone": "+502 1234 5678",
        "email": None,
        "address": None,
    }


@pytest.mark.parametrize(
    "body",
    [
        {"version": 1},
        {"version": 0, "fund_period": "2027"},
        {"fund_period": "2027"},
        {"version": 1, "office": "GT-GUA"},
        {"version": 1, "destination_country": None},
        {"version": 1, "requested": None},
        {"version": 1, "people": [{"person_ref": A}]},
        {"version": 1, "people": [{"person_ref": A, "given_names": None}]},
        {
            "version": 1,
            "people": [{"person_ref": A, "sex": "male"}, {"person_ref": A, "sex": "other"}],
        },
        {"version": 1, "people": [{"person_ref": A, "consents": []}]},
        {
            "version": 1,
            "requested": [{"person": 0, "category": "transport", "amount": "1", "currency": "USD"}],
        },
        {
            "version": 1,
            "requested": [
                {"person": "all", "category": "transport", "amount": "1,5", "currency": "USD"}
            ],
        },
    ],
)
def test_a_body_of_the_wrong_shape_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        CaseCorrectionIn.model_validate(body)
