from __future__ import annotations

from services.registration.domain import closure_after_follow_ups


def test_an_arrived_case_closes_once_every_person_has_their_follow_up_closed() -> None:
    people = ["p_a", "p_b"]
    assert closure_after_follow_ups("arrived", people, {"p_a": "completed"}) is None
    both = {"p_a": "completed", "p_b": "completed"}
    assert closure_after_follow_ups("arrived", people, both) == "follow_up_completed"
    assert closure_after_follow_ups("monitoring", people, both) == "follow_up_completed"
    mixed = {"p_a": "completed", "p_b": "re_migrated"}
    assert closure_after_follow_ups("monitoring", people, mixed) == "follow_up_closed"


def test_a_case_not_in_follow_up_is_left_as_it_is() -> None:
    closed = {"p_a": "completed"}
    for status in ("closed", "withdrawn", "departed", "eligible"):
        assert closure_after_follow_ups(status, ["p_a"], closed) is None  # type: ignore[arg-type]
    assert closure_after_follow_ups("arrived", [], closed) is None
