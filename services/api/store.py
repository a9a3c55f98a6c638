"""The users service's tables: users (name, role, offices) and their API tokens (hashes only),
and its SQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import JSON, Column, ForeignKey, Row, String, Table, Uuid, insert, select, update
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
