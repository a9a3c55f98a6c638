"""The funding API's and CLI's models: request bodies (``extra="forbid"``) and responses.

Amounts come in as decimal strings or numbers with at most two decimals, read with
``decimal.Decimal`` (never float) and turned into integer cents here; they go out as exact
cents and as a decimal string (``x_cents`` and ``x``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from events.funding import ContributionReversalReason, PaymentReversalReason, RejectionReason
from events.types import Category, CurrencyCode, DecimalAmount, PersonRef
from services.funding.domain import (
    Decision,
    EntryKind,
    FundTotals,
    Line,
    PersonPosition,
    check_category,
)
from services.funding.domain import LedgerFilter as LedgerFilter  # the listings' filter
from services.funding.domain.money import (
    Share,
    contribution_scale,
    format_cents,
    parse_cents,
    parse_country,
)

PERIOD = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$"
MAX_PAGE_SIZE = 200
CommitmentStatus = Literal["active", "released"]


def money(name: str, cents: int) -> dict[str, Any]:
    """An amount as exact cents and as a decimal string: ``x_cents`` and ``x``."""
    return {f"{name}_cents": cents, name: format_cents(cents)}


# --- requests ----------------------------------------------------------------------------


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ShareIn(_In):
    member: str
    share_percent: Decimal = Field(description="Exact percentage, e.g. '25' or '12.5'")


class FundIn(_In):
    period: str = Field(pattern=PERIOD)
    currency: CurrencyCode
    target: Decimal = Field(description="Fund total, e.g. '60000.00'")
    per_person_cap: Decimal | None = Field(default=None, description="Default from settings")
    shares: list[ShareIn]

    def cap_cents(self, default_cents: int) -> int:
        if self.per_person_cap is None:
            return default_cents
        return parse_cents(self.per_person_cap, field="per_person_cap")

    def target_cents(self) -> int:
        return parse_cents(self.target, field="target")

    def scale(self) -> tuple[Share, ...]:
        return contribution_scale((s.member, s.share_percent) for s in self.shares)


class ContributionIn(_In):
    member: str
    amount: DecimalAmount
    on: date | None = None
    currency: CurrencyCode | None = None

    def amount_cents(self) -> int:
        return parse_cents(self.amount)

    def member_code(self) -> str:
        return parse_country(self.member)


class LineIn(_In):
    category: Category
    amount: DecimalAmount

    def line(self, categories: list[str]) -> Line:
        category = check_category(self.category, categories)
        return Line(category, parse_cents(self.amount, field=f"{self.category} amount"))


class CommitmentIn(_In):
    person_ref: PersonRef
    lines: list[LineIn] = Field(default_factory=list, description="Default: the registered lines")
    allow_partial: bool = False
    currency: CurrencyCode | None = None


class DisbursementIn(_In):
    amount: DecimalAmount
    category: Category
    paid_on: date | None = None
    currency: CurrencyCode | None = None

    def amount_cents(self) -> int:
        return parse_cents(self.amount)


class ContributionReversalIn(_In):
    reason_code: ContributionReversalReason = Field(
        description="Why the entry was wrong (a code; free text is never accepted)"
    )


class PaymentReversalIn(_In):
    reason_code: PaymentReversalReason = Field(
        description="Why the payment is reversed (a code; free text is never accepted)"
    )


# --- fund and person positions -----------------------------------------------------------


class MemberOut(BaseModel):
    member: str
    share_percent: str
    expected_cents: int
    expected: str
    pledged_cents: int
    pledged: str
    received_cents: int
    received: str


class FundOut(BaseModel):
    period: str
    currency: str
    per_person_cap_cents: int
    per_person_cap: str
    target_cents: int
    target: str
    pledged_cents: int
    pledged: str
    received_cents: int
    received: str
    committed_cents: int
    committed: str
    disbursed_cents: int
    disbursed: str
    available_cents: int = Field(description="Received minus committed, never below zero")
    available: str
    members: list[MemberOut]

    @classmethod
    def of(cls, fund: FundTotals) -> FundOut:
        return cls(
            period=fund.period,
            currency=fund.currency,
            **money("per_person_cap", fund.cap_cents),
            **money("target", fund.target_cents),
            **money("pledged", fund.pledged_cents),
            **money("received", fund.received_cents),
            **money("committed", fund.committed_cents),
            **money("disbursed", fund.disbursed_cents),
            **money("available", fund.available_cents),
            members=[
                MemberOut(
                    member=m.member,
                    share_percent=m.share_percent,
                    **money("expected", m.expected_cents),
                    **money("pledged", m.pledged_cents),
                    **money("received", m.received_cents),
                )
                for m in fund.members
            ],
        )


class PersonFundOut(BaseModel):
    period: str
    currency: str
    cap_cents: int
    cap: str
    committed_cents: int
    committed: str
    disbursed_cents: int
    disbursed: str
    remaining_cents: int = Field(description="Cap minus committed, never below zero")
    remaining: str

    @classmethod
    def of(cls, p: PersonPosition) -> PersonFundOut:
        return cls(
            period=p.period,
            currency=p.currency,
            **money("cap", p.cap_cents),
            **money("committed", p.committed_cents),
            **money("disbursed", p.disbursed_cents),
            **money("remaining", p.remaining_cents),
        )


class PersonFundingOut(BaseModel):
    person_ref: str
    funds: list[PersonFundOut]


# --- commitments and payments (writes) ---------------------------------------------------


class CommittedLineOut(BaseModel):
    category: str
    amount_cents: int
    amount: str


class CommitmentOutcomeOut(BaseModel):
    outcome: Literal["approved", "partially_approved", "rejected"]
    reason: RejectionReason | None
    period: str
    commitment_id: uuid.UUID | None
    requested_cents: int
    requested: str
    amount_cents: int
    amount: str
    remaining_cap_cents: int
    remaining_cap: str
    available_cents: int
    available: str
    lines: list[CommittedLineOut]

    @classmethod
    def of(cls, d: Decision, commitment_id: uuid.UUID | None, period: str) -> CommitmentOutcomeOut:
        return cls(
            outcome=d.outcome,
            reason=d.reason,
            period=period,
            commitment_id=commitment_id,
            **money("requested", d.requested_cents),
            **money("amount", d.amount_cents),
            **money("remaining_cap", d.remaining_cap_cents),
            **money("available", d.available_cents),
            lines=[
                CommittedLineOut(category=x.category, **money("amount", x.amount_cents))
                for x in d.lines
            ],
        )


class MemberPart(BaseModel):
    member: str
    amount_cents: int
    amount: str


def member_parts(parts: dict[str, int]) -> list[MemberPart]:
    return [MemberPart(member=m, **money("amount", a)) for m, a in parts.items()]


class DisbursementOut(BaseModel):
    disbursement_id: uuid.UUID
    commitment_id: uuid.UUID
    amount_cents: int
    amount: str
    attributions: list[MemberPart]


class ReversalOut(BaseModel):
    reversal_id: uuid.UUID
    kind: EntryKind
    entry_id: uuid.UUID = Field(description="The pledge, receipt or payment reversed")
    period: str
    reason_code: str
    reversed_on: date
    amount_cents: int
    amount: str
    attributions: list[MemberPart] = Field(
        description="Payments: each member's attributed part, taken back"
    )
    released_cents: int = Field(
        description="Payments of a released commitment: given back to the cap and the fund"
    )
    released: str


# --- listings ----------------------------------------------------------------------------


class ReversalInfo(BaseModel):
    reversal_id: uuid.UUID
    reason_code: str
    reversed_on: date
    recorded_at: datetime


class ContributionEntry(BaseModel):
    entry_id: uuid.UUID
    kind: Literal["pledge", "receipt"]
    period: str
    member: str
    amount_cents: int
    amount: str
    on: date
    recorded_at: datetime
    reversed: bool
    reversal: ReversalInfo | None


class ContributionPage(BaseModel):
    items: list[ContributionEntry]
    page: int
    page_size: int
    total: int


class CommitmentSummary(BaseModel):
    commitment_id: uuid.UUID
    period: str
    case_id: uuid.UUID
    office: str
    person_ref: str
    status: CommitmentStatus
    origin: str = Field(
        description="screening (decided from the event), request, or reintegration (cash "
        "assistance received in the follow-up, a reintegration_grant)"
    )
    partial: bool
    requested_cents: int
    requested: str
    amount_cents: int
    amount: str
    disbursed_cents: int = Field(description="Paid, net of reversed payments")
    disbursed: str
    released_cents: int
    released: str
    remaining_cents: int = Field(description="Committed, not paid and not released")
    remaining: str
    created_at: datetime


class CommitmentPage(BaseModel):
    items: list[CommitmentSummary]
    page: int
    page_size: int
    total: int


class PaymentView(BaseModel):
    payment_id: uuid.UUID = Field(description="The disbursement's id")
    commitment_id: uuid.UUID
    period: str
    case_id: uuid.UUID
    office: str
    person_ref: str
    category: str
    amount_cents: int
    amount: str
    paid_on: date
    recorded_at: datetime
    attributions: list[MemberPart]
    reversed: bool
    reversal: ReversalInfo | None


class PaymentPage(BaseModel):
    items: list[PaymentView]
    page: int
    page_size: int
    total: int


class CommitmentLineView(BaseModel):
    position: int
    category: str
    amount_cents: int
    amount: str
    paid_cents: int = Field(description="Paid under this line, net of reversed payments")
    paid: str
    remaining_cents: int
    remaining: str


class CommitmentDetail(CommitmentSummary):
    lines: list[CommitmentLineView]
    payments: list[PaymentView]
