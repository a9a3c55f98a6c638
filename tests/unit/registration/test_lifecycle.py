"""The case lifecycle: every legal transition and every refusal."""

from __future__ import annotations

import pytest

from events.registration import TRANSITION_EVENTS
from services.kit.errors import ConflictError, InvalidInputError
from services.registration import domain

LEGAL = {
    ("requested", "registered"),
    ("registered", "eligible"),
    ("registered", "ineligible"),
    ("eligible", "funding_approved"),
    ("funding_approved", "documents_ready"),
    ("documents_ready", "departed"),
    ("departed", "arrived"),
    ("arrived", "monitoring"),
    ("arrived", "closed"),
    ("monitoring", "closed"),
} | {
    (s, exit_)
    for s in ("requested", "registered", "eligible", "funding_approved", "documents_ready")
    for exit_ in ("withdrawn", "cancelled")
}
ALL_PAIRS = [(a, b) for a in domain.STATUSES for b in domain.STATUSES]


@pytest.mark.parametrize(("current", "to"), sorted(LEGAL))
def test_accepts_legal_transition(current: str, to: str) -> None:
    domain.check_transition(current, to)  # type: ignore[arg-type]


@pytest.mark.parametrize(("current", "to"), sorted(set(ALL_PAIRS) - LEGAL))
def test_refuses_illegal_transition_naming_current_and_allowed(current: str, to: str) -> None:
    with pytest.raises(ConflictError) as refused:
        domain.check_transition(current, to)  # type: ignore[arg-type]

    assert f"'{current}'" in refused.value.detail
    assert refused.value.extra["current_status"] == current
    assert refused.value.extra["allowed_next"] == list(domain.allowed_next(current))  # type: ignore[arg-type]
    for allowed in domain.allowed_next(current):  # type: ignore[arg-type]
        assert allowed in refused.value.detail


def test_final_states_say_they_are_final() -> None:
    for status in ("ineligible", "closed", "withdrawn", "cancelled"):
        with pytest.raises(ConflictError, match="final"):
            domain.check_transition(status, "registered")  # type: ignore[arg-type]


def test_withdrawal_is_refused_once_departed() -> None:
    for status in ("departed", "arrived", "monitoring", "closed"):
        with pytest.raises(ConflictError):
            domain.check_transition(status, "withdrawn")  # type: ignore[arg-type]


def test_every_target_status_has_its_event() -> None:
    targets = {to for _, to in LEGAL} - {"registered"}

    assert targets <= set(TRANSITION_EVENTS)


@pytest.mark.parametrize("to", ["eligible", "ineligible", "withdrawn", "cancelled"])
def test_decisions_and_exits_need_a_reason_code(to: str) -> None:
    with pytest.raises(InvalidInputError, match="reason_code"):
        domain.check_reason(to, None)  # type: ignore[arg-type]

    domain.check_reason(to, "some_reason")  # type: ignore[arg-type]


def test_progress_needs_no_reason_code() -> None:
    domain.check_reason("documents_ready", None)
