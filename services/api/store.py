"""The users service's tables: users (name, role, offices) and their API tokens (hashes only),
and its SQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    Row,
    String,
    Table,
    Uuid,
    delete,
    false,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.schema import MessagingTables, UtcDateTime, service_metadata
from services.api.domain import TokenInfo, User

metadata = service_metadata()
messaging = MessagingTables(metadata, "api")

users = Table(
    "api_users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(40), nullable=False),
    Column("offices", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("password_hash", String(255), nullable=True),
    Column("password_must_change", Boolean, nullable=False, server_default=false()),
    Column("failed_sign_ins", Integer, nullable=False, server_default="0"),
    Column("locked_until", UtcDateTime(), nullable=True),
    Column("language", String(8), nullable=True),
)

# Web sessions of people signed in: the id is the SHA-256 of the cookie's token.
sessions = Table(
    "api_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", Uuid, ForeignKey("api_users.id"), nullable=False, index=True),
    Column("csrf_secret", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_seen_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=True),
)

# OpenID Connect sign-ins under way (api_0004): keyed by the SHA-256 of the state, bound to
# the browser by the SHA-256 of a cookie's secret; used once, then deleted.
oidc_flows = Table(
    "api_oidc_flows",
    metadata,
    Column("state_hash", String(64), primary_key=True),
    Column("browser_hash", String(64), nullable=False),
    Column("nonce", String(128), nullable=False),
    Column("code_verifier", String(128), nullable=False),
    Column("next_path", String(2000), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("api_users.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
)


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


async def insert_user(session: AsyncSession, user: User) -> None:
    """Raises IntegrityError when the name is taken."""
    await session.execute(
        insert(users).values(
            id=user.id,
            name=user.name,
            role=user.role,
            offices=list(user.offices),
            created_at=user.created_at,
        )
    )


async def insert_token(
    session: AsyncSession, user_id: uuid.UUID, info: TokenInfo, token_hash: str
) -> None:
    await session.execute(
        insert(tokens).values(
            id=info.id, user_id=user_id, token_hash=token_hash, created_at=info.created_at
        )
    )


async def user_id_named(session: AsyncSession, name: str) -> uuid.UUID | None:
    return await session.scalar(select(users.c.id).where(users.c.name == name))


async def token_exists(session: AsyncSession, token_id: uuid.UUID) -> bool:
    return (await session.scalar(select(tokens.c.id).where(tokens.c.id == token_id))) is not None


async def revoke(session: AsyncSession, token_id: uuid.UUID, at: datetime) -> None:
    """Revoke the token unless it was revoked before (the first revocation time stays)."""
    await session.execute(
        update(tokens)
        .where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )


async def all_users(session: AsyncSession) -> list[User]:
    rows = (await session.execute(select(users).order_by(users.c.name))).all()
    return [User(r.id, r.name, r.role, tuple(r.offices), _utc(r.created_at)) for r in rows]


async def all_tokens(session: AsyncSession) -> list[tuple[uuid.UUID, TokenInfo]]:
    """Every token's (user id, info), oldest first."""
    rows = (await session.execute(select(tokens).order_by(tokens.c.created_at))).all()
    return [
        (
            r.user_id,
            TokenInfo(
                r.id, _utc(r.created_at), _utc(r.revoked_at) if r.revoked_at is not None else None
            ),
        )
        for r in rows
    ]


async def holder_of(session: AsyncSession, token_hash: str) -> Row | None:
    """The (name, role, offices) of the user holding the unrevoked token with this hash."""
    query = (
        select(users.c.name, users.c.role, users.c.offices)
        .join(tokens, tokens.c.user_id == users.c.id)
        .where(tokens.c.token_hash == token_hash, tokens.c.revoked_at.is_(None))
    )
    return (await session.execute(query)).first()


# --- people signing in -----------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """What a sign-in needs of a user (locked for update on PostgreSQL)."""

    id: uuid.UUID
    name: str
    role: str
    offices: tuple[str, ...]
    password_hash: str | None
    password_must_change: bool
    failed_sign_ins: int
    locked_until: datetime | None
    language: str | None


def _account(r: Row) -> Account:  # type: ignore[type-arg]
    return Account(
        r.id,
        r.name,
        r.role,
        tuple(r.offices),
        r.password_hash,
        bool(r.password_must_change),
        int(r.failed_sign_ins),
        _utc(r.locked_until) if r.locked_until is not None else None,
        r.language,
    )


async def account_named(session: AsyncSession, name: str, *, lock: bool = False) -> Account | None:
    query = select(users).where(users.c.name == name)
    row = (await session.execute(query.with_for_update() if lock else query)).first()
    return _account(row) if row is not None else None


async def account_by_id(session: AsyncSession, user_id: uuid.UUID) -> Account | None:
    row = (await session.execute(select(users).where(users.c.id == user_id))).first()
    return _account(row) if row is not None else None


async def set_sign_in_state(
    session: AsyncSession, user_id: uuid.UUID, failures: int, locked_until: datetime | None
) -> None:
    await session.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(failed_sign_ins=failures, locked_until=locked_until)
    )


async def set_password(
    session: AsyncSession, user_id: uuid.UUID, password_hash: str, must_change: bool
) -> None:
    await session.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(
            password_hash=password_hash,
            password_must_change=must_change,
            failed_sign_ins=0,
            locked_until=None,
        )
    )


async def set_language(session: AsyncSession, user_id: uuid.UUID, language: str) -> None:
    await session.execute(update(users).where(users.c.id == user_id).values(language=language))


async def insert_session(
    session: AsyncSession, session_hash: str, user_id: uuid.UUID, csrf_secret: str, at: datetime
) -> None:
    await session.execute(
        insert(sessions).values(
            id=session_hash,
            user_id=user_id,
            csrf_secret=csrf_secret,
            created_at=at,
            last_seen_at=at,
        )
    )


@dataclass(frozen=True)
class WebSession:
    user_id: uuid.UUID
    csrf_secret: str
    created_at: datetime
    last_seen_at: datetime


async def open_session(session: AsyncSession, session_hash: str) -> WebSession | None:
    """The session with this hash unless it was ended (expiry is the caller's rule)."""
    row = (
        await session.execute(
            select(sessions).where(sessions.c.id == session_hash, sessions.c.ended_at.is_(None))
        )
    ).first()
    if row is None:
        return None
    return WebSession(row.user_id, row.csrf_secret, _utc(row.created_at), _utc(row.last_seen_at))


async def touch_session(session: AsyncSession, session_hash: str, at: datetime) -> None:
    await session.execute(
        update(sessions).where(sessions.c.id == session_hash).values(last_seen_at=at)
    )


async def end_session(session: AsyncSession, session_hash: str, at: datetime) -> uuid.UUID | None:
    """End the session; the user it belonged to, or None if it had ended already."""
    row = (
        await session.execute(
            select(sessions.c.user_id).where(
                sessions.c.id == session_hash, sessions.c.ended_at.is_(None)
            )
        )
    ).first()
    if row is None:
        return None
    await session.execute(update(sessions).where(sessions.c.id == session_hash).values(ended_at=at))
    return row.user_id  # type: ignore[no-any-return]


async def end_sessions_of(
    session: AsyncSession, user_id: uuid.UUID, at: datetime, *, keep: str | None = None
) -> None:
    """End every open session of the user, but the one with hash ``keep``."""
    query = update(sessions).where(sessions.c.user_id == user_id, sessions.c.ended_at.is_(None))
    if keep is not None:
        query = query.where(sessions.c.id != keep)
    await session.execute(query.values(ended_at=at))


@dataclass(frozen=True)
class OidcFlow:
    browser_hash: str
    nonce: str
    code_verifier: str
    next_path: str
    created_at: datetime


async def insert_oidc_flow(session: AsyncSession, state_hash: str, flow: OidcFlow) -> None:
    await session.execute(
        insert(oidc_flows).values(
            state_hash=state_hash,
            browser_hash=flow.browser_hash,
            nonce=flow.nonce,
            code_verifier=flow.code_verifier,
            next_path=flow.next_path,
            created_at=flow.created_at,
        )
    )


async def take_oidc_flow(session: AsyncSession, state_hash: str) -> OidcFlow | None:
    """The flow of that state, deleted (a state is used once)."""
    t = oidc_flows
    row = (
        await session.execute(select(t).where(t.c.state_hash == state_hash).with_for_update())
    ).first()
    if row is None:
        return None
    await session.execute(delete(t).where(t.c.state_hash == state_hash))
    return OidcFlow(
        row.browser_hash, row.nonce, row.code_verifier, row.next_path, _utc(row.created_at)
    )


async def drop_oidc_flows_before(session: AsyncSession, cutoff: datetime) -> None:
    await session.execute(delete(oidc_flows).where(oidc_flows.c.created_at < cutoff))
