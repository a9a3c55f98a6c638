"""The request body of a correction (``PATCH /api/cases/{case_id}``); its rules are in
``domain.correcting``, which reads it through protocols."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from events.types import CountryCode, CurrencyCode, Sex
from services.registration.domain.correcting import CASE_FIELDS, FACT_FIELDS, PERSONAL_INPUTS
from services.registration.schemas.registering import (
    Amount,
    Code,
    ContactIn,
    PersonRefStr,
    RequesterIn,
    Text,
    TravelDocumentIn,
    to_cents,
)

_NOT_REMOVABLE = "cannot be removed (null); give the corrected value, or leave it out"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError(_NOT_REMOVABLE)
    return value


class PersonCorrectionIn(_Body):
    """What to correct of one person of the case; only the fields given change.

    ``travel_document`` and ``contact`` are replaced as a whole (a contact without ``email``
    removes the email); ``null`` removes them. The other fields cannot be removed.
    """

    person_ref: PersonRefStr
    sex: Sex | None = None
    nationality: CountryCode | None = None
    date_of_birth: date | None = Field(
        default=None, description="Their age (at the registration date) is computed again"
    )
    vulnerability_categories: list[Code] | None = Field(default=None, max_length=20)
    given_names: Text | None = None
    family_name: Text | None = None
    travel_document: TravelDocumentIn | None = Field(default=None, description="null removes it")
    contact: ContactIn | None = Field(
        default=None, description="Replaces the contact as a whole; null removes it"
    )

    _required = field_validator(*FACT_FIELDS, "given_names", "family_name", mode="before")(
        _not_null
    )

    @model_validator(mode="after")
    def _something(self) -> PersonCorrectionIn:
        if not self.model_fields_set - {"person_ref"}:
            raise ValueError(f"nothing to correct for person {self.person_ref}")
        return self

    def given(self, names: Sequence[str] = FACT_FIELDS + PERSONAL_INPUTS) -> list[str]:
        """The names of ``names`` this correction gives (in that order, no repeats)."""
        return [n for n in dict.fromkeys(names) if n in self.model_fields_set]


class CorrectedLineIn(_Body):
    person: PersonRefStr | Literal["all"] = Field(
        description="The person_ref of a person of the case, or 'all': the same amount for each"
    )
    category: Code
    amount: Amount
    currency: CurrencyCode

    @property
    def amount_cents(self) -> int:
        return to_cents(self.amount)


class CaseCorrectionIn(_Body):
    """Only the fields to change; ``version`` is the case version you saw."""

    version: int = Field(
        ge=1,
        description="The case's `version` as you read it (GET /api/cases/{case_id}); a case "
        "changed since then answers 409 and nothing is stored",
    )
    requester: RequesterIn | None = None
    fund_period: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    departure_country: CountryCode | None = None
    destination_country: CountryCode | None = None
    allow_partial: bool | None = None
    requested: list[CorrectedLineIn] | None = Field(
        default=None,
        max_length=100,
        description="Replaces every requested line of the case; [] requests none",
    )
    people: list[PersonCorrectionIn] = Field(
        default_factory=list,
        max_length=30,
        description="Per person of the case, by person_ref: what to correct",
    )

    _required = field_validator(*CASE_FIELDS, mode="before")(_not_null)

    @model_validator(mode="after")
    def _something(self) -> CaseCorrectionIn:
        if not self.model_fields_set - {"version", "people"} and not self.people:
            raise ValueError("nothing to correct: give at least one field to change")
        refs = [p.person_ref for p in self.people]
        repeated = sorted({r for r in refs if refs.count(r) > 1})
        if repeated:
            raise ValueError(f"people: person {', '.join(repeated)} is listed more than once")
        return self

    def given(self) -> list[str]:
        return [n for n in CASE_FIELDS if n in self.model_fields_set]
