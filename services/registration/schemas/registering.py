"""Request bodies of a registration and a transition (transport models, ``extra="forbid"``).

Shape and format are checked here (FastAPI answers 422 with the field's location); checks
that depend on settings or on the registration date are in ``check_registration``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from events.privacy import Purpose
from events.registration import CaseStatus
from events.types import CountryCode, CurrencyCode, RequesterType, Sex, ascii_decimal
from services.registration import domain
from services.registration.domain import MAX_AGE_YEARS, completed_years

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,59}$")]
Amount = Annotated[
    Decimal,
    BeforeValidator(ascii_decimal),
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
    """A person registered for the first time: their personal data is encrypted and stored."""

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


PersonRefStr = Annotated[
    str,
    Field(
        pattern=r"^p_[0-9a-f]{32}$",
        description="The person_ref given at their first registration ('p_' + 32 hex digits)",
    ),
]


class FreshPersonalIn(_Body):
    """Personal data an office enters itself for a person it registers again, when the
    record is held by another office (their owning office): it is stored as this office's
    own record and shown only in this office's cases."""

    given_names: Text
    family_name: Text
    date_of_birth: date
    travel_document: TravelDocumentIn | None = None
    contact: ContactIn | None = None


class KnownPersonIn(_Body):
    """A person registered before: their personal data is kept from the first registration.

    Sex and nationality come from their earlier record, their age from the date of birth
    recorded then; only this case's vulnerability categories (and, optionally, new consent
    decisions) are given. They must not be in another open case.
    """

    person_ref: PersonRefStr
    vulnerability_categories: list[Code] = Field(default_factory=list, max_length=20)
    personal: FreshPersonalIn | None = Field(
        default=None,
        description="Optional, only for an office that is not the person's owning office: "
        "personal data this office collected itself, kept as its own record (the owning "
        "office's record is never copied; read it through an approved transfer)",
    )
    consents: list[ConsentIn] = Field(
        default_factory=list,
        description="Optional new consent decisions, recorded again in the vault; without "
        "them the person's last recorded consent to 'assistance' must be granted",
    )

    @model_validator(mode="after")
    def _assistance_not_refused(self) -> KnownPersonIn:
        if any(c.purpose == "assistance" and not c.granted for c in self.consents):
            raise ValueError("return is voluntary: consent to 'assistance' must be granted")
        return self


def _person_kind(value: Any) -> str:
    """``known`` when the entry names a person_ref, ``new`` otherwise (one clear error set)."""
    if isinstance(value, KnownPersonIn) or (isinstance(value, dict) and "person_ref" in value):
        return "known"
    return "new"


_KINDS = ("new", "known")

PersonEntry = Annotated[
    Annotated[PersonIn, Tag("new")] | Annotated[KnownPersonIn, Tag("known")],
    Discriminator(_person_kind),
]


def _without_kind(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Report errors at ``people.<i>.<field>`` (as before returning people existed), not at
    ``people.<i>.<kind>.<field>``: the kind is chosen by the presence of ``person_ref``."""
    try:
        return handler(value)
    except ValidationError as exc:
        details = [
            InitErrorDetails(
                type=PydanticCustomError(err["type"], err["msg"]),
                loc=tuple(p for i, p in enumerate(err["loc"]) if not (i == 1 and p in _KINDS)),
                input=err["input"],
            )
            for err in exc.errors()
        ]
        raise ValidationError.from_exception_data(exc.title, details) from None


class CostLineIn(_Body):
    person: int | Literal["all"] = Field(
        description="Index in `people`, or 'all': the same amount is requested for each person"
    )
    category: Code
    amount: Amount
    currency: CurrencyCode

    @property
    def amount_cents(self) -> int:
        return to_cents(self.amount)


class RegisterCase(_Body):
    requester: RequesterIn
    office: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    fund_period: Annotated[str, Field(min_length=1, max_length=20)] | None = Field(
        default=None, description="Default: the year of registration"
    )
    people: Annotated[list[PersonEntry], WrapValidator(_without_kind)] = Field(
        min_length=1,
        max_length=30,
        description="Each entry is either a new person (personal data, sex, nationality, "
        "date of birth, consents) or a returning person registered before, given as "
        "`{person_ref, vulnerability_categories, consents?}`: their personal data is kept "
        "from the first registration and the same person_ref is used, so funding counts "
        "all their commitments against one cap. An entry with `person_ref` is validated "
        "as a returning person, any other as a new person.",
    )
    departure_country: CountryCode
    destination_country: CountryCode
    requested: list[CostLineIn] = Field(default_factory=list, max_length=100)
    allow_partial: bool = False

    @model_validator(mode="after")
    def _person_indexes(self) -> RegisterCase:
        for i, line in enumerate(self.requested):
            if line.person != "all" and not 0 <= line.person < len(self.people):
                raise ValueError(f"requested[{i}].person: no person at index {line.person}")
        refs = [p.person_ref for p in self.people if isinstance(p, KnownPersonIn)]
        repeated = sorted({r for r in refs if refs.count(r) > 1})
        if repeated:
            raise ValueError(f"people: person {', '.join(repeated)} is listed more than once")
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
        if isinstance(person, PersonIn) and person.date_of_birth > on:
            problems.append({"field": f"people[{i}].date_of_birth", "problem": "is in the future"})
        elif (
            isinstance(person, PersonIn)
            and completed_years(person.date_of_birth, on) > MAX_AGE_YEARS
        ):
            problems.append(
                {
                    "field": f"people[{i}].date_of_birth",
                    "problem": f"is more than {MAX_AGE_YEARS} years before {on.isoformat()}; "
                    "check the year (unknown dates: use the best estimate)",
                }
            )
        problems += _category_problems(i, person, on)
        fresh = person.personal if isinstance(person, KnownPersonIn) else None
        if fresh is not None and fresh.date_of_birth > on:
            problems.append(
                {"field": f"people[{i}].personal.date_of_birth", "problem": "is in the future"}
            )
        for cat in person.vulnerability_categories:
            if cat not in categories:
                problems.append(
                    {
                        "field": f"people[{i}].vulnerability_categories",
                        "problem": f"unknown category '{cat}'; known: {', '.join(categories)}",
                    }
                )
    if body.departure_country == body.destination_country:
        problems.append(
            {
                "field": "destination_country",
                "problem": f"is the departure country too ({body.departure_country}); "
                "a return goes from one country to another",
            }
        )
    problems += domain.cost_category_problems(
        [line.category for line in body.requested], cost_categories
    )
    domain.refuse_problems("registered", problems)


def _category_problems(i: int, person: Any, on: date) -> list[dict[str, str]]:
    """A person needs a category, and the age-bound categories must agree with the date of
    birth (known only for people entered with their data, not returning by reference)."""
    field = f"people[{i}].vulnerability_categories"
    if not person.vulnerability_categories:
        return [{"field": field, "problem": "is empty; at least one category is required"}]
    if not isinstance(person, PersonIn) or person.date_of_birth > on:
        return []
    age = completed_years(person.date_of_birth, on)
    cats = person.vulnerability_categories
    return [{"field": field, "problem": p} for p in domain.age_category_problems(cats, age)]


def to_cents(amount: Decimal) -> int:
    return int(amount.scaleb(2).to_integral_exact())


def check_fund(body: RegisterCase, period: str, currency: str | None) -> None:
    """The case's fund period must have a fund (``currency`` is its currency, None when
    registration knows no fund for it), and every requested line must be in its currency."""
    domain.check_fund_terms(
        period,
        [line.currency for line in body.requested],
        currency,
        defaulted=body.fund_period is None,
        outcome="the case was not registered",
    )
