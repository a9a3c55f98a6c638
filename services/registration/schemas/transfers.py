"""Transfers of a person's record between offices and break-the-glass reads: request bodies
and response models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.registration.domain import RecordAccess
from services.registration.schemas.cases import PersonalData, Row
from services.registration.schemas.registering import Code


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TransferRequestIn(_Body):
    office: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)
    ] = Field(description="Your office that asks for the record (it registers the person now)")
    reason_code: Code = Field(description="Why, as a code, e.g. 'person_returned'")


class TransferDecisionIn(_Body):
    decision: Literal["approve", "refuse"]
    reason_code: Code = Field(description="Why, as a code, e.g. 'same_person_confirmed'")


class EmergencyReadIn(_Body):
    office: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)
    ] = Field(description="Your office that needs the record now")
    reason_code: Code = Field(
        description="Mandatory: why it cannot wait for a transfer, e.g. 'medical_emergency'"
    )


class PersonRecord(BaseModel):
    """The owning office's record of a person, read by that office or after a transfer."""

    person_ref: str
    owning_office: str
    record_access: RecordAccess
    sex: str
    nationality: str
    erased: bool
    personal: PersonalData


class TransferView(BaseModel):
    transfer_id: uuid.UUID
    person_ref: str
    from_office: str
    to_office: str
    status: str
    reason_code: str
    requested_by: str
    requested_role: str
    requested_at: datetime
    decision_reason_code: str | None
    decided_by: str | None
    decided_role: str | None
    decided_at: datetime | None


class EmergencyReadView(BaseModel):
    person_ref: str
    office: str
    owning_office: str
    actor_id: str
    actor_role: str
    reason_code: str
    at: datetime


class EmergencyReadPage(BaseModel):
    items: list[EmergencyReadView]


class TransferPage(BaseModel):
    items: list[TransferView]


def transfer_view(row: Row) -> TransferView:
    return TransferView(**{k: row[k] for k in TransferView.model_fields})
