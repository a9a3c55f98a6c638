"""The follow-up schedule with a frozen clock: windows, due and overdue, not reached, plans."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.reintegration import PlanStatus
from services.kit.errors import ConflictError, InvalidInputError
from services.reintegration.domain.schedule import (
    Attempt,
    ScheduleRules,
    add_months,
    check_contact_date,
    choose_slot,
    closure_after_schedule,
    plan_due_on,
    plan_status,
    schedule_complete,
    schedule_states,
    slots,
    work_item,
)

RULES = ScheduleRules()
ARRIVED = date(2026, 1, 31)


def test_contacts_fall_3_6_and_12_months_after_arrival_each_with_a_two_week_window() -> None:
    s = slots(ARRIVED, RULES)
    assert [x.due_on for x in s] == [date(2026, 4, 30), date(2026, 7, 31), date(2027, 1, 31)]
    assert s[0].opens_on == date(2026, 4, 16)
    assert s[0].closes_on == date(2026, 5, 14)


def test_a_month_end_arrival_gives_the_last_day_of_shorter_months() -> None:
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 29), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(1, 60))
def test_add_months_lands_in_the_right_month_never_after_the_same_day(day: date, n: int) -> None:
    later = add_months(day, n)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == n
    assert later.day <= day.day


def test_a_contact_is_upcoming_then_due_in_its_window_then_overdue_the_day_after() -> None:
    first = slots(ARRIVED, RULES)[0]
    status = [
        schedule_states(ARRIVED, [], day, RULES)[0].status
        for day in (
            first.opens_on - timedelta(days=1),
            first.opens_on,
            first.closes_on,
            first.closes_on + timedelta(days=1),
        )
    ]
    assert status == ["upcoming", "due", "due", "overdue"]
    assert schedule_states(ARRIVED, [], first.closes_on, RULES)[0].overdue_since() == date(
        2026, 5, 15
    )


def test_three_failed_attempts_make_a_contact_not_reached_and_not_overdue_for_ever() -> None:
    late = date(2027, 6, 1)
    tries = [Attempt(1, date(2026, 4, 20 + i), "not_reached") for i in range(2)]
    assert schedule_states(ARRIVED, tries, late, RULES)[0].status == "overdue"
    assert schedule_states(ARRIVED, tries, late, RULES)[0].failed_attempts == 2
    third = [*tries, Attempt(1, date(2026, 4, 25), "not_reached")]
    state = schedule_states(ARRIVED, third, late, RULES)[0]
    assert (state.status, state.settled_on, state.settled) == (
        "not_reached",
        date(2026, 4, 25),
        True,
    )


def test_reached_after_failed_attempts_is_done_and_no_consent_settles_without_a_survey() -> None:
    tries = [Attempt(1, date(2026, 4, 20), "not_reached"), Attempt(1, date(2026, 4, 22), "reached")]
    done = schedule_states(ARRIVED, tries, date(2026, 4, 23), RULES)[0]
    assert (done.status, done.failed_attempts, done.settled_on) == ("done", 1, date(2026, 4, 22))
    refused = schedule_states(
        ARRIVED, [Attempt(2, date(2026, 7, 30), "no_consent")], date(2026, 8, 1), RULES
    )
    assert refused[1].status == "no_consent"


def test_attempts_count_for_their_own_slot_only() -> None:
    tries = [Attempt(1, date(2026, 4, 20), "reached"), Attempt(2, date(2026, 7, 20), "not_reached")]
    states = schedule_states(ARRIVED, tries, date(2026, 7, 21), RULES)
    assert [s.status for s in states] == ["done", "due", "upcoming"]
    assert states[1].failed_attempts == 1


def test_timeliness_of_a_contact_against_its_window() -> None:
    first = slots(ARRIVED, RULES)[0]
    assert first.timeliness(first.opens_on - timedelta(days=1)) == "early"
    assert first.timeliness(first.due_on) == "on_time"
    assert first.timeliness(first.closes_on + timedelta(days=1)) == "late"


def test_a_plan_is_due_for_30_days_after_arrival_then_overdue() -> None:
    assert plan_due_on(ARRIVED, RULES) == date(2026, 3, 2)
    assert plan_status(ARRIVED, None, date(2026, 3, 2), RULES) == "due"
    assert plan_status(ARRIVED, None, date(2026, 3, 3), RULES) == "overdue"
    assert plan_status(ARRIVED, date(2026, 3, 10), date(2026, 3, 11), RULES) == "drawn_up"


def test_a_new_attempt_goes_to_the_first_open_slot_or_the_one_asked_for() -> None:
    tries = [Attempt(1, date(2026, 4, 20), "reached")]
    states = schedule_states(ARRIVED, tries, date(2026, 7, 25), RULES)
    assert choose_slot(states, None).slot.number == 2
    assert choose_slot(states, 3).slot.number == 3


def test_an_attempt_for_a_settled_or_missing_slot_is_refused_naming_it() -> None:
    tries = [Attempt(1, date(2026, 4, 20), "reached")]
    states = schedule_states(ARRIVED, tries, date(2026, 7, 25), RULES)
    with pytest.raises(ConflictError, match="contact 1 .*already done since 2026-04-20"):
        choose_slot(states, 1)
    with pytest.raises(InvalidInputError, match="slot 4 does not exist") as e:
        choose_slot(states, 4)
    assert e.value.extra["errors"][0]["field"] == "slot"


def test_once_every_contact_is_settled_nothing_more_can_be_recorded_and_the_follow_up_closes() -> (
    None
):
    tries = [
        Attempt(1, date(2026, 4, 20), "reached"),
        Attempt(2, date(2026, 7, 20), "reached"),
        *[Attempt(3, date(2027, 1, 20 + i), "not_reached") for i in range(3)],
    ]
    states = schedule_states(ARRIVED, tries, date(2027, 2, 1), RULES)
    assert schedule_complete(states)
    assert closure_after_schedule(states) == "lost_contact"
    with pytest.raises(ConflictError, match="every contact .* is settled"):
        choose_slot(states, None)
    reached = [*tries[:2], Attempt(3, date(2027, 1, 30), "reached")]
    assert closure_after_schedule(schedule_states(ARRIVED, reached, date(2027, 2, 1), RULES)) == (
        "completed"
    )


def test_contact_dates_in_the_future_or_before_arrival_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="in the future"):
        check_contact_date(date(2026, 5, 2), ARRIVED, today=date(2026, 5, 1))
    with pytest.raises(InvalidInputError, match="before the person arrived"):
        check_contact_date(date(2026, 1, 30), ARRIVED, today=date(2026, 5, 1))
    check_contact_date(ARRIVED, ARRIVED, today=ARRIVED)


def _next(plan: PlanStatus, attempts: list[Attempt], today: date) -> str | None:
    item = work_item(plan, schedule_states(ARRIVED, attempts, today, RULES), today, RULES)
    return None if item is None else item[0]


def test_the_working_list_puts_a_missing_plan_first_then_the_first_open_contact() -> None:
    today = date(2026, 4, 10)  # the first window opens on 16 April
    assert _next("overdue", [], today) == "plan_overdue"
    assert _next("due", [], today) == "plan_due"
    assert _next("drawn_up", [], today) == "due_soon"
    assert _next("drawn_up", [], date(2026, 3, 1)) == "upcoming"
    assert _next("drawn_up", [], date(2026, 4, 20)) == "due"
    assert _next("drawn_up", [], date(2026, 6, 1)) == "overdue"
    done = [
        Attempt(n, d, "reached")
        for n, d in ((1, date(2026, 4, 20)), (2, date(2026, 7, 20)), (3, date(2027, 1, 20)))
    ]
    assert _next("drawn_up", done, date(2027, 2, 1)) is None


@pytest.mark.parametrize(
    ("offsets", "window"), [((), 14), ((6, 3), 14), ((3, 3), 14), ((0, 3), 14), ((3, 4), 14)]
)
def test_schedule_settings_that_make_no_sense_are_refused_at_start(
    offsets: tuple[int, ...], window: int
) -> None:
    with pytest.raises(ValueError, match="offsets|overlap"):
        ScheduleRules(contact_offsets_months=offsets, window_days=window)


def test_a_contact_in_a_later_window_is_for_that_slot_even_if_an_earlier_one_was_missed():
    rules = ScheduleRules()
    arrived = date(2026, 1, 15)
    states = schedule_states(arrived, [], date(2026, 7, 15), rules)
    assert states[0].status == "overdue"
    assert choose_slot(states, None, date(2026, 7, 15)).slot.number == 2
    assert choose_slot(states, None, date(2026, 6, 1)).slot.number == 1
    assert choose_slot(states, None).slot.number == 1
