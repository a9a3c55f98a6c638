"""Users and tokens on a real database: hashes only, revocation at once, clear errors."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from db.migrate import downgrade, upgrade
from services.api import store, usecases
from services.api.domain import hash_token
from services.api.queries.authn import TokenAuthenticator
from services.api.queries.users import list_users
from services.api.service import SERVICE
from services.kit.definition import Runtime
from services.kit.errors import ConflictError, InvalidInputError, NotFoundError
from services.kit.settings import Settings
from tests.support import close_runtime, make_runtime, open_service_db


@pytest.fixture
async def rt(database_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    db = await open_service_db(SERVICE, database_url)
    rt = make_runtime(Settings(data_dir=tmp_path), {"api": db})
    yield rt
    await close_runtime(rt)


def name() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


async def test_add_user_returns_a_token_that_authenticates_as_that_user(rt: Runtime) -> None:
    who = name()

    user, token = await usecases.add_user(rt, who, "caseworker", ["GT-01", "MX-TAP"])

    principal = await TokenAuthenticator(rt.db("api")).authenticate(token)
    assert token.startswith("rt_") and len(token) > 40
    assert principal is not None
    assert (principal.user_id, principal.role) == (who, "caseworker")
    assert principal.offices == {"GT-01", "MX-TAP"}
    assert user.offices == ("GT-01", "MX-TAP")


async def test_only_the_hash_of_a_token_is_stored(rt: Runtime) -> None:
    _, token = await usecases.add_user(rt, name(), "auditor")

    async with rt.db("api").sessions() as session:
        stored = (await session.execute(select(store.tokens.c.token_hash))).scalars().all()

    assert stored == [hash_token(token)]
    assert token not in stored


async def test_revoked_token_stops_working_and_others_keep_working(rt: Runtime) -> None:
    who = name()
    _, first = await usecases.add_user(rt, who, "evaluator")
    _, second = await usecases.issue_token(rt, who)
    listing = next(u for u in await list_users(rt) if u.user.name == who)
    authenticator = TokenAuthenticator(rt.db("api"))

    await usecases.revoke_token(rt, str(listing.tokens[0].id))
    await usecases.revoke_token(rt, listing.tokens[0].id)  # twice is harmless

    assert await authenticator.authenticate(first) is None
    assert await authenticator.authenticate(second) is not None
    after = next(u for u in await list_users(rt) if u.user.name == who)
    assert after.tokens[0].revoked_at is not None and after.tokens[1].revoked_at is None


async def test_unknown_or_malformed_tokens_do_not_authenticate(rt: Runtime) -> None:
    authenticator = TokenAuthenticator(rt.db("api"))

    assert await authenticator.authenticate("rt_" + "a" * 43) is None
    assert await authenticator.authenticate("not-ours") is None


async def test_duplicate_user_name_is_a_conflict(rt: Runtime) -> None:
    who = name()
    await usecases.add_user(rt, who, "admin")

    with pytest.raises(ConflictError, match=who):
        await usecases.add_user(rt, who, "admin")


@pytest.mark.parametrize(
    ("who", "role", "offices", "message"),
    [
        ("Ana Lopez", "admin", [], "not valid"),
        ("ana", "root", [], "Unknown role"),
        ("ana", "caseworker", [], "at least one office"),
        ("ana", "auditor", ["GT-01"], "Offices apply only"),
        ("ana", "supervisor", ["GT 01;"], "not a valid office"),
    ],
)
async def test_rejects_invalid_users_with_a_reason(
    rt: Runtime, who: str, role: str, offices: list[str], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        await usecases.add_user(rt, who, role, offices)


async def test_revoking_an_unknown_token_is_not_found(rt: Runtime) -> None:
    with pytest.raises(NotFoundError):
        await usecases.revoke_token(rt, uuid.uuid4())
    with pytest.raises(InvalidInputError):
        await usecases.revoke_token(rt, "nope")


async def test_list_users_shows_token_ids_never_tokens(rt: Runtime) -> None:
    who = name()
    _, token = await usecases.add_user(rt, who, "supervisor", ["GT-01"])

    listing = [u for u in await list_users(rt) if u.user.name == who]

    assert len(listing) == 1 and len(listing[0].tokens) == 1
    assert token not in repr(listing)
    assert listing[0].user.created_at.tzinfo is not None


def test_api_migrations_go_up_and_down_one_step_at_a_time(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'stairway.db'}"

    upgrade("api", url, "api_0001")
    downgrade("api", url, "base")
    upgrade("api", url)
