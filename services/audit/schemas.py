"""Request and response models of the audit API and CLI. Never personal data: people appear
only as pseudonymous ``person_ref``s.

The log's own records (``Checkpoint``, ``CheckpointStatus``, ``ChainProblem``,
``VerifyResult``) are the domain's models, named here for the routes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.audit.domain.chain import ChainProblem, VerifyResult
from services.audit.domain.checkpoints import MESSAGE_FORMAT, Checkpoint, CheckpointStatus

__all__ = [
    "ActivityCounts",
    "CapCompliance",
    "CapViolation",
    "CaseDimension",
    "ChainProblem",
    "Checkpoint",
    "CheckpointStatus",
    "Dimension",
    "EventFilter",
    "EventRow",
    "LogVerification",
    "MemberUse",
    "MoneyFilter",
    "MoneyRow",
    "PublicKey",
    "StageRow",
    "Summary",
    "VerifyResult",
]

MAX_EVENTS = 1000
CAP_RULE = (
    "for every fund and every person_ref with money in it: "
    "max(committed - released, disbursed) <= the fund's per_person_cap_cents"
)

# --- Verification and checkpoints ------------------------------------------------------------


class LogVerification(BaseModel):
    intact: bool
    verified_at: datetime
    verified_from: int = Field(0, description="Records after this position were re-hashed")
    chain: VerifyResult
    checkpoints: list[CheckpointStatus]
    broker_checked: bool = Field(
        False,
        description="Whether the log's tail and the checkpoints published on the broker "
        "were cross-checked (else broker_detail says why not)",
    )
    broker_detail: str = ""
    last_checkpoint_at: datetime | None = None
    problem: ChainProblem | None = None


class PublicKey(BaseModel):
    algorithm: Literal["Ed25519"] = "Ed25519"
    key_id: str
    pem: str
    signed_message: str = MESSAGE_FORMAT
    example_message: str


# --- The log's events and the cases' stages ----------------------------------------------------


class EventFilter(BaseModel):
    case_id: uuid.UUID | None = None
    actor_id: str | None = None
    type: str | None = None
    date_from: date | None = None
    date_to: date | None = Field(default=None, description="Inclusive")
    after_position: int = Field(default=0, ge=0, le=2**62)
    limit: int = Field(default=100, ge=1, le=MAX_EVENTS)


class EventRow(BaseModel):
    position: int
    event_id: uuid.UUID
    type: str
    version: int
    occurred_at: datetime
    actor_kind: str
    actor_id: str
    actor_role: str | None
    case_id: uuid.UUID | None
    correlation_id: str | None
    payload: dict[str, Any]


CaseDimension = Literal["office", "category"]


class StageRow(BaseModel):
    """Stays of cases in one stage (optionally per office or vulnerability category)."""

    stage: str
    group: str | None = Field(description="Office or vulnerability category, when grouped")
    cases_entered: int
    cases_now: int = Field(description="Cases in this stage now (their stay has not ended)")
    stays_completed: int
    mean_days: float | None
    median_days: float | None
    max_days: float | None


# --- Money ---------------------------------------------------------------------------------------

Dimension = Literal["fund_period", "category", "destination_country", "member"]


class MoneyFilter(BaseModel):
    fund_period: str | None = None
    date_from: date | None = None
    date_to: date | None = Field(default=None, description="Inclusive")


class MoneyRow(BaseModel):
    keys: dict[str, str] = Field(description="The value of each grouping dimension")
    count: int = Field(description="Commitments or disbursements in the group")
    amount_cents: int
    released_cents: int | None = Field(
        default=None, description="Commitments only; releases are not split by cost category"
    )
    reversed_cents: int | None = Field(
        default=None,
        description="Disbursements only: payments reversed in the period (counted on the day "
        "of the reversal); amount_cents is net of them, count counts payments only",
    )


class MemberUse(BaseModel):
    """A member's contribution received versus the disbursements attributed to it."""

    fund_period: str
    member: str
    share_percent: str | None
    expected_cents: int
    pledged_cents: int
    received_cents: int
    attributed_cents: int
    unused_received_cents: int
    used_percent: str | None = Field(description="Attributed / received, two decimals")


class CapViolation(BaseModel):
    fund_period: str
    person_ref: str = Field(description="Pseudonymous reference, never a name")
    cap_cents: int
    committed_cents: int
    released_cents: int
    disbursed_cents: int


class CapCompliance(BaseModel):
    check: str = CAP_RULE
    compliant: bool
    funds_checked: int
    people_checked: int
    people_above_cap: int
    people_without_known_cap: int = Field(description="Money in a fund the log never saw created")
    max_ratio: str = Field(description="Highest exposure / cap, four decimals")
    violations: list[CapViolation]


# --- The half-year summary ---------------------------------------------------------------------


class ActivityCounts(BaseModel):
    events_total: int
    events_by_type: dict[str, int]
    cases_registered: int
    people_registered: int
    stages_entered: dict[str, int]
    erasures: int


class Summary(BaseModel):
    half: str
    date_from: date
    date_to: date
    log_intact: bool
    log_head_position: int
    latest_checkpoint: Checkpoint | None
    activity: ActivityCounts
    commitments_by_category: list[MoneyRow]
    commitments_by_destination: list[MoneyRow]
    disbursements_by_category: list[MoneyRow]
    disbursements_by_destination: list[MoneyRow]
    disbursements_by_member: list[MoneyRow]
    members: list[MemberUse]
    cap_compliance: CapCompliance
