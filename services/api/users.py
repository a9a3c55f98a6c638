"""Users and their API tokens. Plain async functions: the CLI and the admin routes call them.

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
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.uow import ServiceDatabase
from services.api import store
from services.kit.definition import Runtime
from services.kit.errors import ConflictError, InvalidInputError, NotFoundError
from services.kit.identity import OFFICE_SCOPED_ROLES, ROLES, Principal

TOKEN_PREFIX = "rt_"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
OFFICE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


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


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _check_user(name: str, role: str, offices: Iterable[str]) -> tuple[str, ...]:
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


async def add_user(
    rt: Runtime, name: str, role: str, offices: Iterable[str] = ()
) -> tuple[User, str]:
    """Create a user and a first API token; the token is returned once and never again."""
    user, _info, token = await add_user_with_token(rt, name, role, offices)
    return user, token


async def add_user_with_token(
    rt: Runtime, name: str, role: str, offices: Iterable[str] = ()
) -> tuple[User, TokenInfo, str]:
    office_codes = _check_user(name, role, offices)
    db = rt.db("api")
    user = User(uuid.uuid4(), name, role, office_codes, db.clock())
    token = new_token()
    async with db.unit_of_work() as uow:
        try:
            await uow.session.execute(
                insert(store.users).values(
                    id=user.id,
                    name=name,
                    role=role,
                    offices=list(office_codes),
                    created_at=user.created_at,
                )
            )
        except IntegrityError as e:
            raise ConflictError(f"A user named {name!r} already exists.") from e
        info = await _insert_token(db, uow.session, user.id, token)
        await uow.commit()
    return user, info, token


async def issue_token(rt: Runtime, name: str) -> tuple[TokenInfo, str]:
    """Another token for an existing user (e.g. after revoking a lost one)."""
    db = rt.db("api")
    token = new_token()
    async with db.unit_of_work() as uow:
        user_id = await uow.session.scalar(
            select(store.users.c.id).where(store.users.c.name == name)
        )
        if user_id is None:
            raise NotFoundError(f"No user named {name!r}; list users to see who exists.")
        info = await _insert_token(db, uow.session, user_id, token)
        await uow.commit()
    return info, token


async def _insert_token(
    db: ServiceDatabase, session: AsyncSession, user_id: uuid.UUID, token: str
) -> TokenInfo:
    info = TokenInfo(uuid.uuid4(), db.clock(), None)
    await session.execute(
        insert(store.tokens).values(
            id=info.id, user_id=user_id, token_hash=hash_token(token), created_at=info.created_at
        )
    )
    return info


async def list_users(rt: Runtime) -> list[UserListing]:
    u, t = store.users, store.tokens
    async with rt.db("api").sessions() as session:
        user_rows = (await session.execute(select(u).order_by(u.c.name))).all()
        token_rows = (await session.execute(select(t).order_by(t.c.created_at))).all()
    by_user: dict[uuid.UUID, list[TokenInfo]] = {}
    for row in token_rows:
        revoked = _utc(row.revoked_at) if row.revoked_at is not None else None
        info = TokenInfo(row.id, _utc(row.created_at), revoked)
        by_user.setdefault(row.user_id, []).append(info)
    return [
        UserListing(
            User(row.id, row.name, row.role, tuple(row.offices), _utc(row.created_at)),
            tuple(by_user.get(row.id, ())),
        )
        for row in user_rows
    ]


async def revoke_token(rt: Runtime, token_id: uuid.UUID | str) -> None:
    """Revoke a token; it stops working on the next request. Revoking twice is harmless."""
    try:
        key = token_id if isinstance(token_id, uuid.UUID) else uuid.UUID(token_id)
    except ValueError as e:
        raise InvalidInputError(f"{token_id!r} is not a token id; list users to see them.") from e
    db = rt.db("api")
    async with db.unit_of_work() as uow:
        t = store.tokens
        found = await uow.session.scalar(select(t.c.id).where(t.c.id == key))
        if found is None:
            raise NotFoundError(f"No token with id {key}; list users to see token ids.")
        await uow.session.execute(
            update(t).where(t.c.id == key, t.c.revoked_at.is_(None)).values(revoked_at=db.clock())
        )
        await uow.commit()


class TokenAuthenticator:
    """Checks ``rt_`` tokens against the hashes in the API service's database."""

    def __init__(self, db: ServiceDatabase) -> None:
        self.db = db

    async def authenticate(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        u, t = store.users, store.tokens
        query = (
            select(u.c.name, u.c.role, u.c.offices)
            .join(t, t.c.user_id == u.c.id)
            .where(t.c.token_hash == hash_token(token), t.c.revoked_at.is_(None))
        )
        async with self.db.reading() as session:
            row = (await session.execute(query)).first()
        if row is None:
            return None
        return Principal(user_id=row.name, role=row.role, offices=frozenset(row.offices))
