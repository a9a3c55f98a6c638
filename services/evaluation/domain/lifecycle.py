"""A case's lifecycle outcome for the tables, from the statuses registration reports."""

from __future__ import annotations

from services.evaluation.domain.facts import LifecycleOutcome


def outcome_after(to_status: str, before: LifecycleOutcome | None) -> LifecycleOutcome | None:
    """``returned`` once the people arrived (and while they are monitored), ``withdrawn``,
    ``ineligible`` at a refused screening; a closed case keeps its outcome; a cancelled case
    (the organisation stopped it) and a case in progress have none and are in no table."""
    if to_status in ("arrived", "monitoring"):
        return "returned"
    if to_status == "withdrawn":
        return "withdrawn"
    if to_status == "ineligible":
        return "ineligible"
    if to_status == "closed":
        return before
    return None
