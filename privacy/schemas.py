"""Request bodies and response models of privacy's routes and commands."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from events.privacy import Purpose


class LegalHoldRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="Stored encrypted")


class ConsentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: Purpose
    granted: StrictBool = Field(description="true or false; no 0/1 or strings")
    partner: str | None = Field(default=None, max_length=120)


class ErasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    override_reason: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,59}$")] | None = Field(
        default=None,
        description="Code for erasing a person whose case is still open "
        "(e.g. data_subject_objection); recorded in the erasure event",
    )


class ConsentResponse(BaseModel):
    person_ref: str
    purpose: str
    partner: str | None
    granted: bool
    recorded_by: str
    recorded_at: datetime


class Erasure(BaseModel):
    """The proof of an erasure: no personal data, the fingerprint of the destroyed key."""

    model_config = ConfigDict(frozen=True)

    person_ref: str
    erased_at: datetime
    trigger: str = Field(description="retention or request")
    key_fingerprint: str


class LegalHold(BaseModel):
    """A legal hold, without its (encrypted) reason."""

    model_config = ConfigDict(frozen=True)

    hold_id: uuid.UUID
    person_ref: str
    placed_by: str
    placed_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None

    @property
    def active(self) -> bool:
        return self.lifted_at is None


class RetentionReport(BaseModel):
    """Who a retention run erased, who a legal hold kept, who failed (with the reason)."""

    ran_at: datetime
    today: date
    years: int
    erased: list[str] = Field(default_factory=list)
    held: list[str] = Field(default_factory=list)
    failed: dict[str, str] = Field(default_factory=dict)


class RotationReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    active_key_id: str
    rewrapped: int
    batches: int


class PersonStanding(BaseModel):
    """What privacy holds about a person, without any personal data: whether their data key
    still exists (what an erasure destroys), their erasure, cases still open, offices, legal
    holds and consent decisions (oldest first)."""

    person_ref: str
    key_held: bool = Field(description="Their data key exists: their data can still be read")
    erasure: Erasure | None
    offices: list[str]
    open_cases: list[uuid.UUID] = Field(description="Erasing needs an override_reason then")
    legal_holds: list[LegalHold]
    consents: list[ConsentResponse]

    @property
    def on_hold(self) -> bool:
        return any(h.active for h in self.legal_holds)


class AccessFilter(BaseModel):
    """Filters of the access log (every one optional); ``date_to`` inclusive."""

    model_config = ConfigDict(extra="forbid")

    person_ref: Annotated[str, Field(pattern=r"^p_[0-9a-f]{32}$")] | None = None
    actor_id: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    purpose: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    date_from: date | None = None
    date_to: date | None = None


class AccessEntry(BaseModel):
    """One logged read of a person's data: whose, who, in which role, why, which fields."""

    person_ref: str
    actor_id: str
    role: str
    purpose: str
    fields: list[str]
    accessed_at: datetime


class AccessPage(BaseModel):
    items: list[AccessEntry]
    page: int
    page_size: int
    total: int
