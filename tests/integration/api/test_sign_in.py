"""People signing in to the web UI, on a real database: argon2 hashes, one refusal for a wrong
name or password, lock-out, sessions that end, and an event for every outcome (no names)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from services.api import store, usecases
from services.api.domain import (
    AccountLockedError,
    CurrentPasswordWrongError,
    PasswordRejectedError,
    SignInRefusedError,
    UnknownUserError,
)
from services.api.service import SERVICE
from services.kit.definition import Runtime
from services.kit.settings import Settings
from tests.support import open_service_db

PASSWORD = "correct horse battery staple"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def rt(database_url: str, tmp_path: Path, clock: Clock) -> AsyncIterator[Runtime]:
    db = await open_service_db(SERVICE, database_url)
    yield Runtime(settings=Settings(data_dir=tmp_path), databases={"api": db}, clock=clock)
    await db.engine.dispose()


async def person(rt: Runtime, role: str = "caseworker", password: str = PASSWORD) -> str:
    who = f"ana-{uuid.uuid4().hex[:8]}"
    await usecases.add_user(rt, who, role, ["GT-01"] if role == "caseworker" else [])
    await usecases.set_password(rt, who, password)
    return who


async def events(rt: Runtime) -> list[tuple[str, dict[str, object]]]:
    outbox = rt.db("api").tables.outbox
    async with rt.db("api").reading() as session:
        bodies = (await session.execute(select(outbox.c.body).order_by(outbox.c.seq))).scalars()
        envelopes = [json.loads(body) for body in bodies]
    return [(envelope["type"], envelope["payload"]) for envelope in envelopes]


async def test_the_right_password_opens_a_session_that_stands_for_the_person(rt: Runtime) -> None:
    who = await person(rt)

    opened = await usecases.sign_in(rt, who, PASSWORD)

    resumed = await usecases.resume_session(rt, opened.token)
    assert resumed is not None
    assert resumed.principal.user_id == who
    assert resumed.principal.offices == frozenset({"GT-01"})
    assert not opened.must_change_password
    kinds = [kind for kind, _ in await events(rt)]
    assert kinds == ["api.signed_in"]


async def test_a_wrong_password_and_an_unknown_name_get_the_same_refusal(rt: Runtime) -> None:
    who = await person(rt)

    with pytest.raises(SignInRefusedError) as wrong:
        await usecases.sign_in(rt, who, "not the password at all")
    with pytest.raises(SignInRefusedError) as unknown:
        await usecases.sign_in(rt, "nobody-here", PASSWORD)

    assert wrong.value.detail == unknown.value.detail
    found = await events(rt)
    assert [(kind, payload["reason"]) for kind, payload in found] == [
        ("api.sign_in_failed", "wrong_password"),
        ("api.sign_in_failed", "unknown_user"),
    ]
    text = json.dumps(found)
    assert "nobody-here" not in text and who not in text and PASSWORD not in text


async def test_five_failures_lock_the_account_even_for_the_right_password_for_a_while(
    rt: Runtime, clock: Clock
) -> None:
    who = await person(rt)
    for _ in range(4):
        with pytest.raises(SignInRefusedError):
            await usecases.sign_in(rt, who, "wrong password, again")
    with pytest.raises(AccountLockedError):
        await usecases.sign_in(rt, who, "wrong password, again")

    clock.advance(minutes=14)
    with pytest.raises(AccountLockedError):
        await usecases.sign_in(rt, who, PASSWORD)
    clock.advance(minutes=2)
    opened = await usecases.sign_in(rt, who, PASSWORD)

    assert await usecases.resume_session(rt, opened.token) is not None
    reasons = [p.get("reason") for kind, p in await events(rt) if kind == "api.sign_in_failed"]
    assert reasons == ["wrong_password"] * 5 + ["locked"]
    # a correct sign-in resets the count: four more failures do not lock
    for _ in range(4):
        with pytest.raises(SignInRefusedError):
            await usecases.sign_in(rt, who, "wrong password, again")


async def test_a_session_ends_when_idle_too_long_and_after_twelve_hours_in_any_case(
    rt: Runtime, clock: Clock
) -> None:
    who = await person(rt)
    idle = await usecases.sign_in(rt, who, PASSWORD)
    busy = await usecases.sign_in(rt, who, PASSWORD)

    for _ in range(24):  # one request every 29 minutes keeps `busy` alive...
        clock.advance(minutes=29)
        alive = await usecases.resume_session(rt, busy.token)
        if clock.now < datetime(2026, 12, 2, 21, 0, tzinfo=UTC):
            assert alive is not None
        else:  # ...until 12 hours after sign-in
            assert alive is None
    assert await usecases.resume_session(rt, idle.token) is None


async def test_signing_out_ends_the_session_and_is_recorded(rt: Runtime) -> None:
    who = await person(rt)
    opened = await usecases.sign_in(rt, who, PASSWORD)

    await usecases.sign_out(rt, opened.token)
    await usecases.sign_out(rt, opened.token)  # twice is harmless

    assert await usecases.resume_session(rt, opened.token) is None
    kinds = [kind for kind, _ in await events(rt)]
    assert kinds == ["api.signed_in", "api.signed_out"]


async def test_a_one_time_password_must_be_changed_and_the_change_ends_other_sessions(
    rt: Runtime,
) -> None:
    who = f"luis-{uuid.uuid4().hex[:8]}"
    await usecases.add_user(rt, who, "supervisor", ["GT-01"])
    one_time = await usecases.set_password(rt, who)
    assert one_time is not None and len(one_time) >= 20

    first = await usecases.sign_in(rt, who, one_time)
    other = await usecases.sign_in(rt, who, one_time)
    assert first.must_change_password

    with pytest.raises(CurrentPasswordWrongError):
        await usecases.change_password(rt, first.token, "not it", PASSWORD)
    with pytest.raises(PasswordRejectedError):
        await usecases.change_password(rt, first.token, one_time, "short")
    with pytest.raises(PasswordRejectedError):
        await usecases.change_password(rt, first.token, one_time, f"my name is {who}!")
    await usecases.change_password(rt, first.token, one_time, PASSWORD)

    kept = await usecases.resume_session(rt, first.token)
    assert kept is not None and not kept.must_change_password
    assert await usecases.resume_session(rt, other.token) is None
    with pytest.raises(SignInRefusedError):
        await usecases.sign_in(rt, who, one_time)


async def test_an_account_without_a_password_cannot_sign_in_and_unknown_users_get_none(
    rt: Runtime,
) -> None:
    who = f"eva-{uuid.uuid4().hex[:8]}"
    await usecases.add_user(rt, who, "auditor")

    with pytest.raises(SignInRefusedError):
        await usecases.sign_in(rt, who, PASSWORD)
    with pytest.raises(UnknownUserError):
        await usecases.set_password(rt, "nobody-here", PASSWORD)


async def test_only_an_argon2_hash_of_the_password_is_stored(rt: Runtime) -> None:
    who = await person(rt)
    opened = await usecases.sign_in(rt, who, PASSWORD)

    async with rt.db("api").reading() as session:
        row = (await session.execute(select(store.users).where(store.users.c.name == who))).one()
        stored = (await session.execute(select(store.sessions.c.id))).scalars().all()
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash
    assert opened.token not in stored  # only the session token's hash


async def test_a_forged_or_foreign_cookie_stands_for_nobody(rt: Runtime) -> None:
    assert await usecases.resume_session(rt, "rs_" + "x" * 43) is None
    assert await usecases.resume_session(rt, "rt_not-a-session") is None
