"""The fact of one person-return: what the tables are made of, and nothing that identifies.

No person_ref, case id, name, date or free text: a month, codes, counts, cents and scores.
A fact survives the erasure of the person's personal data: it cannot lead back to them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from events.types import Category, CountryCode, Sex

Month = str  # "YYYY-MM"
LifecycleOutcome = Literal["withdrawn", "ineligible", "returned"]
Residence = Literal["same_community", "other_community", "urban_centre", "abroad_again"]
Intention = Literal["none", "considering", "planning", "declined_to_answer", "unknown"]
Closure = Literal[
    "completed",
    "lost_contact",
    "re_migrated",
    "deceased",
    "declined",
    "transferred",
    "no_longer_eligible",
    "funding_lost",
    "security",
    "case_closed",
    "open",
]

SEXES: tuple[str, ...] = ("female", "male", "other", "unknown")
OUTCOMES: tuple[str, ...] = ("withdrawn", "ineligible", "returned")
RESIDENCES: tuple[str, ...] = ("same_community", "other_community", "urban_centre", "abroad_again")
INTENTIONS: tuple[str, ...] = ("none", "considering", "planning", "declined_to_answer", "unknown")
# why the follow-up closed (reintegration's reason codes), or "open" while it runs
CLOSURES: tuple[str, ...] = (
    "completed",
    "lost_contact",
    "re_migrated",
    "deceased",
    "declined",
    "transferred",
    "no_longer_eligible",
    "funding_lost",
    "security",
    "case_closed",
    "open",
)
SCORES: tuple[str, ...] = ("economic", "social", "psychosocial", "composite")

Score = float


class ReintegrationFacts(BaseModel):
    """The follow-up of a returned person: the latest scores 0-1 (of one instrument version;
    None before a first score), where they live and intend to go at the latest contact that
    reached them, the contacts done (reached) and due (window closed or settled), and how the
    follow-up closed ("open" while it runs)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument_version: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,40}$")
    economic: Score | None = Field(default=None, ge=0, le=1)
    social: Score | None = Field(default=None, ge=0, le=1)
    psychosocial: Score | None = Field(default=None, ge=0, le=1)
    composite: Score | None = Field(
        default=None, ge=0, le=1, description="None when flagged insufficient"
    )
    residence: Residence | None = None
    remigration_intention: Intention | None = None
    contacts_done: int = Field(default=0, ge=0)
    contacts_due: int = Field(default=0, ge=0)
    closure: Closure = "open"


class ReturnFact(BaseModel):
    """One person in one return case, as the evaluation read model keeps them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    month: Month = Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")
    office: str = Field(min_length=1, max_length=60)
    departure_country: CountryCode
    destination_country: CountryCode
    sex: Sex
    age_band: str = Field(min_length=1, max_length=12)
    categories: tuple[Category, ...] = ()
    committed_cents: tuple[tuple[str, int], ...] = Field(
        default=(), description="(cost category, cents) pairs, one per category"
    )
    paid_cents: tuple[tuple[str, int], ...] = ()
    outcome: LifecycleOutcome
    reintegration: ReintegrationFacts | None = None

    @field_validator("categories")
    @classmethod
    def _sorted_unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(value)))

    @field_validator("committed_cents", "paid_cents")
    @classmethod
    def _one_line_per_category(
        cls, value: tuple[tuple[str, int], ...]
    ) -> tuple[tuple[str, int], ...]:
        names = [name for name, _ in value]
        if len(set(names)) != len(names):
            raise ValueError("one amount per cost category")
        if any(cents < 0 for _, cents in value):
            raise ValueError("amounts are cents >= 0")
        return tuple(sorted(value))
