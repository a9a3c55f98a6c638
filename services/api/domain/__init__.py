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
from datetime import datetime

from services.kit.errors import ConflictError, InvalidInputError, NotFoundError
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
