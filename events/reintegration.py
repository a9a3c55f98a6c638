"""Vocabulary of the reintegration follow-up: the codes its events and requests carry.

Codes only: a contact's free-text note is personal data and travels encrypted through the
vault, never in an event.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from events.envelope import Payload
from events.types import PersonRef

ContactMethod = Literal["call", "visit", "partner"]
"""How a contact was made: a call, a home visit, or through a partner organisation."""

Residence = Literal["same_community", "other_community", "urban_centre", "abroad_again"]
"""Where the person lives at a contact. "Abroad again" is an outcome (re-migration), not an
error; "urban centre" is asked for by the source (panel 3: returnees settling in cities)."""

RemigrationIntention = Literal["none", "considering", "planning", "declined_to_answer"]

AssistanceCategory = Literal[
    "business_start_up",
    "training",
    "housing",
    "medical",
    "psychosocial",
    "education",
    "referral",
]
AssistanceKind = Literal["in_kind", "cash"]

ContactOutcome = Literal["reached", "not_reached", "no_consent"]
"""One attempt's outcome. "no_consent": the person has not consented to follow-up contact,
so nobody called; the slot is settled without a survey."""

SlotStatus = Literal["upcoming", "due", "overdue", "done", "not_reached", "no_consent"]
PlanStatus = Literal["not_due", "due", "overdue", "drawn_up"]

ClosureReason = Literal[
    "completed",
    "lost_contact",
    "re_migrated",
    "deceased",
    "declined",
    "transferred",
    "no_longer_eligible",
    "funding_lost",
    "security",
]
"""Why a reintegration case closes (IOM Reintegration Handbook 2019, module 2.7): support
has run its course, the person cannot be reached, re-migrated, died, chose to stop, moved to
another office's area, no longer meets the criteria, funding was lost, or for security."""

FollowUpClosureReason = ClosureReason | Literal["case_closed"]
"""A caseworker's reason, or ``case_closed``: registration closed the person's return case
(a caseworker's decision there, with registration's own reason code) while the follow-up was
still open."""

Dimension = Literal["economic", "social", "psychosocial"]


# --- events --------------------------------------------------------------------------------
# Payloads name people by person_ref and carry offices, dates, codes, scores and the
# instrument version: never a note, an answer or a contact detail.

OfficeCode = Annotated[str, Field(min_length=1, max_length=60)]
InstrumentVersion = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,39}$")]
Score = Annotated[Decimal, Field(ge=0, le=1, decimal_places=4)]
AssistanceStage = Literal["planned", "received"]
ScoreSource = Literal["contact", "rescore"]
ClosedBy = Literal["caseworker", "schedule", "registration"]


class ScheduledContact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    slot: int = Field(ge=1, description="1, 2, 3 ... in schedule order")
    offset_months: int = Field(ge=1)
    due_on: date
    opens_on: date
    closes_on: date


class _PlanEvent(Payload):
    service = "reintegration"

    plan_id: uuid.UUID
    case_id: uuid.UUID
    person_ref: PersonRef
    office: OfficeCode


class PlanCreated(_PlanEvent):
    """The person arrived: their follow-up plan and its monitoring schedule (the plan
    itself is due by ``plan_due_on``)."""

    event = "plan_created"

    arrived_on: date
    plan_due_on: date
    contacts: list[ScheduledContact] = Field(min_length=1)


class AssistanceItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    category: AssistanceCategory
    kind: AssistanceKind
    amount_cents: int | None = Field(
        default=None, gt=0, description="For cash: the amount in minor units of the fund currency"
    )


class AssistanceRecorded(_PlanEvent):
    """Assistance planned (drawing up the plan; possibly no item) or received since the
    last contact."""

    event = "assistance_recorded"

    stage: AssistanceStage
    on: date
    items: list[AssistanceItem]
    contact_id: uuid.UUID | None = Field(default=None, description="The contact it was told at")


class ContactRecorded(_PlanEvent):
    """One attempt at a scheduled contact, and what the slot is after it."""

    event = "contact_recorded"

    contact_id: uuid.UUID
    slot: int = Field(ge=1)
    attempt: int = Field(ge=1, description="The slot's attempts so far, this one included")
    contacted_on: date
    method: ContactMethod
    outcome: ContactOutcome
    slot_status: SlotStatus
    timeliness: Literal["early", "on_time", "late"]
    residence: Residence | None = None
    remigration_intention: RemigrationIntention | None = None
    has_note: bool = Field(description="A note was kept (encrypted, never in an event)")


class ContactOverdue(_PlanEvent):
    """A scheduled contact's window closed with nothing settling it (emitted once)."""

    event = "contact_overdue"

    slot: int = Field(ge=1)
    due_on: date
    closes_on: date
    failed_attempts: int = Field(ge=0)


class ScoreRecorded(_PlanEvent):
    """Sustainability scores of one survey under one instrument version (None: too little
    answered weight). A rescore under a new version is a new event; old ones stand."""

    event = "score_recorded"

    score_id: uuid.UUID
    survey_id: uuid.UUID
    instrument_version: InstrumentVersion
    source: ScoreSource
    surveyed_on: date
    economic: Score | None
    social: Score | None
    psychosocial: Score | None
    composite: Score | None
    above_threshold: bool | None
    answered: int = Field(ge=0)
    missing: int = Field(ge=0)


class FollowUpClosed(_PlanEvent):
    """The person's follow-up closed: by a caseworker's decision, when the schedule ran its
    course (the last contact decides between completed and lost contact), or because
    registration closed the return case (``closed_by`` "registration")."""

    event = "case_closed"

    closed_on: date
    reason_code: FollowUpClosureReason
    closed_by: ClosedBy
