"""Request bodies of the registration API (transport models, ``extra="forbid"``).

Shape and format are checked here (FastAPI answers 422 with the field's location); checks
that depend on settings or on the registration date are in ``check_registration``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from events.privacy import Purpose
from events.registration import CaseStatus
from events.types import CountryCode, CurrencyCode, RequesterType, Sex
from services.kit.errors import InvalidInputError

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,59}$")]
Amount = Annotated[
    Decimal,
    Field(gt=0, max_digits=12, decimal_places=2, description="Decimal, at most 2 decimals, > 0"),
]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=200)]
DocumentType = Literal["passport", "national_id", "travel_document", "birth_certificate", "other"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RequesterIn(_Body):
    type: RequesterType
    name: Text = Field(description="Name of the requesting organisation")


class TravelDocumentIn(_Body):
    type: DocumentType
    number: Text


class ContactIn(_Body):
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 ()-]{5,30}$")] | None = None
    email: Email | None = None
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class ConsentIn(_Body):
    purpose: Purpose
    granted: bool
    partner: Annotated[str, StringConstraints(min_length=1, max_length=120)] | None = None

    @model_validator(mode="after")
    def _partner(self) -> ConsentIn:
        if (self.purpose == "partner_sharing") != (self.partner is not None):
            raise ValueError("'partner' is required for partner_sharing and only for it")
        return self


class PersonIn(_Body):
    given_names: Text
    family_name: Text
    date_of_birth: date
    sex: Sex
    nationality: CountryCode
    travel_document: TravelDocumentIn | None = None
    contact: ContactIn | None = None
    vulnerability_categories: list[Code] = Field(default_factory=list, max_length=20)
    consents: list[ConsentIn] = Field(
        min_length=1, description="Per purpose; consent to 'assistance' must be granted"
    )

    @model_validator(mode="after")
    def _assistance_consent(self) -> PersonIn:
        if not any(c.purpose == "assistance" and c.granted for c in self.consents):
            raise ValueError("return is voluntary: consent to 'assistance' must be granted")
        return self


class CostLineIn(_Body):
    person: int | Literal["all"] = Field(
        description="Index in `people`, or 'all': the same amount is requested for each person"
    )
    category: Code
    amount: Amount
    currency: CurrencyCode


class RegisterCase(_Body):
    requester: RequesterIn
    office: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    fund_period: Annotated[str, Field(min_length=1, max_length=20)] | None = Field(
        default=None, description="Default: the year of registration"
    )
    people: list[PersonIn] = Field(min_length=1, max_length=30)
    departure_country: CountryCode
    destination_country: CountryCode
    requested: list[CostLineIn] = Field(default_factory=list, max_length=100)
    allow_partial: bool = False

    @model_validator(mode="after")
    def _person_indexes(self) -> RegisterCase:
        for i, line in enumerate(self.requested):
            if line.person != "all" and not 0 <= line.person < len(self.people):
                raise ValueError(f"requested[{i}].person: no person at index {line.person}")
        return self


class TransitionIn(_Body):
    to: CaseStatus
    reason_code: Code | None = None
    reason_detail: Annotated[str, StringConstraints(max_length=4000)] | None = Field(
        default=None, description="Free text; personal data, stored only encrypted"
    )
    eligibility_exception_reason: Code | None = Field(
        default=None,
        description="Code recorded when people return to a country other than their nationality",
    )


def check_registration(
    body: RegisterCase, *, categories: list[str], cost_categories: list[str], on: date
) -> None:
    """Checks against the configured lists and the registration date; all problems at once."""
    problems: list[dict[str, str]] = []
    for i, person in enumerate(body.people):
        if person.date_of_birth > on:
            problems.append({"field": f"people[{i}].date_of_birth", "problem": "is in the future"})
        for cat in person.vulnerability_categories:
            if cat not in categories:
                problems.append(
                    {
                        "field": f"people[{i}].vulnerability_categories",
                        "problem": f"unknown category '{cat}'; known: {', '.join(categories)}",
                    }
                )
    for i, line in enumerate(body.requested):
        if line.category not in cost_categories:
            problems.append(
                {
                    "field": f"requested[{i}].category",
                    "problem": f"unknown cost category '{line.category}'; known: "
                    + ", ".join(cost_categories),
                }
            )
    if problems:
        summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        raise InvalidInputError(f"the case was not registered: {summary}", errors=problems)


def to_cents(amount: Decimal) -> int:
    return int(amount.scaleb(2).to_integral_exact())
