"""Events of the funding service: funds, contributions, commitments, disbursements."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from events.envelope import Payload
from events.types import Category, Cents, CountryCode, CurrencyCode, PersonRef, PositiveCents


class MemberShare(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    member: CountryCode
    share_percent: str = Field(description="Exact decimal percentage as a string, e.g. '25.5'")
    expected_cents: Cents


class MemberAmount(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    member: CountryCode
    amount_cents: Cents


class FundCreated(Payload):
    service = "funding"
    event = "fund_created"

    period: str
    currency: CurrencyCode
    per_person_cap_cents: PositiveCents
    target_cents: PositiveCents
    shares: list[MemberShare]


class ContributionPledged(Payload):
    service = "funding"
    event = "contribution_pledged"

    period: str
    member: CountryCode
    amount_cents: PositiveCents
    on: date
    entry_id: uuid.UUID | None = Field(
        default=None, description="The pledge's id (absent in events recorded before it had one)"
    )


class ContributionReceived(Payload):
    service = "funding"
    event = "contribution_received"

    period: str
    member: CountryCode
    amount_cents: PositiveCents
    on: date
    entry_id: uuid.UUID | None = Field(
        default=None, description="The receipt's id (absent in events recorded before it had one)"
    )


class CommittedLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    category: Category
    amount_cents: PositiveCents


class CommitmentApproved(Payload):
    """Funds committed to one person within the cap; `partial` when less than requested."""

    service = "funding"
    event = "commitment_approved"

    commitment_id: uuid.UUID
    period: str
    case_id: uuid.UUID
    person_ref: PersonRef
    requested_cents: PositiveCents
    amount_cents: PositiveCents
    lines: list[CommittedLine]
    partial: bool
    remaining_cap_cents: Cents


RejectionReason = Literal[
    "cap_exhausted",
    "insufficient_fund_balance",
    "case_not_eligible",
    "unknown_fund",
    "currency_mismatch",
]


class CommitmentRejected(Payload):
    service = "funding"
    event = "commitment_rejected"

    period: str
    case_id: uuid.UUID
    person_ref: PersonRef
    requested_cents: PositiveCents
    reason: RejectionReason
    remaining_cap_cents: Cents
    available_cents: Cents


class CaseFundingDecided(Payload):
    """All requested lines of a case were decided; `approved` if at least one commitment was."""

    service = "funding"
    event = "case_funding_decided"

    period: str
    case_id: uuid.UUID
    approved: bool
    committed_cents: Cents
    requested_cents: Cents


class CommitmentReleased(Payload):
    service = "funding"
    event = "commitment_released"

    commitment_id: uuid.UUID
    period: str
    case_id: uuid.UUID
    person_ref: PersonRef
    released_cents: PositiveCents
    reason_code: str


class DisbursementMade(Payload):
    """Money paid out against a commitment, attributed to contributing members pro rata."""

    service = "funding"
    event = "disbursement_made"

    disbursement_id: uuid.UUID
    commitment_id: uuid.UUID
    period: str
    case_id: uuid.UUID
    person_ref: PersonRef
    category: Category
    amount_cents: PositiveCents
    paid_on: date
    attributions: list[MemberAmount]


# Why a ledger entry was reversed: codes only, never free text (free text is personal data).
ContributionReversalReason = Literal[
    "entered_in_error",
    "duplicate",
    "wrong_amount",
    "wrong_member",
    "wrong_fund",
    "refunded_to_member",
]
PaymentReversalReason = Literal[
    "entered_in_error",
    "duplicate",
    "wrong_amount",
    "wrong_category",
    "returned_by_recipient",
    "payment_failed",
]


class ContributionReversed(Payload):
    """A pledge or receipt corrected by a compensating entry of the same amount (ledgers are
    never edited): the fund's pledged or received total goes down by ``amount_cents``."""

    service = "funding"
    event = "contribution_reversed"

    reversal_id: uuid.UUID
    entry_id: uuid.UUID = Field(description="The pledge or receipt reversed")
    kind: Literal["pledge", "receipt"]
    period: str
    member: CountryCode
    amount_cents: PositiveCents = Field(description="The reversed entry's whole amount")
    reason_code: ContributionReversalReason
    reversed_on: date


class DisbursementReversed(Payload):
    """A payment corrected by a compensating entry: its amount goes back to its commitment
    line (so it can be paid again correctly) and each member's attributed part is reversed
    exactly (``attributions`` repeats the payment's). If the commitment had been released
    already, the amount is released at once too, as its own ``commitment_released`` event
    (reason ``payment_reversed``)."""

    service = "funding"
    event = "disbursement_reversed"

    reversal_id: uuid.UUID
    disbursement_id: uuid.UUID = Field(description="The payment reversed")
    commitment_id: uuid.UUID
    period: str
    case_id: uuid.UUID
    person_ref: PersonRef
    category: Category
    amount_cents: PositiveCents = Field(description="The reversed payment's whole amount")
    attributions: list[MemberAmount]
    reason_code: PaymentReversalReason
    reversed_on: date
