"""What a caseworker reads about a funding decision."""

from __future__ import annotations

from decimal import Decimal


def _amount(cents: int, currency: str | None) -> str:
    return f"{Decimal(cents).scaleb(-2)} {currency or ''}".rstrip()


def funding_explanation(
    *,
    approved: bool,
    reason: str | None,
    partial: bool,
    requested_cents: int,
    committed_cents: int,
    remaining_cap_cents: int,
    available_cents: int | None,
    currency: str | None,
) -> str:
    """One sentence for the caseworker: what was decided about the person, and why."""
    asked = _amount(requested_cents, currency)
    if approved:
        got = _amount(committed_cents, currency)
        left = _amount(remaining_cap_cents, currency)
        if partial:
            return f"approved in part: {got} of {asked} (the person's cap allowed no more)"
        return f"approved: {got} committed; {left} of the person's cap remains"
    if reason == "cap_exhausted":
        left = _amount(remaining_cap_cents, currency)
        return f"refused: {asked} asked, but the person's cap has only {left} left"
    if reason == "insufficient_fund_balance":
        have = _amount(available_cents or 0, currency)
        return f"refused: {asked} asked, but the fund has only {have} available"
    if reason == "unknown_fund":
        return "refused: funding knows no fund for the case's period"
    if reason == "currency_mismatch":
        return f"refused: the cost lines are not in the fund's currency ({currency or '?'})"
    if reason == "case_not_eligible":
        return "refused: the case was not eligible when funding decided"
    return f"refused: {reason}"
