"""Rules of a return case: its lifecycle, eligibility screening, ages, offices' records and
transfers, and the named errors a client may act on.

Pure: standard library, ``events``, ``services.kit.errors`` and ``services.kit.identity``
only. The rules of a correction are in ``domain.correcting``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal, get_args

from events.registration import CaseStatus, PersonFacts
from events.types import AgeBand, Sex
from services.kit.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from services.kit.identity import Principal

# --- the errors a client may act on (problem type urn:retorno:problem:<kebab name>) ------


class CaseNotFoundError(NotFoundError):
    """No such case (or not one a service may see)."""


class PersonNotFoundError(NotFoundError):
    """No person with this person_ref was registered."""


class TransferNotFoundError(NotFoundError):
    """No such transfer."""


class IllegalTransitionError(ConflictError):
    """The case's status does not allow this move; ``allowed_next`` lists the legal ones."""


class CaseChangedMeanwhileError(ConflictError):
    """Another writer changed the case since it was read: reload it and retry."""


class EligibilityChecksFailedError(ConflictError):
    """A case failing automatic checks cannot be declared eligible (``failed_checks``)."""


class CaseNotCorrectableError(ConflictError):
    """Only a ``registered`` case is corrected; a screened one is withdrawn or cancelled and
    registered again."""


class PersonInOpenCaseError(ConflictError):
    """The person is in another open case; close, withdraw or cancel it first."""


class PersonErasedError(ConflictError):
    """The person's personal data was erased; it can neither be read nor written again."""


class EveryoneErasedError(ConflictError):
    """Every person of the case was erased: free text can no longer be stored for it."""


class AssistanceConsentWithdrawnError(ConflictError):
    """Return is voluntary: the person withdrew consent to 'assistance'; record a grant."""


class TransferNotNeededError(ConflictError):
    """The office asking is the owning office: it holds the record already."""


class TransferPendingError(ConflictError):
    """A transfer of the record to this office waits for a decision."""


class TransferAlreadyApprovedError(ConflictError):
    """A transfer of the record to this office was approved: read the record."""


class TransferAlreadyDecidedError(ConflictError):
    """A transfer's decision is final."""


class BreakGlassNotNeededError(ConflictError):
    """The office may read the record without breaking the glass."""


class TransferRequiredError(ForbiddenError):
    """The record belongs to another office: request a transfer and wait for its approval."""


class RecordOfAnotherOfficeError(ForbiddenError):
    """Only the owning office corrects its record of a person."""


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


# --- problems of a registration or a correction, all named at once ----------------------


def refuse_problems(what: str, problems: Sequence[dict[str, str]]) -> None:
    """422 naming every problem at once: "the case was not <what>: <field>: <problem>; ..."."""
    if problems:
        summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        raise InvalidInputError(f"the case was not {what}: {summary}", errors=list(problems))


def cost_category_problems(
    categories: Sequence[str], cost_categories: Sequence[str]
) -> list[dict[str, str]]:
    """The requested lines' categories (``requested[i]``) not in the configured list."""
    return [
        {
            "field": f"requested[{i}].category",
            "problem": f"unknown cost category '{category}'; known: " + ", ".join(cost_categories),
        }
        for i, category in enumerate(categories)
        if category not in cost_categories
    ]


def age_category_problems(categories: Sequence[str], age: int) -> list[str]:
    """The age-bound categories must agree with the age in whole years."""
    found = []
    if "unaccompanied_minor" in categories and age >= 18:
        found.append(f"unaccompanied_minor needs an age under 18, not {age}")
    if "elderly_over_70" in categories and age <= 70:
        found.append(f"elderly_over_70 needs an age over 70, not {age}")
    return found


def check_fund_terms(
    period: str,
    line_currencies: Sequence[str],
    currency: str | None,
    *,
    defaulted: bool = False,
    outcome: str,
) -> None:
    """A period with a fund (``currency``: its currency, None when registration knows no fund
    for it), and cost lines in that currency; else a 422 naming each field."""
    problems: list[dict[str, str]] = []
    if currency is None:
        given = " (the default: the year of registration)" if defaulted else ""
        problems.append(
            {
                "field": "fund_period",
                "problem": f"no fund is known for period '{period}'{given}; a supervisor "
                "creates it (POST /api/funds). A fund created seconds ago may take a moment "
                "to reach registration: try again shortly",
            }
        )
    for i, line_currency in enumerate(line_currencies):
        if currency is not None and line_currency != currency:
            problems.append(
                {
                    "field": f"requested[{i}].currency",
                    "problem": f"is {line_currency}, but the fund of {period} is kept in "
                    f"{currency}; request the amount in {currency}",
                }
            )
    if problems:
        summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        raise InvalidInputError(f"{outcome}: {summary}", errors=problems)


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
        raise EligibilityChecksFailedError(
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


@dataclass(frozen=True)
class RecordHolders:
    """Who holds a record of a person: the owning office (the office of their first case),
    the offices that entered their own record, and those granted a transfer."""

    owner: str
    own_records: frozenset[str]
    granted: frozenset[str]

    def record_for(self, case_office: str) -> RecordChoice:
        return record_for(case_office, self.owner, self.own_records, self.granted)


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
        raise TransferNotNeededError(
            f"office {to_office!r} is the owning office of person {person_ref} and already "
            "holds their record; no transfer is needed",
            owning_office=owner,
        )
    for t in earlier:
        if t.to_office == to_office and t.status in ("requested", "approved"):
            pending = t.status == "requested"
            what = "is waiting for a decision" if pending else "was approved"
            error = TransferPendingError if pending else TransferAlreadyApprovedError
            raise error(
                f"a transfer of person {person_ref}'s record to {to_office!r} {what} "
                f"(transfer {t.transfer_id})",
                transfer_id=t.transfer_id,
                transfer_status=t.status,
            )


def check_transfer_party(principal: Principal, transfer: Mapping[Any, Any]) -> None:
    """A transfer is visible to staff of its two offices (and the DPO)."""
    offices = {transfer["from_office"], transfer["to_office"]}
    if not any(principal.can_see_office(o) for o in offices):
        raise ForbiddenError(
            f"transfer {transfer['transfer_id']} is between offices "
            f"{', '.join(sorted(offices))}, none of which is one of your offices"
        )


def check_transfer_decision(transfer_id: str, status: str) -> None:
    if status != "requested":
        raise TransferAlreadyDecidedError(
            f"transfer {transfer_id} was already {status}; a decision is final "
            "(the requesting office may ask again after a refusal)",
            transfer_status=status,
        )


# --- what a caseworker reads about a funding decision -----------------------------------


def _amount(cents: int, currency: str | None) -> str:
    return f"{Decimal(cents).scaleb(-2)} {currency or ''}".rstrip()


def funding_explanation(
    *,
    approved: bool,
    reason: str | None,
    partial: bool,
    requested_cents: int,
    committed_cents: int,
    remaining_cap_cents: int,
    available_cents: int | None,
    currency: str | None,
) -> str:
    """One sentence for the caseworker: what was decided about the person, and why."""
    asked = _amount(requested_cents, currency)
    if approved:
        got = _amount(committed_cents, currency)
        left = _amount(remaining_cap_cents, currency)
        if partial:
            return f"approved in part: {got} of {asked} (the person's cap allowed no more)"
        return f"approved: {got} committed; {left} of the person's cap remains"
    if reason == "cap_exhausted":
        left = _amount(remaining_cap_cents, currency)
        return f"refused: {asked} asked, but the person's cap has only {left} left"
    if reason == "insufficient_fund_balance":
        have = _amount(available_cents or 0, currency)
        return f"refused: {asked} asked, but the fund has only {have} available"
    if reason == "unknown_fund":
        return "refused: funding knows no fund for the case's period"
    if reason == "currency_mismatch":
        return f"refused: the cost lines are not in the fund's currency ({currency or '?'})"
    if reason == "case_not_eligible":
        return "refused: the case was not eligible when funding decided"
    return f"refused: {reason}"
