"""The working list of one follow-up, with a frozen day."""

from __future__ import annotations

from datetime import date

from services.reintegration.domain.schedule import Attempt, ScheduleRules, schedule_states
from services.reintegration.domain.worklist import work_rows

RULES = ScheduleRules()
ARRIVED = date(2026, 1, 15)
PLAN_DUE = date(2026, 2, 14)


def rows(today: date, attempts: list[Attempt] | None = None, drawn_up: bool = True):
    states = schedule_states(ARRIVED, attempts or [], today, RULES)
    return [
        (r.status, r.slot.slot.number if r.slot else None, r.plan_overdue)
        for r in work_rows(PLAN_DUE, drawn_up, states, today, RULES.due_soon_days)
    ]


def test_a_plan_not_drawn_up_is_listed_first_and_overdue_after_its_due_day():
    assert rows(date(2026, 2, 14), drawn_up=False)[0] == ("plan_missing", None, False)
    assert rows(date(2026, 2, 15), drawn_up=False)[0] == ("plan_missing", None, True)
    assert rows(date(2026, 2, 15))[0] == ("upcoming", 1, False)


def test_the_next_contact_is_due_this_week_from_a_week_before_its_window_opens():
    assert rows(date(2026, 3, 24)) == [("upcoming", 1, False)]
    assert rows(date(2026, 3, 25)) == [("due_this_week", 1, False)]
    assert rows(date(2026, 4, 29)) == [("due_this_week", 1, False)]


def test_every_overdue_contact_is_listed_and_then_the_next_open_one():
    assert rows(date(2026, 7, 30)) == [
        ("overdue", 1, False),
        ("overdue", 2, False),
        ("upcoming", 3, False),
    ]


def test_a_contact_not_reached_stays_listed_and_the_next_one_follows():
    failed = [Attempt(1, date(2026, 4, d), "not_reached") for d in (14, 16, 18)]
    assert rows(date(2026, 4, 20), failed) == [("not_reached", 1, False), ("upcoming", 2, False)]


def test_a_settled_schedule_lists_nothing():
    done = [
        Attempt(n, d, "reached")
        for n, d in ((1, date(2026, 4, 15)), (2, date(2026, 7, 15)), (3, date(2027, 1, 15)))
    ]
    assert rows(date(2027, 2, 1), done) == []
