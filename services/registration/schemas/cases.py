"""Response bodies of the case routes, built from stored rows. Personal fields appear only
when allowed."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from events.registration import CaseStatus
from services.registration import domain
from services.registration.domain import RecordAccess

Row = Mapping[Any, Any]
"""A stored row (``store`` returns them) that a response model is built from."""

PERSONAL_FIELDS = (
    "given_names",
    "family_name",
    "date_of_birth",
    "travel_document_type",
    "travel_document_number",
    "phone",
    "email",
    "address",
)


class PersonalData(BaseModel):
    """Decrypted personal fields; all None once the person was erased."""

    given_names: str | None = None
    family_name: str | None = None
    date_of_birth: str | None = None
    travel_document_type: str | None = None
    travel_document_number: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None


class PersonView(BaseModel):
    person_ref: str
    position: int
    sex: str
    nationality: str
    age_years: int | None = Field(
        description="Whole years at registration; null while the record is withheld"
    )
    age_band: str
    vulnerability_categories: list[str]
    erased: bool
    record_access: RecordAccess = Field(
        default="own",
        description="'own': the record of this case's office (the owning office's, or what "
        "this office entered itself); 'transfer': the owning office's record, through an "
        "approved transfer; 'withheld': another office holds the record and no transfer was "
        "approved: reference and non-identifying facts only",
    )
    record_office: str | None = Field(
        default=None, description="The office whose record `personal` shows"
    )
    personal: PersonalData | None = None


class OfficeRecord(BaseModel):
    """The record an office other than the owning office entered itself."""

    office: str
    personal: PersonalData


class LineView(BaseModel):
    person_ref: str
    category: str
    amount: Decimal
    amount_cents: int
    currency: str


class TransitionView(BaseModel):
    from_status: str
    to_status: str
    reason_code: str | None
    failed_checks: list[str] | None
    reason_detail: str | None = None
    actor_kind: str
    actor_id: str
    actor_role: str | None
    event_id: uuid.UUID
    at: datetime
    kind: Literal["transition", "correction"] = Field(
        default="transition",
        description="'correction': the case's data was corrected (PATCH /api/cases/{case_id}) "
        "while it stayed 'registered'; `corrected_fields` names what",
    )
    corrected_fields: list[str] | None = Field(
        default=None,
        description="For a correction: the names of the fields corrected (case fields, and "
        "'<person_ref>.<field>' for a person's), never their values",
    )


def money(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(cents).scaleb(-2)


class FundingBrief(BaseModel):
    """The funding service's latest decision on the case (``funding.case_funding_decided``)."""

    decision: Literal["approved", "refused"]
    committed: Decimal
    committed_cents: int
    requested: Decimal
    requested_cents: int
    currency: str | None = Field(description="The fund's currency, as registration knows it")
    decided_at: datetime


class PersonFunding(BaseModel):
    """The latest decision about one person (``funding.commitment_approved`` / ``_rejected``)."""

    person_ref: str
    outcome: Literal["approved", "refused"]
    reason: str | None = Field(
        description="Why it was refused: cap_exhausted, insufficient_fund_balance, "
        "unknown_fund, currency_mismatch, case_not_eligible"
    )
    explanation: str
    partial: bool
    requested: Decimal
    requested_cents: int
    committed: Decimal
    committed_cents: int
    remaining_cap: Decimal = Field(description="What the person's cap had left then")
    remaining_cap_cents: int
    available: Decimal | None = Field(description="The fund's available balance (refusals)")
    available_cents: int | None
    decided_at: datetime


class FundingDetail(FundingBrief):
    people: list[PersonFunding] = Field(
        description="Per person, the latest decision: outcome, reason, amounts"
    )


class CaseSummary(BaseModel):
    case_id: uuid.UUID
    status: CaseStatus
    allowed_next: list[CaseStatus]
    office: str
    fund_period: str
    requester_type: str
    requester_name: str
    departure_country: str
    destination_country: str
    registered_on: date
    allow_partial: bool
    eligibility_exception: str | None
    updated_at: datetime
    version: int = Field(
        description="Changes with every transition and correction; send it with a correction"
    )
    funding: FundingBrief | None = Field(
        default=None, description="The latest funding decision; null until funding decided"
    )


class CaseDetail(CaseSummary):
    funding: FundingDetail | None = Field(
        default=None,
        description="The latest funding decision with, per person, the outcome and the reason; "
        "null until funding decided",
    )
    personal_data_included: bool
    people: list[PersonView]
    requested: list[LineView]
    history: list[TransitionView]


class CasePage(BaseModel):
    items: list[CaseSummary]
    page: int
    page_size: int
    total: int


class TransitionDone(BaseModel):
    case_id: uuid.UUID
    from_status: CaseStatus
    to_status: CaseStatus
    allowed_next: list[CaseStatus]
    failed_checks: list[str]
    event_id: uuid.UUID


class SubjectCase(BaseModel):
    """One of the person's cases: the case, their facts in it, their cost lines, its history."""

    case: CaseSummary
    person: PersonView
    requested: list[LineView]
    history: list[TransitionView]


class ConsentView(BaseModel):
    """A consent decision as the vault recorded it."""

    model_config = ConfigDict(from_attributes=True)

    purpose: str
    partner: str | None
    granted: bool
    recorded_by: str
    recorded_at: datetime


class AccessView(BaseModel):
    """A logged read of the person's data: who, in which role, why, which fields."""

    model_config = ConfigDict(from_attributes=True)

    actor_id: str
    role: str
    purpose: str
    fields: list[str]
    accessed_at: datetime


class SubjectAccessReport(BaseModel):
    """Everything the registration service holds about one person, readable."""

    person: PersonView = Field(description="The person as in their most recent case")
    cases: list[SubjectCase] = Field(description="Every case of the person, oldest first")
    case: CaseSummary = Field(description="Their most recent case (also the last of `cases`)")
    requested: list[LineView] = Field(description="Their cost lines in the most recent case")
    history: list[TransitionView] = Field(description="History of the most recent case")
    owning_office: str = Field(description="The office of their first case; it holds `person`")
    office_records: list[OfficeRecord] = Field(
        default_factory=list, description="What other offices entered themselves"
    )
    consents: list[ConsentView]
    access_log: list[AccessView]


def summary(row: Row, funding: FundingBrief | None = None) -> CaseSummary:
    values = {k: row[k] for k in CaseSummary.model_fields if k in row}
    allowed = list(domain.allowed_next(row["status"]))
    return CaseSummary(**values, allowed_next=allowed, funding=funding)


def person_view(
    row: Row,
    personal: dict[str, str | None] | None,
    choice: domain.RecordChoice | None = None,
) -> PersonView:
    values = {k: row[k] for k in PersonView.model_fields if k in row}
    if choice is not None:
        values.update(record_access=choice.access, record_office=choice.office)
        if choice.kind == "none":
            values["age_years"] = None
            personal = None
    return PersonView(
        **values,
        erased=row["erased_at"] is not None,
        personal=None if personal is None else PersonalData(**personal),
    )


def line_view(row: Row) -> LineView:
    amount = Decimal(row["amount_cents"]).scaleb(-2)
    return LineView(**{k: row[k] for k in LineView.model_fields if k in row}, amount=amount)


def transition_view(row: Row, detail: str | None) -> TransitionView:
    fields = {k: row[k] for k in TransitionView.model_fields if k in row and k != "reason_detail"}
    return TransitionView(**fields, reason_detail=detail)


def correction_view(row: Row) -> TransitionView:
    """A correction as an entry of the case's history (it left the case 'registered')."""
    return TransitionView(
        from_status="registered",
        to_status="registered",
        reason_code="case_corrected",
        failed_checks=None,
        actor_kind=row["actor_kind"],
        actor_id=row["actor_id"],
        actor_role=row["actor_role"],
        event_id=row["event_id"],
        at=row["at"],
        kind="correction",
        corrected_fields=list(row["fields"]),
    )


def funding_brief(row: Row | None, currency: str | None) -> FundingBrief | None:
    if row is None:
        return None
    return FundingBrief(
        decision="approved" if row["approved"] else "refused",
        committed=Decimal(row["committed_cents"]).scaleb(-2),
        committed_cents=row["committed_cents"],
        requested=Decimal(row["requested_cents"]).scaleb(-2),
        requested_cents=row["requested_cents"],
        currency=currency,
        decided_at=row["decided_at"],
    )


def funding_detail(
    row: Row | None, outcomes: Sequence[Row], currency: str | None, order: list[str]
) -> FundingDetail | None:
    """The case's decision and its people's outcomes, in the case's order of people."""
    brief = funding_brief(row, currency)
    if brief is None:
        return None
    position = {ref: i for i, ref in enumerate(order)}
    ordered = sorted(outcomes, key=lambda o: position.get(o["person_ref"], len(order)))
    return FundingDetail(
        **brief.model_dump(), people=[person_funding(o, currency) for o in ordered]
    )


def person_funding(row: Row, currency: str | None) -> PersonFunding:
    return PersonFunding(
        person_ref=row["person_ref"],
        outcome="approved" if row["approved"] else "refused",
        reason=row["reason"],
        explanation=domain.funding_explanation(
            approved=row["approved"],
            reason=row["reason"],
            partial=row["partial"],
            requested_cents=row["requested_cents"],
            committed_cents=row["committed_cents"],
            remaining_cap_cents=row["remaining_cap_cents"],
            available_cents=row["available_cents"],
            currency=currency,
        ),
        partial=row["partial"],
        requested=Decimal(row["requested_cents"]).scaleb(-2),
        requested_cents=row["requested_cents"],
        committed=Decimal(row["committed_cents"]).scaleb(-2),
        committed_cents=row["committed_cents"],
        remaining_cap=Decimal(row["remaining_cap_cents"]).scaleb(-2),
        remaining_cap_cents=row["remaining_cap_cents"],
        available=money(row["available_cents"]),
        available_cents=row["available_cents"],
        decided_at=row["decided_at"],
    )
