"""Pure privacy rules: consent purposes, what counts as a closure, when data is due for erasure,
office scoping of a person, and privacy's named errors (one class per distinct error, so the
problem ``type`` tells them apart). Envelope encryption is ``privacy.domain.crypto``."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast, get_args

from events.privacy import Purpose
from services.kit.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from services.kit.identity import OFFICE_SCOPED_ROLES, Principal, ensure_some_office

PURPOSES: tuple[str, ...] = get_args(Purpose)
PERSON_REF = re.compile(r"^p_[0-9a-f]{32}$")
FIELD = re.compile(r"^[a-z][a-z0-9_.]{0,79}$")
PURPOSE_NAMES = {
    "assistance": "assistance",
    "partner_sharing": "sharing with a partner",
    "follow_up_contact": "follow-up contact",
}
# the field name a legal hold's reason is encrypted under
REASON_FIELD = "legal_hold.reason"


# --- named errors (problem type urn:retorno:problem:<kebab name without "Error">) -----------


class PersonErasedError(ConflictError):
    """The person's data was erased: nothing can be stored for them any more."""


class PersonKeyNotFoundError(NotFoundError):
    """Privacy holds no data key for the person (never made, and not erased)."""


class UnknownPersonError(NotFoundError):
    """Privacy knows nothing of the person: no key, no erasure, no case."""


class PersonOfficeNotKnownYetError(ConflictError):
    """The person's registration has not reached privacy yet, so their office is unknown."""


class PersonInOpenCaseError(ConflictError):
    """Problem type urn:retorno:problem:person-in-open-case."""


class LegalHoldActiveError(ConflictError):
    """An active legal hold blocks the erasure."""


class LegalHoldNotFoundError(NotFoundError):
    """No such legal hold on this person."""


class LegalHoldAlreadyLiftedError(ConflictError):
    """The legal hold was lifted before."""


class ConsentRequiredError(ForbiddenError):
    """The person's current consent does not cover the purpose (and partner)."""


class MasterKeyInUseError(ConflictError):
    """A master key still wraps data keys: it cannot be retired yet."""


class UnknownMasterKeyError(NotFoundError):
    """The master key is not in the keyring (retired or not configured)."""


class KeyringError(ConflictError):
    """The master keys are missing, unreadable, unsafe, or cannot be changed."""


class MasterKeyInvalidError(KeyringError):
    """A configured master key is not base64 of 32 bytes, or none is configured."""


class KeyFileUnsafeError(KeyringError):
    """The master key file is readable by others."""


class KeyFileInvalidError(KeyringError):
    """The master key file is not a valid key file."""


class ActiveMasterKeyError(KeyringError):
    """The active master key cannot be retired (rotate first)."""


class KeyringReadOnlyError(KeyringError):
    """Master keys from RETORNO_MASTER_KEY cannot be changed by a command."""


# --- rules ------------------------------------------------------------------------------


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
class ConsentRecord:
    """A consent decision (no personal data: purpose, partner organisation, user id, time)."""

    purpose: str
    partner: str | None
    granted: bool
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class AccessRecord:
    """One read of a person's data: who, in which role, why, which field names, when."""

    actor_id: str
    role: str
    purpose: str
    fields: tuple[str, ...]
    accessed_at: datetime


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


def check_text(value: str, name: str, limit: int) -> str:
    """``value`` stripped, or InvalidInputError unless it has 1 to ``limit`` characters."""
    value = value.strip()
    if not value or len(value) > limit:
        raise InvalidInputError(f"{name} must be 1 to {limit} characters")
    return value


def check_hold_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason or len(reason) > 2000:
        raise InvalidInputError("a legal hold needs a reason of 1 to 2000 characters")
    return reason


def check_person_scope(
    principal: Principal, person_ref: str, *, known: bool, offices: Iterable[str] | None
) -> None:
    """404 for a person privacy holds nothing about; for a caseworker or supervisor, 403 unless
    the person is in a case of one of their offices (409 while that office is not known yet).
    ``offices`` is None when not looked up (the principal is not office-scoped)."""
    if not known:
        raise UnknownPersonError(
            f"no person {person_ref} is known to the privacy service; check the reference"
        )
    if principal.role not in OFFICE_SCOPED_ROLES:
        return
    found = set(offices or ())
    if not found:
        raise PersonOfficeNotKnownYetError(
            f"the registration of person {person_ref} has not reached the privacy service yet "
            "(its office is not known here); try again in a few seconds"
        )
    ensure_some_office(principal, found, f"person {person_ref}")


def require_consent_granted(
    person_ref: str, purpose: str, partner: str | None, granted: bool
) -> None:
    """ConsentRequiredError (403) unless the person's current decision is a grant."""
    if not granted:
        to = f" with {partner}" if partner else ""
        raise ConsentRequiredError(
            f"{person_ref} has not consented to {PURPOSE_NAMES[purpose]}{to} (or withdrew "
            f"consent); record their '{purpose}' consent before using their data for it",
            person_ref=person_ref,
            purpose=purpose,
        )
