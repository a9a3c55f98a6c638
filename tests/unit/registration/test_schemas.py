"""Shape of a registration request: each bad input is named."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from services.kit.errors import InvalidInputError
from services.kit.settings import DEFAULT_CATEGORIES, DEFAULT_COST_CATEGORIES
from services.registration.schemas.registering import (
    RegisterCase,
    TransitionIn,
    check_registration,
    to_cents,
)


def body(**changes: Any) -> dict[str, Any]:
    person = {
        "given_names": "Ana",
        "family_name": "Lopez",
        "date_of_birth": "1990-01-01",
        "sex": "female",
        "nationality": "GT",
        "vulnerability_categories": ["woman_at_risk"],
        "consents": [{"purpose": "assistance", "granted": True}],
    }
    data: dict[str, Any] = {
        "requester": {"type": "civil_society_organisation", "name": "Casa Refugio"},
        "office": "MX-TAP",
        "people": [person],
        "departure_country": "MX",
        "destination_country": "GT",
        "requested": [
            {"person": 0, "category": "transport", "amount": "120.50", "currency": "USD"}
        ],
    }
    data.update(changes)
    return data


def errors_of(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as bad:
        RegisterCase.model_validate(data)
    return str(bad.value)


def test_accepts_a_complete_request() -> None:
    parsed = RegisterCase.model_validate(body())

    assert parsed.requested[0].amount == Decimal("120.50")


def test_refuses_an_empty_people_list() -> None:
    assert "people" in errors_of(body(people=[]))


@pytest.mark.parametrize("amount", ["-5", "0", "abc", "1.005", "NaN", "Infinity"])
def test_refuses_a_bad_amount(amount: str) -> None:
    line = {"person": 0, "category": "transport", "amount": amount, "currency": "USD"}

    assert "requested.0.amount" in errors_of(body(requested=[line]))


def test_refuses_an_unknown_currency() -> None:
    line = {"person": 0, "category": "transport", "amount": "5", "currency": "XYZ"}

    assert "ISO 4217" in errors_of(body(requested=[line]))


@pytest.mark.parametrize("field", ["departure_country", "destination_country"])
def test_refuses_a_country_not_iso_alpha_2(field: str) -> None:
    assert field in errors_of(body(**{field: "GTM"}))
    assert "ISO 3166-1" in errors_of(body(**{field: "XX"}))


def test_refuses_a_nationality_not_iso_alpha_2() -> None:
    data = body()
    data["people"][0]["nationality"] = "Guatemala"

    assert "people.0.nationality" in errors_of(data)


def test_refuses_a_line_for_a_missing_person() -> None:
    line = {"person": 3, "category": "transport", "amount": "5", "currency": "USD"}

    assert "no person at index 3" in errors_of(body(requested=[line]))


def test_refuses_unknown_fields() -> None:
    assert "extra" in errors_of(body(notes="free text"))


def test_refuses_registration_without_assistance_consent() -> None:
    data = body()
    data["people"][0]["consents"] = [{"purpose": "assistance", "granted": False}]

    assert "assistance" in errors_of(data)


def test_partner_sharing_consent_names_the_partner() -> None:
    data = body()
    data["people"][0]["consents"].append({"purpose": "partner_sharing", "granted": True})

    assert "partner" in errors_of(data)


def check(data: dict[str, Any], on: date = date(2025, 6, 1)) -> None:
    check_registration(
        RegisterCase.model_validate(data),
        categories=DEFAULT_CATEGORIES,
        cost_categories=DEFAULT_COST_CATEGORIES,
        on=on,
    )


def test_refuses_an_unknown_vulnerability_category() -> None:
    data = body()
    data["people"][0]["vulnerability_categories"] = ["tall"]

    with pytest.raises(InvalidInputError) as bad:
        check(data)

    assert bad.value.extra["errors"][0]["field"] == "people[0].vulnerability_categories"
    assert "tall" in bad.value.detail


def test_refuses_a_date_of_birth_in_the_future() -> None:
    data = body()
    data["people"][0]["date_of_birth"] = "2025-06-02"

    with pytest.raises(InvalidInputError, match=r"people\[0\].date_of_birth: is in the future"):
        check(data)


def test_refuses_an_unknown_cost_category() -> None:
    line = {"person": "all", "category": "champagne", "amount": "5", "currency": "USD"}

    with pytest.raises(InvalidInputError, match=r"requested\[0\].category"):
        check(body(requested=[line]))


def test_converts_amounts_to_exact_cents() -> None:
    assert to_cents(Decimal("120.5")) == 12050
    assert to_cents(Decimal("0.01")) == 1
    assert to_cents(Decimal("99999.99")) == 9_999_999


def test_transition_reason_codes_are_codes_not_text() -> None:
    with pytest.raises(ValidationError):
        TransitionIn.model_validate({"to": "withdrawn", "reason_code": "She changed her mind"})
