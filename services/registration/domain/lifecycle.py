"""The lifecycle of a return case: its statuses, the legal moves, and what a transition
request may ask."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import get_args

from events.registration import CaseStatus
from services.kit.errors import InvalidInputError
from services.registration.domain.errors import IllegalTransitionError

STATUSES: tuple[CaseStatus, ...] = get_args(CaseStatus)

BEFORE_DEPARTURE: tuple[CaseStatus, ...] = (
    "requested",
    "registered",
    "eligible",
    "funding_approved",
    "documents_ready",
)
"""Open states before travel: the migrant may withdraw (return is voluntary) and the agency
may cancel (duplicate request, fund closed, person unreachable...). After departure a case can
only run its course to ``closed``. ``ineligible``, ``closed``, ``withdrawn`` and ``cancelled``
are final."""

_FORWARD: dict[CaseStatus, tuple[CaseStatus, ...]] = {
    "requested": ("registered",),
    "registered": ("eligible", "ineligible"),
    "eligible": ("funding_approved",),
    "funding_approved": ("documents_ready",),
    "documents_ready": ("departed",),
    "departed": ("arrived",),
    "arrived": ("monitoring", "closed"),
    "monitoring": ("closed",),
}

TRANSITIONS: dict[CaseStatus, tuple[CaseStatus, ...]] = {
    status: _FORWARD.get(status, ())
    + (("withdrawn", "cancelled") if status in BEFORE_DEPARTURE else ())
    for status in STATUSES
}
"""Every legal move: current status -> the statuses it may go to next."""

FINAL: frozenset[CaseStatus] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)

OPEN_STATUSES: tuple[CaseStatus, ...] = tuple(s for s in STATUSES if s not in FINAL)
"""A person in a case in one of these is in an open case and cannot be registered again."""


def is_open(status: CaseStatus) -> bool:
    return status not in FINAL


REASON_REQUIRED: frozenset[CaseStatus] = frozenset(
    {"eligible", "ineligible", "withdrawn", "cancelled"}
)
"""Screening decisions and exits need a reason code from the caseworker."""


def allowed_next(current: CaseStatus) -> tuple[CaseStatus, ...]:
    return TRANSITIONS[current]


def check_transition(current: CaseStatus, to: CaseStatus) -> None:
    """Refuse an illegal move, naming the current status and the legal next ones."""
    allowed = TRANSITIONS[current]
    if to in allowed:
        return
    if allowed:
        hint = "allowed next: " + ", ".join(allowed)
    else:
        hint = f"'{current}' is final; no further transitions are possible"
    raise IllegalTransitionError(
        f"cannot move a case from '{current}' to '{to}'; {hint}",
        current_status=current,
        allowed_next=list(allowed),
    )


SCREENING: tuple[CaseStatus, ...] = ("eligible", "ineligible")
FROM_EVENTS_ONLY: tuple[CaseStatus, ...] = ("funding_approved", "registered")
"""Statuses set by the system, never by a request: ``funding_approved`` follows the funding
service's decision, ``registered`` the registration itself."""


def awaits_funding(status: CaseStatus) -> bool:
    """Whether an approved funding decision moves a case in ``status`` to
    ``funding_approved`` (a case no longer eligible keeps its status)."""
    return status == "eligible"


def check_transition_request(
    to: CaseStatus, reason_code: str | None, exception_reason: str | None
) -> None:
    """What a transition request may ask: not a status the system sets, an eligibility
    exception only with a screening decision, a reason code where one is needed."""
    if to in FROM_EVENTS_ONLY:
        raise InvalidInputError(
            f"'{to}' is set by the system ('funding_approved' follows the funding "
            "service's decision; 'registered' by POST /api/cases), not by a request",
            errors=[{"field": "to", "problem": "cannot be requested"}],
        )
    if exception_reason and to not in SCREENING:
        raise InvalidInputError(
            "eligibility_exception_reason is recorded only with a screening decision "
            "('eligible' or 'ineligible')",
            errors=[{"field": "eligibility_exception_reason", "problem": "only with a screening"}],
        )
    check_reason(to, reason_code)


def check_reason(to: CaseStatus, reason_code: str | None) -> None:
    if to in REASON_REQUIRED and not reason_code:
        raise InvalidInputError(
            f"moving a case to '{to}' needs a reason_code (e.g. 'meets_criteria', "
            "'changed_mind', 'duplicate_request')",
            errors=[{"field": "reason_code", "problem": f"required for '{to}'"}],
        )


FOLLOWED_UP: tuple[CaseStatus, ...] = ("arrived", "monitoring")
"""A case whose people are being followed up after their return."""


def closure_after_follow_ups(
    status: CaseStatus, people: Iterable[str], closed: Mapping[str, str]
) -> str | None:
    """The reason code to close the case with once every person's follow-up has closed
    (reintegration's ``case_closed``), or None while one is still followed up or the case is
    not in follow-up. One reason for all (``follow_up_completed``, ``follow_up_re_migrated``...)
    is kept; mixed reasons close with ``follow_up_closed``."""
    if status not in FOLLOWED_UP:
        return None
    refs = set(people)
    if not refs or not refs <= closed.keys():
        return None
    reasons = {closed[ref] for ref in refs}
    return f"follow_up_{reasons.pop()}" if len(reasons) == 1 else "follow_up_closed"
