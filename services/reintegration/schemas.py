"""Request bodies and response models of the follow-up's API and commands."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from events.reintegration import (
    AssistanceCategory,
    AssistanceKind,
    AssistanceStage,
    ClosedBy,
    ClosureReason,
    ContactMethod,
    ContactOutcome,
    FollowUpClosureReason,
    PlanStatus,
    RemigrationIntention,
    Residence,
    ScoreSource,
    SlotStatus,
)
from events.types import DecimalAmount
from services.reintegration.domain.worklist import DueStatus

MAX_PAGE_SIZE = 200
Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


MAX_AMOUNT = Decimal(1_000_000_000)  # far above any grant: refuses absurd input before arithmetic


class AssistanceItemIn(_Body):
    category: AssistanceCategory
    kind: AssistanceKind
    amount: DecimalAmount | None = Field(
        default=None, description="For cash: the amount, at most two decimals (e.g. '150.00')"
    )

    @model_validator(mode="after")
    def _cash_has_amount(self) -> AssistanceItemIn:
        if self.kind == "cash" and self.amount is None:
            raise ValueError("cash assistance needs its amount")
        if self.kind == "in_kind" and self.amount is not None:
            raise ValueError("in-kind assistance has no amount")
        if self.amount is not None and (
            not self.amount.is_finite()
            or not Decimal(0) < self.amount <= MAX_AMOUNT
            or self.amount != self.amount.quantize(Decimal("0.01"))
        ):
            raise ValueError(
                "the amount must be above 0, below 1,000,000,000, with at most two decimals"
            )
        return self

    @property
    def amount_cents(self) -> int | None:
        return None if self.amount is None else int(self.amount * 100)


class AssistanceIn(_Body):
    """Planned assistance (draws up the plan; an empty list means none is needed) or
    assistance received."""

    stage: AssistanceStage
    on: date
    items: list[AssistanceItemIn] = Field(max_length=50)

    @model_validator(mode="after")
    def _received_has_items(self) -> AssistanceIn:
        if self.stage == "received" and not self.items:
            raise ValueError("received assistance needs at least one item")
        return self


class SurveyIn(_Body):
    instrument_version: str | None = Field(
        default=None, max_length=40, description="Default: the configured instrument"
    )
    answers: dict[Code, Code] = Field(
        max_length=200, description="Indicator id -> answer code (or a missing code)"
    )


class ContactIn(_Body):
    on: date = Field(description="The day of the attempt")
    slot: int | None = Field(
        default=None,
        ge=1,
        description="The scheduled contact; default: the open one whose window holds `on`, "
        "else the first open one",
    )
    method: ContactMethod
    outcome: ContactOutcome
    residence: Residence | None = Field(default=None, description="Required when reached")
    remigration_intention: RemigrationIntention | None = None
    note: str | None = Field(
        default=None,
        min_length=1,
        max_length=4000,
        description="Free text: personal data, kept encrypted, never in an event",
    )
    assistance_received: list[AssistanceItemIn] = Field(default_factory=list, max_length=50)
    survey: SurveyIn | None = None


class ClosureIn(_Body):
    on: date
    reason: ClosureReason


class RescoreIn(_Body):
    instrument_version: str = Field(min_length=1, max_length=40)


# --- responses -------------------------------------------------------------------------------


class SlotView(BaseModel):
    slot: int
    offset_months: int
    due_on: date
    opens_on: date
    closes_on: date
    status: SlotStatus
    failed_attempts: int
    settled_on: date | None


class ContactView(BaseModel):
    contact_id: uuid.UUID
    plan_id: uuid.UUID
    slot: int
    attempt: int
    contacted_on: date
    method: ContactMethod
    outcome: ContactOutcome
    residence: Residence | None
    remigration_intention: RemigrationIntention | None
    has_note: bool
    recorded_at: datetime
    slot_status: SlotStatus | None = None


class AssistanceView(BaseModel):
    item_id: uuid.UUID
    stage: AssistanceStage
    category: AssistanceCategory
    kind: AssistanceKind
    amount_cents: int | None
    on: date


class GrantView(BaseModel):
    """Cash received, asked of the fund: ``requested`` until funding answers, then
    ``committed`` (``committed_cents``, less than asked when the cap allowed only part) or
    ``refused`` (``refusal_reason``: ``cap_exhausted`` when the person's cap is used up,
    ``insufficient_fund_balance``...)."""

    grant_id: uuid.UUID
    on: date
    requested_cents: int
    status: Literal["requested", "committed", "refused"]
    committed_cents: int | None
    refusal_reason: str | None


def grant_view(row: Mapping[Any, Any]) -> GrantView:
    return GrantView(
        grant_id=row["grant_id"],
        on=row["on_date"],
        requested_cents=row["requested_cents"],
        status=row["status"],
        committed_cents=row["committed_cents"],
        refusal_reason=row["refusal_reason"],
    )


class ScoreView(BaseModel):
    score_id: uuid.UUID
    survey_id: uuid.UUID
    instrument_version: str
    source: ScoreSource
    surveyed_on: date
    economic: Decimal | None
    social: Decimal | None
    psychosocial: Decimal | None
    composite: Decimal | None
    above_threshold: bool | None
    answered: int
    missing: int


class ContactRecordedView(BaseModel):
    contact: ContactView
    score: ScoreView | None
    closed: bool = Field(description="The schedule ran its course with this contact")


class PlanView(BaseModel):
    plan_id: uuid.UUID
    case_id: uuid.UUID
    person_ref: str
    office: str
    arrived_on: date
    plan_due_on: date
    plan_status: PlanStatus
    drawn_up_on: date | None
    closed_on: date | None
    closure_reason: FollowUpClosureReason | None
    schedule: list[SlotView]
    contacts: list[ContactView]
    assistance: list[AssistanceView]
    grants: list[GrantView] = Field(description="Cash received asked of the fund, and its answer")
    scores: list[ScoreView]


class ClosureView(BaseModel):
    plan_id: uuid.UUID
    closed_on: date
    reason: ClosureReason
    closed_by: ClosedBy


class DueItem(BaseModel):
    status: DueStatus
    plan_id: uuid.UUID
    case_id: uuid.UUID
    person_ref: str
    office: str
    arrived_on: date
    due_on: date = Field(description="The plan's due date, or the contact's")
    plan_overdue: bool = Field(description="For plan_missing: past the plan's due date")
    slot: int | None
    opens_on: date | None
    closes_on: date | None
    failed_attempts: int


class DuePage(BaseModel):
    items: list[DueItem]
    counts: dict[DueStatus, int] = Field(description="Rows per status, before paging")
    on: date = Field(description="The day the list was computed for")
    page: int
    page_size: int
    total: int


class OfficeCounts(BaseModel):
    office: str
    contacts_due: int = Field(description="Scheduled contacts due in the period")
    done: int
    done_early: int = Field(description="Done before the contact's window opened")
    done_on_time: int = Field(description="Done within the contact's window")
    done_late: int = Field(description="Done after the window closed")
    not_reached: int
    no_consent: int
    overdue: int = Field(description="Due in the period, window closed, nothing settled it")
    open: int = Field(description="Due in the period, window still open, not settled")
    plans_made: int = Field(description="People who arrived in the period")
    plans_drawn_up_on_time: int
    closed: dict[str, int] = Field(description="Follow-ups closed in the period, per reason")


class NoteView(BaseModel):
    contact_id: uuid.UUID
    note: str | None = Field(description="None once the person's data was erased")


class CountsView(BaseModel):
    date_from: date
    date_to: date
    offices: list[OfficeCounts]


class CaseFollowUp(BaseModel):
    """One person's follow-up in a case: the plan, and whether they consented to be
    contacted (without it only "no consent" can be recorded)."""

    plan: PlanView
    contact_consent: bool


DueFilterStatus = Literal["plan_missing", "overdue", "due_this_week", "not_reached", "upcoming"]


# --- views of stored rows ------------------------------------------------------------------


def contact_view(row: Mapping[Any, Any]) -> ContactView:
    return ContactView(
        has_note=row["note_sealed"] is not None,
        **{k: row[k] for k in ContactView.model_fields if k in row and k != "slot_status"},
    )


def assistance_view(row: Mapping[Any, Any]) -> AssistanceView:
    return AssistanceView(
        item_id=row["item_id"],
        stage=row["stage"],
        category=row["category"],
        kind=row["kind"],
        amount_cents=row["amount_cents"],
        on=row["on_date"],
    )


def score_view(row: Mapping[Any, Any], surveyed_on: date) -> ScoreView:
    return ScoreView(
        surveyed_on=surveyed_on, **{k: row[k] for k in ScoreView.model_fields if k != "surveyed_on"}
    )
