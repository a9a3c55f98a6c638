"""Corrections of a case before screening: the pure rules.

A case may be corrected while it is ``registered``: nobody has decided anything on its data
yet. After screening a decision was made on the data, so a wrong case is withdrawn or
cancelled and registered again. Every registration-time check applies to the corrected case
as a whole; a problem anywhere refuses the whole correction (422, naming the fields).

The request (``schemas.correcting``) is read through the protocols below. Pure: standard
library, ``events``, ``services.kit.errors`` and the registration rules. No storage, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from events.registration import CaseStatus, PersonFacts, RequestedLine
from events.types import RequesterType, Sex
from services.registration import domain

CORRECTABLE_STATUS: CaseStatus = "registered"

CASE_FIELDS = (
    "requester",
    "fund_period",
    "departure_country",
    "destination_country",
    "allow_partial",
    "requested",
)
FACT_FIELDS = ("sex", "nationality", "date_of_birth", "vulnerability_categories")
PERSONAL_INPUTS = ("given_names", "family_name", "date_of_birth", "travel_document", "contact")
CONTACT_FIELDS = ("phone", "email", "address")


# --- the correction as requested (``schemas.correcting`` implements these) -----------------


class DocumentGiven(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def number(self) -> str: ...


class ContactGiven(Protocol):
    @property
    def phone(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def address(self) -> str | None: ...


class RequesterGiven(Protocol):
    @property
    def type(self) -> RequesterType: ...
    @property
    def name(self) -> str: ...


class PersonCorrection(Protocol):
    """What to correct of one person; ``given`` names the fields the request gave."""

    @property
    def person_ref(self) -> str: ...
    @property
    def sex(self) -> Sex | None: ...
    @property
    def nationality(self) -> str | None: ...
    @property
    def date_of_birth(self) -> date | None: ...
    @property
    def vulnerability_categories(self) -> Sequence[str] | None: ...
    @property
    def given_names(self) -> str | None: ...
    @property
    def family_name(self) -> str | None: ...
    @property
    def travel_document(self) -> DocumentGiven | None: ...
    @property
    def contact(self) -> ContactGiven | None: ...
    def given(self, names: Sequence[str] = ...) -> list[str]: ...


class CorrectedLine(Protocol):
    @property
    def person(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def amount_cents(self) -> int: ...
    @property
    def currency(self) -> str: ...


class CaseCorrection(Protocol):
    """Only the fields to change; ``version`` is the case version the user saw."""

    @property
    def version(self) -> int: ...
    @property
    def requester(self) -> RequesterGiven | None: ...
    @property
    def fund_period(self) -> str | None: ...
    @property
    def departure_country(self) -> str | None: ...
    @property
    def destination_country(self) -> str | None: ...
    @property
    def allow_partial(self) -> bool | None: ...
    @property
    def requested(self) -> Sequence[CorrectedLine] | None: ...
    @property
    def people(self) -> Sequence[PersonCorrection]: ...
    def given(self) -> list[str]: ...


# --- the case as stored, and as corrected -------------------------------------------------


@dataclass(frozen=True)
class CaseNow:
    """What a correction needs of the stored case (no personal data)."""

    status: CaseStatus
    version: int
    registered_on: date
    fund_period: str
    requester_type: RequesterType
    requester_name: str
    departure_country: str
    destination_country: str
    allow_partial: bool
    people: tuple[PersonFacts, ...]
    lines: tuple[RequestedLine, ...]


@dataclass(frozen=True)
class Correction:
    """The corrected case: every new value, and the names of what was corrected."""

    values: dict[str, Any]
    """The case's columns after the correction (requester type and name, fund period,
    countries, allow_partial)."""
    people: tuple[PersonFacts, ...]
    """Every person of the case, in order, as corrected."""
    changed: tuple[PersonFacts, ...]
    """The people whose facts were corrected."""
    lines: tuple[RequestedLine, ...]
    corrected: tuple[str, ...]
    """Names of the case fields given."""
    person_fields: dict[str, tuple[str, ...]]
    """Per person_ref, the names of their fields given (facts and personal fields)."""
    personal: dict[str, dict[str, str | None]]
    """Per person_ref, the vault fields to write (None: remove the field). Never logged."""

    @property
    def categories(self) -> list[str]:
        return sorted({c for p in self.people for c in p.vulnerability_categories})

    def personal_names(self) -> dict[str, list[str]]:
        """Per person, the names of the personal fields corrected (never their values)."""
        found = {
            ref: [n for n in names if n in PERSONAL_INPUTS]
            for ref, names in self.person_fields.items()
        }
        return {ref: names for ref, names in found.items() if names}

    def field_names(self) -> list[str]:
        """Everything corrected, by name: case fields, then ``<person_ref>.<field>``."""
        names = list(self.corrected)
        return names + [f"{ref}.{n}" for ref, fields in self.person_fields.items() for n in fields]


def check_correctable(status: CaseStatus, version: int, seen: int) -> None:
    """Only a ``registered`` case is corrected, and only from the version the user saw."""
    if status != CORRECTABLE_STATUS:
        raise domain.CaseNotCorrectableError(
            f"the case is '{status}'; corrections are possible only before screening, while "
            "it is 'registered'. Once screened, a decision was made on its data: withdraw or "
            "cancel the case and register the return again with the right data",
            current_status=status,
        )
    if version != seen:
        raise domain.CaseChangedMeanwhileError(
            f"the case changed meanwhile (it is at version {version}, the correction was made "
            f"on version {seen}); reload it and send the correction again",
            current_version=version,
        )


def personal_values(person: PersonCorrection) -> dict[str, str | None]:
    """The vault fields a correction writes (a value) or removes (None). Never logged."""
    values: dict[str, str | None] = {}
    given = person.given(PERSONAL_INPUTS)
    if "given_names" in given:
        values["given_names"] = person.given_names
    if "family_name" in given:
        values["family_name"] = person.family_name
    if person.date_of_birth is not None:
        values["date_of_birth"] = person.date_of_birth.isoformat()
    if "travel_document" in given:
        doc = person.travel_document
        values["travel_document_type"] = doc.type if doc else None
        values["travel_document_number"] = doc.number if doc else None
    if "contact" in given:
        contact = person.contact
        for name in CONTACT_FIELDS:
            values[name] = (getattr(contact, name) or None) if contact else None
    return values


def _birth_problem(born: date, on: date) -> str | None:
    if born > on:
        return f"is after the case's registration date ({on.isoformat()})"
    if domain.completed_years(born, on) > domain.MAX_AGE_YEARS:
        return (
            f"is more than {domain.MAX_AGE_YEARS} years before the registration date "
            f"({on.isoformat()}); check the year (unknown dates: use the best estimate)"
        )
    return None


def _category_problems(cats: Sequence[str], age: int, known: Sequence[str]) -> list[str]:
    """The registration rules on a person's categories: at least one, from the configured
    list, and the age-bound ones agreeing with the age."""
    if not cats:
        return ["is empty; at least one category is required"]
    found = [f"unknown category '{c}'; known: {', '.join(known)}" for c in cats if c not in known]
    return found + domain.age_category_problems(cats, age)


def _corrected_person(
    i: int,
    now: PersonFacts,
    body: PersonCorrection,
    on: date,
    known: Sequence[str],
    problems: list[dict[str, str]],
) -> PersonFacts:
    field = f"people[{i}]"
    age, band = now.age_years, now.age_band
    if body.date_of_birth is not None:
        problem = _birth_problem(body.date_of_birth, on)
        if problem:
            problems.append({"field": f"{field}.date_of_birth", "problem": problem})
        else:
            age = domain.completed_years(body.date_of_birth, on)
            band = domain.age_band(age)
    cats = (
        now.vulnerability_categories
        if body.vulnerability_categories is None
        else sorted(set(body.vulnerability_categories))
    )
    given = body.given(("vulnerability_categories", "date_of_birth"))
    if given:  # categories as given, or the old ones against a new date of birth
        at = f"{field}.{given[0]}"
        problems += [{"field": at, "problem": p} for p in _category_problems(cats, age, known)]
    return PersonFacts(
        person_ref=now.person_ref,
        sex=body.sex or now.sex,
        age_years=age,
        age_band=band,
        nationality=body.nationality or now.nationality,
        vulnerability_categories=list(cats),
    )


def _lines(
    body: Sequence[CorrectedLine], refs: Sequence[str], problems: list[dict[str, str]]
) -> tuple[RequestedLine, ...]:
    lines: list[RequestedLine] = []
    for i, line in enumerate(body):
        if line.person != "all" and line.person not in refs:
            problems.append(
                {"field": f"requested[{i}].person", "problem": f"{line.person} is not in this case"}
            )
            continue
        targets = refs if line.person == "all" else [line.person]
        lines += [
            RequestedLine(
                person_ref=ref,
                category=line.category,
                amount_cents=line.amount_cents,
                currency=line.currency,
            )
            for ref in targets
        ]
    return tuple(lines)


def correct(
    case: CaseNow,
    body: CaseCorrection,
    *,
    categories: Sequence[str],
    cost_categories: Sequence[str],
) -> Correction:
    """The case as corrected by ``body``, checked as a whole by the registration rules (ages
    at the registration date). Raises InvalidInputError naming every problem, or
    CaseNotCorrectableError / CaseChangedMeanwhileError when the case may not be corrected (status, stale version)."""
    check_correctable(case.status, case.version, body.version)
    problems: list[dict[str, str]] = []
    refs = [p.person_ref for p in case.people]
    by_ref: Mapping[str, PersonCorrection] = {p.person_ref: p for p in body.people}
    for i, person in enumerate(body.people):
        if person.person_ref not in refs:
            problems.append(
                {
                    "field": f"people[{i}].person_ref",
                    "problem": f"{person.person_ref} is not in this case (a correction does "
                    "not add or remove people)",
                }
            )
    people: list[PersonFacts] = []
    changed: list[PersonFacts] = []
    for now in case.people:
        fix = by_ref.get(now.person_ref)
        if fix is None or not fix.given(FACT_FIELDS):
            people.append(now)
            continue
        i = body.people.index(fix)
        new = _corrected_person(i, now, fix, case.registered_on, categories, problems)
        people.append(new)
        changed.append(new)
    departure = body.departure_country or case.departure_country
    destination = body.destination_country or case.destination_country
    if departure == destination:
        field = "destination_country" if body.destination_country else "departure_country"
        problems.append(
            {
                "field": field,
                "problem": f"is the other country too ({departure}); a return goes from one "
                "country to another",
            }
        )
    lines = case.lines if body.requested is None else _lines(body.requested, refs, problems)
    asked = [line.category for line in body.requested or ()]
    problems += domain.cost_category_problems(asked, cost_categories)
    domain.refuse_problems("corrected", problems)
    requester = body.requester
    values = {
        "fund_period": body.fund_period or case.fund_period,
        "requester_type": requester.type if requester else case.requester_type,
        "requester_name": requester.name if requester else case.requester_name,
        "departure_country": departure,
        "destination_country": destination,
        "allow_partial": case.allow_partial if body.allow_partial is None else body.allow_partial,
    }
    personal = {p.person_ref: v for p in body.people if (v := personal_values(p))}
    return Correction(
        values=values,
        people=tuple(people),
        changed=tuple(changed),
        lines=lines,
        corrected=tuple(body.given()),
        person_fields={p.person_ref: tuple(p.given()) for p in body.people},
        personal=personal,
    )
