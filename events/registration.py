"""Events of the registration service: return cases and their lifecycle.

No personal data: people are `person_ref`s; reasons travel as codes, never free text
(free-text notes are personal data and stay encrypted in the registration service).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from events.envelope import Payload
from events.privacy import Purpose
from events.types import (
    AgeBand,
    Category,
    CountryCode,
    CurrencyCode,
    PersonRef,
    PositiveCents,
    RequesterType,
    Sex,
)

CaseStatus = Literal[
    "requested",
    "registered",
    "eligible",
    "ineligible",
    "funding_approved",
    "documents_ready",
    "departed",
    "arrived",
    "monitoring",
    "closed",
    "withdrawn",
    "cancelled",
]


class PersonFacts(BaseModel):
    """What other services may know about a person: nothing that identifies them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    person_ref: PersonRef
    sex: Sex
    age_years: int = Field(ge=0, le=130, description="Age in whole years at registration")
    age_band: AgeBand
    nationality: CountryCode
    vulnerability_categories: list[Category]


class RequestedLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    person_ref: PersonRef
    category: Category
    amount_cents: PositiveCents
    currency: CurrencyCode


class ConsentGiven(BaseModel):
    """A consent decision collected with the registration. The privacy service records it
    (and emits ``privacy.consent_changed``) when it applies the registration, so a
    registration that did not commit leaves no consent anywhere."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    person_ref: PersonRef
    purpose: Purpose
    partner: str | None = Field(
        default=None, max_length=120, description="Organisation name, for partner_sharing"
    )
    granted: bool


class ReturnRegistered(Payload):
    service = "registration"
    event = "return_registered"

    case_id: uuid.UUID
    fund_period: str = Field(min_length=1, max_length=20)
    office: str = Field(min_length=1, max_length=60)
    requester_type: RequesterType
    departure_country: CountryCode
    destination_country: CountryCode
    registered_on: date
    people: list[PersonFacts] = Field(min_length=1)
    requested: list[RequestedLine] = Field(default_factory=list)
    allow_partial: bool = False
    consents: list[ConsentGiven] = Field(
        default_factory=list,
        description="Consent decisions collected with this registration, recorded by privacy "
        "as decisions of the envelope's actor at the envelope's time",
    )


class _Transition(Payload):
    service = "registration"

    case_id: uuid.UUID
    office: str
    from_status: CaseStatus
    to_status: CaseStatus
    reason_code: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{1,59}$")


class CaseScreened(_Transition):
    event = "case_screened"

    eligible: bool
    failed_checks: list[str] = Field(default_factory=list)
    eligibility_exception: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_]{1,59}$",
        description="Code of the recorded exception to 'destination is the nationality'",
    )


class CaseFundingApproved(_Transition):
    event = "case_funding_approved"


class CaseDocumentsReady(_Transition):
    event = "case_documents_ready"


class CaseDeparted(_Transition):
    event = "case_departed"


class CaseArrived(_Transition):
    event = "case_arrived"

    arrived_on: date


class CaseMonitoringStarted(_Transition):
    event = "case_monitoring_started"


class CaseClosed(_Transition):
    event = "case_closed"

    closed_on: date


class CaseWithdrawn(_Transition):
    event = "case_withdrawn"


class CaseCancelled(_Transition):
    event = "case_cancelled"


TRANSITION_EVENTS: dict[str, type[_Transition]] = {
    "eligible": CaseScreened,
    "ineligible": CaseScreened,
    "funding_approved": CaseFundingApproved,
    "documents_ready": CaseDocumentsReady,
    "departed": CaseDeparted,
    "arrived": CaseArrived,
    "monitoring": CaseMonitoringStarted,
    "closed": CaseClosed,
    "withdrawn": CaseWithdrawn,
    "cancelled": CaseCancelled,
}


# --- transfers of a person's record between offices ---------------------------------------

OfficeCode = Annotated[str, Field(min_length=1, max_length=60)]
ReasonCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,59}$")]


class _RecordTransfer(Payload):
    """A step of a transfer: an office asks to read the personal record of a person held by
    the person's owning office. Offices and codes only: no personal data."""

    service = "registration"

    transfer_id: uuid.UUID
    person_ref: PersonRef
    from_office: OfficeCode
    to_office: OfficeCode
    reason_code: ReasonCode


class RecordTransferRequested(_RecordTransfer):
    """``to_office`` asks for access to the record that ``from_office`` holds."""

    event = "record_transfer_requested"


class RecordTransferApproved(_RecordTransfer):
    """A supervisor of ``from_office`` or the DPO approved: ``to_office`` may read the record.
    ``reason_code`` is the decision's reason."""

    event = "record_transfer_approved"


class RecordTransferRefused(_RecordTransfer):
    """A supervisor of ``from_office`` or the DPO refused; ``reason_code`` says why."""

    event = "record_transfer_refused"


class RecordEmergencyRead(Payload):
    """Break the glass: staff of ``office`` read the record of ``owning_office`` without a
    transfer, giving a mandatory reason code. The DPO reviews every such read."""

    service = "registration"
    event = "record_emergency_read"

    person_ref: PersonRef
    office: OfficeCode
    owning_office: OfficeCode
    reason_code: ReasonCode


# --- corrections of a case before screening -----------------------------------------------


class PersonalFieldsCorrected(BaseModel):
    """Which personal fields of a person were corrected: their NAMES only, never a value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    person_ref: PersonRef
    fields: list[Annotated[str, Field(pattern=r"^[a-z][a-z_]{1,39}$")]] = Field(min_length=1)


class CaseCorrected(Payload):
    """The non-final data of a registered case (not yet screened) was corrected.

    Carries the case's facts as they are now (all of them), the requested lines as they are
    now (all of them), the facts of the people whose facts were corrected (age recomputed at
    the registration date from the corrected date of birth, never the date itself), and the
    names of the corrected case fields and personal fields. Personal data itself stays
    encrypted in the registration service.
    """

    service = "registration"
    event = "case_corrected"

    case_id: uuid.UUID
    office: str = Field(min_length=1, max_length=60)
    case_version: int = Field(ge=2, description="The case's version after this correction")
    fund_period: str = Field(min_length=1, max_length=20)
    requester_type: RequesterType
    departure_country: CountryCode
    destination_country: CountryCode
    allow_partial: bool
    vulnerability_categories: list[Category] = Field(
        description="Every category of the case's people after the correction (their union)"
    )
    people: list[PersonFacts] = Field(
        default_factory=list, description="New facts of the people whose facts were corrected"
    )
    requested: list[RequestedLine] = Field(
        default_factory=list, description="Every requested line of the case after the correction"
    )
    corrected: list[str] = Field(
        description="Names of the case fields corrected, e.g. 'destination_country', "
        "'requested', 'requester'"
    )
    personal_fields: list[PersonalFieldsCorrected] = Field(
        default_factory=list,
        description="Per person, the names of the personal fields corrected (never values)",
    )
