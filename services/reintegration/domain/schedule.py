"""The follow-up schedule after a return: the plan due date and the monitoring contacts, each
with a window, and what each is on a given day (upcoming, due, overdue, done, not reached).

Pure: computed from the arrival date, what was recorded and the clock, never set by hand.
Defaults from the managing agency's reintegration handbook (IOM 2019, module 2.3: a plan
"preferably developed or refined within one month" of return) and common practice (contacts
at 3, 6 and 12 months, three failed attempts make a contact "not reached").
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from events.reintegration import ContactOutcome, PlanStatus, SlotStatus
from services.reintegration.domain.errors import (
    ContactBeforeArrivalError,
    ContactDateInFutureError,
    ScheduleCompleteError,
    SlotAlreadySettledError,
    UnknownSlotError,
)

SETTLED: frozenset[SlotStatus] = frozenset({"done", "not_reached", "no_consent"})
"""A settled contact needs no more attempts: its slot is over, whatever the date."""

Timeliness = Literal["early", "on_time", "late"]


@dataclass(frozen=True)
class ScheduleRules:
    plan_due_days: int = 30
    contact_offsets_months: tuple[int, ...] = (3, 6, 12)
    window_days: int = 14
    max_attempts: int = 3
    due_soon_days: int = 7

    def __post_init__(self) -> None:
        offsets = self.contact_offsets_months
        if not offsets or any(m <= 0 for m in offsets) or list(offsets) != sorted(set(offsets)):
            raise ValueError(
                "contact offsets must be positive numbers of months in increasing order, "
                f"e.g. 3,6,12 (got {offsets})"
            )
        if self.plan_due_days < 1 or self.window_days < 0 or self.max_attempts < 1:
            raise ValueError(
                "plan_due_days and max_attempts must be at least 1 and window_days at least 0"
            )
        # Windows of consecutive contacts must not overlap, so a date belongs to one slot.
        shortest_gap_days = min((b - a) * 28 for a, b in zip((0, *offsets), offsets, strict=False))
        if 2 * self.window_days >= shortest_gap_days:
            raise ValueError(
                f"a window of +-{self.window_days} days makes the windows of contacts "
                f"{offsets} months after arrival overlap; use a smaller window"
            )


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the month's last day when it is shorter (31 Jan + 1 =
    28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Slot:
    """One scheduled contact: due ``offset_months`` after arrival, within its window."""

    number: int  # 1, 2, 3 ... in schedule order
    offset_months: int
    due_on: date
    opens_on: date
    closes_on: date

    def timeliness(self, on: date) -> Timeliness:
        if on < self.opens_on:
            return "early"
        return "on_time" if on <= self.closes_on else "late"


def slots(arrived_on: date, rules: ScheduleRules) -> tuple[Slot, ...]:
    window = timedelta(days=rules.window_days)
    result = []
    for number, months in enumerate(rules.contact_offsets_months, start=1):
        due = add_months(arrived_on, months)
        result.append(Slot(number, months, due, due - window, due + window))
    return tuple(result)


def plan_due_on(arrived_on: date, rules: ScheduleRules) -> date:
    return arrived_on + timedelta(days=rules.plan_due_days)


def plan_status(
    arrived_on: date, drawn_up_on: date | None, today: date, rules: ScheduleRules
) -> PlanStatus:
    """A plan is due from arrival and overdue the day after its due date."""
    if drawn_up_on is not None:
        return "drawn_up"
    return "overdue" if today > plan_due_on(arrived_on, rules) else "due"


@dataclass(frozen=True)
class Attempt:
    """One recorded contact attempt for a slot."""

    slot: int
    on: date
    outcome: ContactOutcome


@dataclass(frozen=True)
class SlotState:
    slot: Slot
    status: SlotStatus
    failed_attempts: int
    settled_on: date | None

    @property
    def settled(self) -> bool:
        return self.status in SETTLED

    def overdue_since(self) -> date:
        """The first day this contact counts as overdue if nothing settles it."""
        return self.slot.closes_on + timedelta(days=1)


def slot_state(
    slot: Slot, attempts: Iterable[Attempt], today: date, rules: ScheduleRules
) -> SlotState:
    """What a contact is on ``today``, given its attempts (in the order they were recorded).

    Reached, or recorded as "no consent", settles it; ``max_attempts`` failed attempts make it
    "not reached" (settled too: not overdue for ever). Otherwise the date decides."""
    failed = 0
    for attempt in sorted((a for a in attempts if a.slot == slot.number), key=lambda a: a.on):
        if attempt.outcome == "reached":
            return SlotState(slot, "done", failed, attempt.on)
        if attempt.outcome == "no_consent":
            return SlotState(slot, "no_consent", failed, attempt.on)
        failed += 1
        if failed >= rules.max_attempts:
            return SlotState(slot, "not_reached", failed, attempt.on)
    if today < slot.opens_on:
        status: SlotStatus = "upcoming"
    elif today <= slot.closes_on:
        status = "due"
    else:
        status = "overdue"
    return SlotState(slot, status, failed, None)


def schedule_states(
    arrived_on: date, attempts: Sequence[Attempt], today: date, rules: ScheduleRules
) -> tuple[SlotState, ...]:
    return tuple(slot_state(s, attempts, today, rules) for s in slots(arrived_on, rules))


def choose_slot(
    states: Sequence[SlotState], requested: int | None, on: date | None = None
) -> SlotState:
    """The slot a new contact attempt is for: the one asked for; else the open one whose
    window holds the contact's day ``on`` (a 6-month contact is for the 6-month slot even if
    the 3-month one was missed); else the first open one."""
    if requested is not None:
        if not 1 <= requested <= len(states):
            raise UnknownSlotError(
                f"contact slot {requested} does not exist: the schedule has contacts 1 to "
                f"{len(states)}",
                errors=[{"field": "slot", "problem": f"must be between 1 and {len(states)}"}],
            )
        state = states[requested - 1]
        if state.settled:
            raise SlotAlreadySettledError(
                f"contact {requested} ({state.slot.offset_months} months after arrival) is "
                f"already {state.status.replace('_', ' ')} since {state.settled_on}; record "
                "the attempt for a later contact",
                slot=requested,
                slot_status=state.status,
            )
        return state
    if on is not None:
        for state in states:
            if not state.settled and state.slot.opens_on <= on <= state.slot.closes_on:
                return state
    for state in states:
        if not state.settled:
            return state
    raise ScheduleCompleteError(
        "every contact of this person's schedule is settled; close the follow-up instead"
    )


def check_contact_date(on: date, arrived_on: date, today: date) -> None:
    if on > today:
        raise ContactDateInFutureError(
            f"the contact date {on.isoformat()} is in the future; give the day it happened",
            errors=[{"field": "on", "problem": "is in the future"}],
        )
    if on < arrived_on:
        raise ContactBeforeArrivalError(
            f"the contact date {on.isoformat()} is before the person arrived "
            f"({arrived_on.isoformat()}); check the date",
            errors=[{"field": "on", "problem": "is before the arrival"}],
        )


def schedule_complete(states: Sequence[SlotState]) -> bool:
    """Every scheduled contact is settled: the follow-up has run its course."""
    return all(s.settled for s in states)


def closure_after_schedule(states: Sequence[SlotState]) -> Literal["completed", "lost_contact"]:
    """Why a follow-up whose schedule is complete closes: the last contact decides."""
    return "lost_contact" if states[-1].status == "not_reached" else "completed"


WorkItem = Literal["plan_overdue", "plan_due", "overdue", "due", "due_soon", "upcoming"]


def work_item(
    plan: PlanStatus, states: Sequence[SlotState], today: date, rules: ScheduleRules
) -> tuple[WorkItem, SlotState | None] | None:
    """The most pressing thing to do for one person, for the caseworker's working list:
    a missing plan first, then the first unsettled contact (overdue, due, due soon, or
    upcoming). None when nothing is left to do."""
    if plan == "overdue":
        return "plan_overdue", None
    if plan == "due":
        return "plan_due", None
    for state in states:
        if state.settled:
            continue
        if state.status == "upcoming":
            soon = state.slot.opens_on <= today + timedelta(days=rules.due_soon_days)
            return ("due_soon" if soon else "upcoming"), state
        return ("overdue" if state.status == "overdue" else "due"), state
    return None
