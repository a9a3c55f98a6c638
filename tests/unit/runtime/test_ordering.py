"""The order guard: later events of a case wait while an earlier one is being retried."""

from __future__ import annotations

import uuid

from events.envelope import Actor, Envelope, Payload, new_envelope
from services.runtime.ordering import GRACE_SECONDS, OrderGuard, ordering_key


class Step(Payload):
    service = "sender"
    event = "step"

    case_id: str
    n: int


def step(case: str, n: int) -> Envelope:
    return new_envelope(Step(case_id=case, n=n), actor=Actor.service("sender"))


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_events_of_other_cases_flow_while_a_case_waits_for_its_retried_event():
    clock = FakeClock()
    guard = OrderGuard(clock)
    x1, x2, y1 = step("X", 1), step("X", 2), step("Y", 1)
    guard.retrying(x1, delay=2.0)

    ready, held = guard.split([x2, y1])

    assert ready == [1]
    assert held == {0: 2.1}  # after x1 comes back


def test_the_retried_event_and_its_followers_in_one_batch_go_together_in_order():
    guard = OrderGuard(FakeClock())
    x1, x2 = step("X", 1), step("X", 2)
    guard.retrying(x1, delay=0.5)

    assert guard.split([x1, x2]) == ([0, 1], {})


def test_a_settled_event_releases_its_case():
    guard = OrderGuard(FakeClock())
    x1, x2 = step("X", 1), step("X", 2)
    guard.retrying(x1, delay=0.5)
    guard.settled(x1)

    assert guard.split([x2]) == ([0], {})


def test_a_case_is_released_if_its_retried_event_never_returns():
    clock = FakeClock()
    guard = OrderGuard(clock)
    x1, x2 = step("X", 1), step("X", 2)
    guard.retrying(x1, delay=1.0)
    clock.now += 1.0 + GRACE_SECONDS + 0.1

    assert guard.split([x2]) == ([0], {})


def test_the_ordering_key_is_the_case_then_the_person_then_the_fund_period():
    e = step("X", 1)

    assert ordering_key(e) == "case_id:X"
    assert ordering_key(e.model_copy(update={"payload": {"person_ref": "p_1"}})) == "person_ref:p_1"
    assert ordering_key(e.model_copy(update={"payload": {"period": "2026"}})) == "period:2026"
    assert ordering_key(e.model_copy(update={"payload": {"x": uuid.uuid4().hex}})) is None
