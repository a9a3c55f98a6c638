"""Events of privacy: consent, legal holds and proof of erasure (never the data itself)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from events.envelope import Payload
from events.types import PersonRef

Purpose = Literal["assistance", "partner_sharing", "follow_up_contact"]


class ConsentChanged(Payload):
    service = "privacy"
    event = "consent_changed"

    person_ref: PersonRef
    purpose: Purpose
    partner: str | None = Field(
        default=None, max_length=120, description="Organisation name, for partner_sharing"
    )
    granted: bool


class LegalHoldChanged(Payload):
    service = "privacy"
    event = "legal_hold_changed"

    person_ref: PersonRef
    hold_id: str
    active: bool


class PersonalDataErased(Payload):
    """Proof of crypto-shredding: the person's data key was destroyed."""

    service = "privacy"
    event = "personal_data_erased"

    person_ref: PersonRef
    erased_at: datetime
    trigger: Literal["retention", "request"]
    key_fingerprint: str = Field(
        description="SHA-256 of the wrapped key id, to match key-store records"
    )
    override_reason: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_]{1,59}$",
        description="Code the data protection officer gave to erase a person in an open case",
    )
