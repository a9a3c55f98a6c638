"""Users and their API tokens: the rules, pure, and the service's named errors.

A token is shown once, when it is made; only its SHA-256 hash is stored. A fast hash is
enough here: a token carries 256 random bits (``secrets.token_urlsafe(32)``), so nobody can
guess one from its hash by trying candidates, which is what slow password hashes (bcrypt,
argon2) defend low-entropy passwords against, and a slow hash would cost every request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.kit.errors import ConflictError, InvalidInputError, NotFoundError, RetornoError
from services.kit.identity import OFFICE_SCOPED_ROLES, ROLES

TOKEN_PREFIX = "rt_"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
OFFICE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class UserNameTakenError(ConflictError):
    """A user of that name exists already."""


class UnknownUserError(NotFoundError):
    """No user of that name."""


class UnknownTokenError(NotFoundError):
    """No token with that id."""


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    name: str
    role: str
    offices: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class TokenInfo:
    id: uuid.UUID
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class UserListing:
    user: User
    tokens: tuple[TokenInfo, ...]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def check_user(name: str, role: str, offices: Iterable[str]) -> tuple[str, ...]:
    """The user's office codes, sorted and unique; InvalidInputError for a bad name, role or
    office, or offices that do not fit the role."""
    if not NAME_PATTERN.match(name):
        raise InvalidInputError(
            f"User name {name!r} is not valid: use 1-64 lowercase letters, digits, '.', '_' "
            "or '-', starting with a letter or digit."
        )
    if role not in ROLES:
        raise InvalidInputError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    cleaned = tuple(sorted({office.strip() for office in offices if office.strip()}))
    for office in cleaned:
        if not OFFICE_PATTERN.match(office):
            raise InvalidInputError(f"Office {office!r} is not a valid office code.")
    if role in OFFICE_SCOPED_ROLES and not cleaned:
        raise InvalidInputError(f"A {role} works for at least one office; name their offices.")
    if role not in OFFICE_SCOPED_ROLES and cleaned:
        raise InvalidInputError(
            f"Offices apply only to {' and '.join(sorted(OFFICE_SCOPED_ROLES))}."
        )
    return cleaned


def parse_token_id(value: uuid.UUID | str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(value)
    except ValueError as e:
        raise InvalidInputError(f"{value!r} is not a token id; list users to see them.") from e


# --- people signing in to the web UI ---------------------------------------------------

SESSION_PREFIX = "rs_"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256


class SignInRefusedError(RetornoError):
    """Wrong name or password. One message for both: the page must not tell an attacker which
    user names exist."""

    status_code = 401
    title = "Sign-in refused"


class AccountLockedError(RetornoError):
    """Too many failed sign-ins in a row: the account waits before accepting another."""

    status_code = 429
    title = "Account locked for a while"


class PasswordRejectedError(InvalidInputError):
    """A new password that the policy refuses (too short, too long, the user's name)."""


class CurrentPasswordWrongError(InvalidInputError):
    """Changing a password needs the current one, and it was not right."""


@dataclass(frozen=True)
class LockoutPolicy:
    """After ``threshold`` failed sign-ins in a row the account refuses every sign-in, even
    with the right password, for ``lock`` (a correct sign-in resets the count)."""

    threshold: int = 5
    lock: timedelta = timedelta(minutes=15)

    def after_failure(self, failures: int, now: datetime) -> tuple[int, datetime | None]:
        """The failure count after one more failure, and until when the account is locked."""
        failures += 1
        if failures >= self.threshold:
            return failures, now + self.lock
        return failures, None


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until


@dataclass(frozen=True)
class SessionPolicy:
    """A web session ends after ``idle`` without a request, and after ``absolute`` in any case."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    # a request refreshes the session's last-seen time at most this often (not one write each)
    touch_every: timedelta = timedelta(minutes=1)

    def alive(self, created_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
        return now < created_at + self.absolute and now < last_seen_at + self.idle

    def needs_touch(self, last_seen_at: datetime, now: datetime) -> bool:
        return now - last_seen_at >= self.touch_every


def check_new_password(password: str, user_name: str) -> None:
    """PasswordRejectedError unless the password may be set (NIST SP 800-63B: length, not
    composition rules)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejectedError(
            f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters "
            "(a few words make a good one)."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejectedError(
            f"The password is too long: use at most {MAX_PASSWORD_LENGTH} characters."
        )
    if user_name.lower() in password.lower():
        raise PasswordRejectedError("The password must not contain the user name.")


def new_session_token() -> str:
    return SESSION_PREFIX + secrets.token_urlsafe(32)


def new_one_time_password() -> str:
    """A password for a first sign-in, to be changed at once: 20 characters, ~120 bits."""
    return secrets.token_urlsafe(15)
