"""The per-case status machine of the funding service (its own view of a case).

A case is learned at registration (``registered``); its screening decides it (``ineligible``,
or ``funded`` / ``unfunded`` by the outcome of its people's commitments); a caseworker's
approved request funds an unfunded case; a withdrawal or cancellation closes it.
"""

from __future__ import annotations

from typing import Literal, get_args

CaseStatus = Literal["registered", "ineligible", "funded", "unfunded", "withdrawn", "cancelled"]
CaseStep = Literal[
    "corrected",  # registration corrected the case (period, destination, lines)
    "screened_ineligible",
    "screened_funded",  # screened eligible, at least one person's commitment approved
    "screened_unfunded",  # screened eligible, every person's commitment rejected
    "requested",  # a caseworker requests a commitment for a person of the case
    "request_approved",  # that request was approved
    "withdrawn",
    "cancelled",
]
CASE_STATUSES: tuple[CaseStatus, ...] = get_args(CaseStatus)
CLOSED: frozenset[CaseStatus] = frozenset({"withdrawn", "cancelled"})
LEARNED: CaseStatus = "registered"  # the status of a case funding has just learned of

_TRANSITIONS: dict[tuple[CaseStatus, CaseStep], CaseStatus] = {
    ("registered", "corrected"): "registered",
    ("registered", "screened_ineligible"): "ineligible",
    ("registered", "screened_funded"): "funded",
    ("registered", "screened_unfunded"): "unfunded",
    ("funded", "requested"): "funded",
    ("unfunded", "requested"): "unfunded",
    ("unfunded", "request_approved"): "funded",
    **{(s, "withdrawn"): "withdrawn" for s in CASE_STATUSES if s not in CLOSED},
    **{(s, "cancelled"): "cancelled" for s in CASE_STATUSES if s not in CLOSED},
}


def case_after(status: CaseStatus, step: CaseStep) -> CaseStatus | None:
    """The case's status after ``step``, or None when the step does not apply in ``status``:
    a correction or screening of a case already decided, a request on a case not eligible, an
    approval of an already funded case, a closing of a closed case."""
    return _TRANSITIONS.get((status, step))


def case_status(text: str) -> CaseStatus:
    """A stored status as the Literal (a wrong one is a bug, not a user's mistake)."""
    for status in CASE_STATUSES:
        if status == text:
            return status
    raise ValueError(f"unknown funding case status {text!r}")
