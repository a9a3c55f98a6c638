"""Funding rules: the per-person cap, the fund balance, disbursements and releases.

Pure functions over integer cents. The store loads the positions (under a lock), calls one
of these, and writes what they return. Beside them: ``money`` (exact parsing, shares,
largest-remainder allocation), ``cases`` (the per-case status machine) and ``errors`` (the
named problems).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from events.funding import RejectionReason
from services.funding.domain.cases import (  # re-exported: the case's status machine
    CASE_STATUSES as CASE_STATUSES,
)
from services.funding.domain.cases import CLOSED as CLOSED
from services.funding.domain.cases import CaseStatus as CaseStatus
from services.funding.domain.cases import CaseStep as CaseStep
from services.funding.domain.cases import case_after as case_after
from services.funding.domain.cases import case_status as case_status
from services.funding.domain.errors import (
    AlreadyReversedError,
    CapExhaustedError,
    CommitmentRejectedError,
    CommitmentReleasedError,
    EntryDateInFutureError,
    EntryDateTooOldError,
    FundBalanceShortError,
    InsufficientFundBalanceError,
    LineOverpaidError,
    MemberOverAttributedError,
    NoSuchLineError,
    OverDisbursementError,
    UnknownCategoryError,
)
from services.funding.domain.money import allocate, format_cents


@dataclass(frozen=True)
class Line:
    category: str
    amount_cents: int


@dataclass(frozen=True)
class Position:
    """What limits a new commitment: the person's cap in this fund and the fund's balance."""

    cap_cents: int
    person_committed_cents: int
    fund_received_cents: int
    fund_committed_cents: int

    @property
    def remaining_cap_cents(self) -> int:
        return remaining_cap_cents(self.cap_cents, self.person_committed_cents)

    @property
    def available_cents(self) -> int:
        return available_cents(self.fund_received_cents, self.fund_committed_cents)


def remaining_cap_cents(cap_cents: int, committed_cents: int) -> int:
    """What a person may still get committed in a fund: the cap less what is committed,
    never below zero."""
    return max(cap_cents - committed_cents, 0)


def available_cents(received_cents: int, committed_cents: int) -> int:
    """A fund's available balance: received less committed, never below zero (what the
    decisions use, and what every read shows)."""
    return max(received_cents - committed_cents, 0)


@dataclass(frozen=True)
class MemberTotals:
    """A member's expected, pledged and received money in a fund (net of reversals)."""

    member: str
    share_percent: str
    expected_cents: int
    pledged_cents: int
    received_cents: int


@dataclass(frozen=True)
class FundTotals:
    """A fund's position: its running totals and each member's contributions."""

    period: str
    currency: str
    cap_cents: int
    target_cents: int
    received_cents: int
    committed_cents: int
    disbursed_cents: int
    members: tuple[MemberTotals, ...]
    pledged_cents: int

    @property
    def available_cents(self) -> int:
        return available_cents(self.received_cents, self.committed_cents)


@dataclass(frozen=True)
class PersonPosition:
    """A person's position in one fund: the cap, what is committed and paid for them."""

    period: str
    currency: str
    cap_cents: int
    committed_cents: int
    disbursed_cents: int

    @property
    def remaining_cents(self) -> int:
        return remaining_cap_cents(self.cap_cents, self.committed_cents)


@dataclass(frozen=True)
class LedgerFilter:
    """The filters and the page of the commitment and payment listings."""

    period: str | None
    office: str | None
    person_ref: str | None
    case_id: uuid.UUID | None
    page: int
    size: int


def rejection_error(decision: Decision, detail: str, **extra: object) -> CommitmentRejectedError:
    """The named problem of a rejected commitment request: the binding limit by ``type``."""
    named: type[CommitmentRejectedError] = {
        "cap_exhausted": CapExhaustedError,
        "insufficient_fund_balance": InsufficientFundBalanceError,
    }.get(decision.reason or "", CommitmentRejectedError)
    return named(detail, **extra)


def check_category(category: str, allowed: Sequence[str]) -> str:
    """A cost category is one of the configured ones."""
    if category not in allowed:
        raise UnknownCategoryError(
            f"unknown cost category '{category}'; use one of: {', '.join(allowed)}"
        )
    return category


@dataclass(frozen=True)
class Decision:
    outcome: Literal["approved", "partially_approved", "rejected"]
    requested_cents: int
    amount_cents: int
    lines: tuple[Line, ...]
    reason: RejectionReason | None
    remaining_cap_cents: int  # after this decision
    available_cents: int  # after this decision

    @property
    def approved(self) -> bool:
        return self.outcome != "rejected"

    @property
    def partial(self) -> bool:
        return self.outcome == "partially_approved"


def decide_commitment(
    lines: Sequence[Line], position: Position, *, allow_partial: bool
) -> Decision:
    """Approve a person's requested lines within the remaining cap and the available balance.

    If either limit is short, reject naming the binding limit (the cap first), or, when the
    request allows it, approve the smaller remaining amount, spread over the lines pro rata.
    """
    requested = sum(line.amount_cents for line in lines)
    if requested <= 0:
        raise ValueError("a commitment needs at least one line above zero")
    remaining, available = position.remaining_cap_cents, position.available_cents
    grantable = min(requested, remaining, available)
    if grantable == requested:
        return Decision(
            "approved",
            requested,
            requested,
            tuple(lines),
            None,
            remaining - requested,
            available - requested,
        )
    reason: RejectionReason = (
        "cap_exhausted" if remaining < requested else "insufficient_fund_balance"
    )
    if allow_partial and grantable > 0:
        parts = allocate(grantable, [line.amount_cents for line in lines])
        granted = tuple(
            Line(line.category, part) for line, part in zip(lines, parts, strict=True) if part
        )
        return Decision(
            "partially_approved",
            requested,
            grantable,
            granted,
            reason,
            remaining - grantable,
            available - grantable,
        )
    return Decision("rejected", requested, 0, (), reason, remaining, available)


def rejection(requested_cents: int, reason: RejectionReason, position: Position | None) -> Decision:
    """A rejection that never reached the limits (unknown fund, currency mismatch...)."""
    remaining = position.remaining_cap_cents if position else 0
    available = position.available_cents if position else 0
    return Decision("rejected", requested_cents, 0, (), reason, remaining, available)


@dataclass(frozen=True)
class CommitmentState:
    amount_cents: int
    disbursed_cents: int
    released_cents: int
    active: bool

    @property
    def unspent_cents(self) -> int:
        return self.amount_cents - self.disbursed_cents - self.released_cents


def check_disbursement(commitment: CommitmentState, amount_cents: int) -> None:
    """A disbursement never exceeds what is committed and not yet paid or released."""
    if not commitment.active:
        raise CommitmentReleasedError(
            "the commitment was released; nothing more can be paid against it"
        )
    if amount_cents > commitment.unspent_cents:
        raise OverDisbursementError(
            f"disbursement of {format_cents(amount_cents)} exceeds the unspent commitment of "
            f"{format_cents(commitment.unspent_cents)}",
            unspent_cents=commitment.unspent_cents,
        )


def check_payment_line(
    category: str, amount_cents: int, committed: Mapping[str, int], paid: Mapping[str, int]
) -> None:
    """A payment belongs to one of the commitment's lines and stays within what that line
    has left: money committed for transport is not paid out as medical care. (No
    re-allocation between lines: a changed need is a new commitment, decided against the cap
    like the first.)"""
    if category not in committed:
        raise NoSuchLineError(
            f"the commitment has no '{category}' line (it has "
            + ", ".join(sorted(committed))
            + "); pay under one of its lines or request a new commitment",
            committed_categories=sorted(committed),
        )
    left = committed[category] - paid.get(category, 0)
    if amount_cents > left:
        raise LineOverpaidError(
            f"a payment of {format_cents(amount_cents)} exceeds what the '{category}' line has "
            f"left ({format_cents(left)} of {format_cents(committed[category])})",
            line_left_cents=left,
        )


def releasable_cents(commitment: CommitmentState) -> int:
    """What a withdrawal or cancellation gives back to the person's cap and the fund."""
    return commitment.unspent_cents if commitment.active else 0


# How far back a receipt, pledge or payment may be dated: older entries are typing errors
# (year 1, 1926 for 2026); none may be dated in the future (one day's grace for time zones).
MAX_ENTRY_AGE_DAYS = 10 * 366


def check_entry_date(on: date, today: date, *, field: str) -> date:
    """The date of a ledger entry (receipt, pledge, payment): not in the future, not more
    than about ten years back."""
    if on > today + timedelta(days=1):
        raise EntryDateInFutureError(
            f"{field} {on.isoformat()} is in the future; give the day it happened",
            errors=[{"field": field, "problem": "is in the future"}],
        )
    if on < today - timedelta(days=MAX_ENTRY_AGE_DAYS):
        raise EntryDateTooOldError(
            f"{field} {on.isoformat()} is more than ten years ago; check the year",
            errors=[{"field": field, "problem": "is more than ten years ago"}],
        )
    return on


# Reversals: a pledge, receipt or payment is never edited. A mistaken one is corrected by a
# compensating entry for its whole amount (a wrong amount is reversed and entered again), once.
EntryKind = Literal["pledge", "receipt", "payment"]


@dataclass(frozen=True)
class Reversed:
    """The reversal already recorded for an entry."""

    reversal_id: str
    reason_code: str
    reversed_on: date


def check_not_reversed(kind: EntryKind, entry_id: object, existing: Reversed | None) -> None:
    """An entry is reversed at most once: a second reversal is a 409 naming the first."""
    if existing is not None:
        raise AlreadyReversedError(
            f"{kind} {entry_id} was already reversed on {existing.reversed_on.isoformat()} "
            f"({existing.reason_code}, reversal {existing.reversal_id}); an entry is reversed "
            "once. To correct it again, record the right entry anew",
            reversal_id=existing.reversal_id,
            reason_code=existing.reason_code,
        )


def check_receipt_reversal(
    amount_cents: int,
    *,
    fund_received_cents: int,
    fund_committed_cents: int,
    member: str,
    member_received_cents: int,
    member_attributed_cents: int,
) -> None:
    """A receipt reversal may not leave the fund's available balance (received - committed)
    below zero, nor the member's received money below what payments already attributed to it
    (no member is ever charged more than it paid in)."""
    available_after = fund_received_cents - amount_cents - fund_committed_cents
    if available_after < 0:
        raise FundBalanceShortError(
            f"reversing this receipt of {format_cents(amount_cents)} would leave the fund's "
            f"available balance at {format_cents(available_after)} (received minus committed): "
            f"{format_cents(-available_after)} short. Release commitments (withdraw or cancel "
            "their cases) or record the missing receipt first, then reverse it",
            shortfall_cents=-available_after,
            available_cents=fund_received_cents - fund_committed_cents,
        )
    left = member_received_cents - amount_cents - member_attributed_cents
    if left < 0:
        raise MemberOverAttributedError(
            f"reversing this receipt would leave {member}'s received money "
            f"{format_cents(-left)} below what payments already attributed to {member} "
            f"({format_cents(member_attributed_cents)}); reverse those payments first, or "
            f"record {member}'s correct receipt before reversing this one",
            shortfall_cents=-left,
            attributed_cents=member_attributed_cents,
        )


@dataclass(frozen=True)
class PaymentReversal:
    """What reversing a payment does to its commitment: ``restored_cents`` go back to the
    commitment's line (payable again); if the commitment was released meanwhile, those cents
    are released at once (``released_cents``) back to the person's cap and the fund."""

    restored_cents: int
    released_cents: int


def reverse_payment(commitment: CommitmentState, amount_cents: int) -> PaymentReversal:
    if amount_cents <= 0 or amount_cents > commitment.disbursed_cents:
        raise ValueError("a payment reversal gives back part of what was paid, never more")
    return PaymentReversal(amount_cents, 0 if commitment.active else amount_cents)


def reverse_attributions(parts: Mapping[str, int]) -> dict[str, int]:
    """A reversed payment takes back from each member exactly what the payment attributed to
    it, so the attributions of a fund still add up to its net disbursements, to the cent."""
    if any(cents < 0 for cents in parts.values()):
        raise ValueError("attributions are never negative")
    return {member: parts[member] for member in sorted(parts) if parts[member]}


def paid_per_line(
    lines: Sequence[tuple[int, str, int]], paid: Mapping[str, int]
) -> list[tuple[int, str, int, int]]:
    """(position, category, amount, paid) per commitment line: a category's net payments fill
    its lines in position order (a payment names a category and stays within what that
    category's lines have left, ``check_payment_line``)."""
    left = dict(paid)
    out = []
    for position, category, amount in lines:
        taken = min(amount, left.get(category, 0))
        left[category] = left.get(category, 0) - taken
        out.append((position, category, amount, taken))
    return out
