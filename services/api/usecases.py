"""Adding users and tokens, revoking tokens: each its own unit of work. The CLI and the admin
routes call them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.uow import ServiceDatabase
from services.api import store
from services.api.domain import (
    TokenInfo,
    UnknownTokenError,
    UnknownUserError,
    User,
    UserNameTakenError,
    check_user,
    hash_token,
    new_token,
    parse_token_id,
)
from services.kit.definition import Runtime


async def add_user(
    rt: Runtime, name: str, role: str, offices: Iterable[str] = ()
) -> tuple[User, str]:
    """Create a user and a first API token; the token is returned once and never again."""
    user, _info, token = await add_user_with_token(rt, name, role, offices)
    return user, token


async def add_user_with_token(
    rt: Runtime, name: str, role: str, offices: Iterable[str] = ()
) -> tuple[User, TokenInfo, str]:
    office_codes = check_user(name, role, offices)
    db = rt.db("api")
    user = User(uuid.uuid4(), name, role, office_codes, db.clock())
    token = new_token()
    async with db.unit_of_work() as uow:
        try:
            await store.insert_user(uow.session, user)
        except IntegrityError as e:
            raise UserNameTakenError(f"A user named {name!r} already exists.") from e
        info = await _insert_token(db, uow.session, user.id, token)
        await uow.commit()
    return user, info, token


async def issue_token(rt: Runtime, name: str) -> tuple[TokenInfo, str]:
    """Another token for an existing user (e.g. after revoking a lost one)."""
    db = rt.db("api")
    token = new_token()
    async with db.unit_of_work() as uow:
        user_id = await store.user_id_named(uow.session, name)
        if user_id is None:
            raise UnknownUserError(f"No user named {name!r}; list users to see who exists.")
        info = await _insert_token(db, uow.session, user_id, token)
        await uow.commit()
    return info, token


async def _insert_token(
    db: ServiceDatabase, session: AsyncSession, user_id: uuid.UUID, token: str
) -> TokenInfo:
    info = TokenInfo(uuid.uuid4(), db.clock(), None)
    await store.insert_token(session, user_id, info, hash_token(token))
    return info


async def revoke_token(rt: Runtime, token_id: uuid.UUID | str) -> None:
    """Revoke a token; it stops working on the next request. Revoking twice is harmless."""
    key = parse_token_id(token_id)
    db = rt.db("api")
    async with db.unit_of_work() as uow:
        if not await store.token_exists(uow.session, key):
            raise UnknownTokenError(f"No token with id {key}; list users to see token ids.")
        await store.revoke(uow.session, key, db.clock())
        await uow.commit()
