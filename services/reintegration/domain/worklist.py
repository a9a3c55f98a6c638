"""The caseworker's working list: what each open follow-up needs, computed from the stored
schedule, the recorded attempts and the clock (never set by hand)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, get_args

from services.reintegration.domain.schedule import SlotState

DueStatus = Literal["plan_missing", "overdue", "due_this_week", "not_reached", "upcoming"]
DUE_STATUSES: tuple[DueStatus, ...] = get_args(DueStatus)
"""In order of urgency: the list is sorted by it, then by date."""


@dataclass(frozen=True)
class WorkRow:
    status: DueStatus
    on: date  # the plan's due date, or the contact's due date
    slot: SlotState | None = None
    plan_overdue: bool = False

    @property
    def rank(self) -> int:
        return DUE_STATUSES.index(self.status)


def work_rows(
    plan_due_on: date,
    drawn_up: bool,
    states: Sequence[SlotState],
    today: date,
    due_soon_days: int,
) -> list[WorkRow]:
    """Every row of one open follow-up: a plan not drawn up, each overdue contact, each
    contact not reached, and the next open contact (due this week when its window is open or
    opens within ``due_soon_days``, else upcoming)."""
    rows: list[WorkRow] = []
    if not drawn_up:
        rows.append(WorkRow("plan_missing", plan_due_on, plan_overdue=today > plan_due_on))
    next_found = False
    for state in states:
        if state.status == "overdue":
            rows.append(WorkRow("overdue", state.slot.due_on, state))
        elif state.status == "not_reached":
            rows.append(WorkRow("not_reached", state.slot.due_on, state))
        elif not state.settled and not next_found:
            next_found = True
            soon = state.slot.opens_on <= today + timedelta(days=due_soon_days)
            status: DueStatus = "due_this_week" if state.status == "due" or soon else "upcoming"
            rows.append(WorkRow(status, state.slot.due_on, state))
    return rows
