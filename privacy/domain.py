"""Pure privacy rules: consent purposes, what counts as a closure, when data is due for erasure."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast, get_args

from events.privacy import Purpose
from services.kit.errors import ConflictError, InvalidInputError

PURPOSES: tuple[str, ...] = get_args(Purpose)
PERSON_REF = re.compile(r"^p_[0-9a-f]{32}$")
FIELD = re.compile(r"^[a-z][a-z0-9_.]{0,79}$")


def check_person_ref(person_ref: str) -> str:
    if not PERSON_REF.match(person_ref):
        raise InvalidInputError(f"'{person_ref}' is not a person_ref (p_ + 32 hex digits)")
    return person_ref


def check_field(field: str) -> str:
    if not FIELD.match(field):
        raise InvalidInputError(
            f"'{field}' is not a field name (lower case letters, digits, '_' or '.')"
        )
    return field


def consent_target(purpose: str, partner: str | None) -> tuple[Purpose, str | None]:
    """The (purpose, partner) a consent applies to: a partner is named exactly for sharing."""
    if purpose not in PURPOSES:
        raise InvalidInputError(f"unknown consent purpose '{purpose}'; use one of {PURPOSES}")
    partner = partner.strip() if partner else None
    if purpose == "partner_sharing" and not partner:
        raise InvalidInputError("partner_sharing consent names the partner organisation")
    if purpose != "partner_sharing" and partner:
        raise InvalidInputError(f"'{purpose}' consent is not given to a partner; omit partner")
    if partner and len(partner) > 120:
        raise InvalidInputError("partner name is at most 120 characters")
    return cast(Purpose, purpose), partner


@dataclass(frozen=True)
class HoldState:
    placed_at: datetime
    lifted_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.lifted_at is None


def person_closed_on(case_end_dates: Sequence[date | None]) -> date | None:
    """When a person's involvement ended: the last end of their cases, or None while any case
    is still open (or none is known)."""
    if not case_end_dates or any(d is None for d in case_end_dates):
        return None
    return max(d for d in case_end_dates if d is not None)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year + years, day=28)


def due_for_erasure(
    closed_on: date | None, years: int, holds: Iterable[HoldState], today: date
) -> bool:
    """Personal data is erased ``years`` after the closure (on the anniversary), unless a
    legal hold is active. Without a closure nothing is due."""
    if closed_on is None or any(h.active for h in holds):
        return False
    return today >= add_years(closed_on, years)


class PersonInOpenCaseError(ConflictError):
    """Problem type urn:retorno:problem:person-in-open-case."""


def check_erasure_on_request(
    person_ref: str, open_cases: Sequence[uuid.UUID], override_reason: str | None
) -> None:
    """Erasing someone whose case is still open ends the casework for them (a funded return
    could no longer be paid or followed): refused unless the data protection officer gives a
    reason code for it."""
    if open_cases and override_reason is None:
        listed = ", ".join(str(c) for c in open_cases)
        raise PersonInOpenCaseError(
            f"{person_ref} is in a case that is still open ({listed}); close, withdraw or "
            "cancel it first, or erase anyway with an override_reason code "
            "(e.g. 'data_subject_objection')",
            open_cases=[str(c) for c in open_cases],
        )
