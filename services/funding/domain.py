"""Funding rules: the per-person cap, the fund balance, disbursements and releases.

Pure functions over integer cents. The store loads the positions (under a lock), calls one
of these, and writes what they return.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from events.funding import RejectionReason
from services.funding.money import allocate, format_cents
from services.kit.errors import ConflictError, InvalidInputError


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
        return max(self.cap_cents - self.person_committed_cents, 0)

    @property
    def available_cents(self) -> int:
        return max(self.fund_received_cents - self.fund_committed_cents, 0)


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
        raise ConflictError("the commitment was released; nothing more can be paid against it")
    if amount_cents > commitment.unspent_cents:
        raise ConflictError(
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
        raise ConflictError(
            f"the commitment has no '{category}' line (it has "
            + ", ".join(sorted(committed))
            + "); pay under one of its lines or request a new commitment",
            committed_categories=sorted(committed),
        )
    left = committed[category] - paid.get(category, 0)
    if amount_cents > left:
        raise ConflictError(
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
        raise InvalidInputError(
            f"{field} {on.isoformat()} is in the future; give the day it happened",
            errors=[{"field": field, "problem": "is in the future"}],
        )
    if on < today - timedelta(days=MAX_ENTRY_AGE_DAYS):
        raise InvalidInputError(
            f"{field} {on.isoformat()} is more than ten years ago; check the year",
            errors=[{"field": field, "problem": "is more than ten years ago"}],
        )
    return on
