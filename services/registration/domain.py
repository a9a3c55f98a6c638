"""Rules of a return case: its lifecycle, eligibility screening and ages.

Pure: standard library, pydantic-free values, ``events`` and ``services.kit.errors`` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

from events.registration import CaseStatus, PersonFacts
from events.types import AgeBand, Sex
from services.kit.errors import ConflictError, InvalidInputError

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
    raise ConflictError(
        f"cannot move a case from '{current}' to '{to}'; {hint}",
        current_status=current,
        allowed_next=list(allowed),
    )


def check_reason(to: CaseStatus, reason_code: str | None) -> None:
    if to in REASON_REQUIRED and not reason_code:
        raise InvalidInputError(
            f"moving a case to '{to}' needs a reason_code (e.g. 'meets_criteria', "
            "'changed_mind', 'duplicate_request')",
            errors=[{"field": "reason_code", "problem": f"required for '{to}'"}],
        )


# --- ages -------------------------------------------------------------------------------

_BANDS: tuple[tuple[int, AgeBand], ...] = ((4, "0-4"), (11, "5-11"), (17, "12-17"), (59, "18-59"))


# The oldest age a registration accepts: an earlier date of birth is a typing error.
MAX_AGE_YEARS = 120


def completed_years(date_of_birth: date, on: date) -> int:
    """Whole years from ``date_of_birth`` to ``on`` (negative if born after it)."""
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - int(before_birthday)


def age_on(date_of_birth: date, on: date) -> int:
    """Whole years completed on ``on``; a person born on 29 February ages on 1 March."""
    if date_of_birth > on:
        raise InvalidInputError(
            f"date of birth {date_of_birth.isoformat()} is after {on.isoformat()}",
            errors=[{"field": "date_of_birth", "problem": "is in the future"}],
        )
    age = completed_years(date_of_birth, on)
    if age > MAX_AGE_YEARS:
        raise InvalidInputError(
            f"date of birth {date_of_birth.isoformat()} is more than {MAX_AGE_YEARS} years "
            f"before {on.isoformat()}; check the year",
            errors=[{"field": "date_of_birth", "problem": f"is over {MAX_AGE_YEARS} years ago"}],
        )
    return age


def age_band(age_years: int) -> AgeBand:
    for upper, band in _BANDS:
        if age_years <= upper:
            return band
    return "60+"


# --- eligibility ------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonForScreening:
    age_years: int
    nationality: str
    vulnerability_categories: Sequence[str]


NO_CATEGORY = "no_vulnerability_category"
UNKNOWN_CATEGORY = "unknown_vulnerability_category"
MINOR_NOT_UNDER_18 = "unaccompanied_minor_not_under_18"
ELDERLY_NOT_OVER_70 = "elderly_over_70_not_over_70"
SAME_COUNTRIES = "departure_equals_destination"
NOT_NATIONALITY = "destination_not_nationality"


def failed_checks(
    people: Iterable[PersonForScreening],
    *,
    departure: str,
    destination: str,
    categories: Iterable[str],
    nationality_exception: bool = False,
) -> list[str]:
    """The automatic eligibility checks a case fails (empty: it may be declared eligible).

    Every person needs at least one vulnerability category from the configured list;
    ``unaccompanied_minor`` needs age < 18 and ``elderly_over_70`` age > 70 (whole years at
    registration); the case must leave one country for another; and each person returns to
    their own nationality unless a recorded exception covers it.
    """
    known = set(categories)
    failed: list[str] = []
    for person in people:
        cats = set(person.vulnerability_categories)
        if not cats & known:
            failed.append(NO_CATEGORY)
        if cats - known:
            failed.append(UNKNOWN_CATEGORY)
        if "unaccompanied_minor" in cats and person.age_years >= 18:
            failed.append(MINOR_NOT_UNDER_18)
        if "elderly_over_70" in cats and person.age_years <= 70:
            failed.append(ELDERLY_NOT_OVER_70)
        if person.nationality != destination and not nationality_exception:
            failed.append(NOT_NATIONALITY)
    if departure == destination:
        failed.append(SAME_COUNTRIES)
    return sorted(set(failed))


def check_eligible_decision(failed: Sequence[str]) -> None:
    """A caseworker may declare a case eligible only when every automatic check passes."""
    if failed:
        raise ConflictError(
            "the case fails eligibility checks: "
            + ", ".join(failed)
            + "; fix the case, record an eligibility_exception_reason for a return to a country "
            "other than the nationality, or declare it 'ineligible'",
            failed_checks=list(failed),
        )


def person_facts(
    ref: str,
    *,
    sex: Sex,
    nationality: str,
    date_of_birth: date,
    categories: Iterable[str],
    on: date,
) -> PersonFacts:
    """What other services may know of a person at a registration on ``on``: nothing that
    identifies them, with their age and age band on that day."""
    age = age_on(date_of_birth, on)
    return PersonFacts(
        person_ref=ref,
        sex=sex,
        age_years=age,
        age_band=age_band(age),
        nationality=nationality,
        vulnerability_categories=sorted(set(categories)),
    )


# --- offices: whose record of a person a case shows, and transfers ----------------------

RecordAccess = Literal["own", "transfer", "withheld", "break_glass"]


@dataclass(frozen=True)
class RecordChoice:
    """Which record of a person a case of ``case_office`` shows.

    ``kind`` ``owner``: the record collected by the owning office; ``office``: the record the
    case's office entered itself; ``none``: withheld (reference and non-identifying facts only).
    """

    kind: Literal["owner", "office", "none"]
    office: str | None
    access: RecordAccess


def owning_office(case_offices: Sequence[str]) -> str:
    """The owning office of a person is the office of their first case (oldest first): the
    office that collected their record. It never changes; other offices read that record only
    through an approved transfer."""
    if not case_offices:
        raise ValueError("a person without a case has no owning office")
    return case_offices[0]


def record_for(
    case_office: str, owner: str, own_records: Iterable[str], granted: Iterable[str]
) -> RecordChoice:
    """The record a case shows: the case office's own record if it entered one, else the
    owning office's record if the case office is the owner or was granted a transfer, else
    none."""
    if case_office in set(own_records):
        return RecordChoice("office", case_office, "own")
    if case_office == owner:
        return RecordChoice("owner", owner, "own")
    if case_office in set(granted):
        return RecordChoice("owner", owner, "transfer")
    return RecordChoice("none", None, "withheld")


def may_read_owner_record(offices: Iterable[str], owner: str, granted: Iterable[str]) -> bool:
    """Whether staff of ``offices`` may read the owning office's record."""
    mine = set(offices)
    return owner in mine or bool(mine & set(granted))


TRANSFER_STATUSES = ("requested", "approved", "refused")


@dataclass(frozen=True)
class TransferState:
    transfer_id: str
    to_office: str
    status: str


def check_transfer_request(
    person_ref: str, owner: str, to_office: str, earlier: Sequence[TransferState]
) -> None:
    """An office may ask for the owner's record once at a time: not its own record, not while
    a request is pending or after one was approved (a refused one may be asked again)."""
    if to_office == owner:
        raise ConflictError(
            f"office {to_office!r} is the owning office of person {person_ref} and already "
            "holds their record; no transfer is needed",
            owning_office=owner,
        )
    for t in earlier:
        if t.to_office == to_office and t.status in ("requested", "approved"):
            what = "is waiting for a decision" if t.status == "requested" else "was approved"
            raise ConflictError(
                f"a transfer of person {person_ref}'s record to {to_office!r} {what} "
                f"(transfer {t.transfer_id})",
                transfer_id=t.transfer_id,
                transfer_status=t.status,
            )


def check_transfer_decision(transfer_id: str, status: str) -> None:
    if status != "requested":
        raise ConflictError(
            f"transfer {transfer_id} was already {status}; a decision is final "
            "(the requesting office may ask again after a refusal)",
            transfer_status=status,
        )
