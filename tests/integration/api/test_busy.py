"""A database that cannot take a request in time is the system's trouble, not the client's:
503 with ``Retry-After``, nothing stored, and the same request goes through once it can."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select

import db.engine
from privacy.store import data_keys
from services.edge.middleware import is_overload
from services.registration.store import cases
from tests.integration.api.conftest import Api, all_services
from tests.support import InProcessFlow, case_request, fund_request


@pytest.fixture(autouse=True)
def short_lock_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db.engine, "SQLITE_BUSY_TIMEOUT_S", 0.3)


async def count(api: Api, service: str, table) -> int:  # type: ignore[no-untyped-def]
    async with api.rt.db(service).reading() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_a_registration_while_the_database_is_locked_is_a_503_and_stores_nothing(
    api: Api,
) -> None:
    fund = fund_request(str(api.rt.clock().year))
    made = await api.http.post("/api/funds", json=fund, headers=api.bearer("supervisor"))
    assert made.status_code == 201, made.text
    await InProcessFlow(api.rt, all_services()).run()
    url = api.rt.db("registration").engine.url
    assert url.database and url.get_backend_name() == "sqlite"
    keys_before = await count(api, "privacy", data_keys)

    holder = sqlite3.connect(url.database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another writer holds registration's file
    try:
        busy = await api.http.post(
            "/api/cases", json=case_request(), headers=api.bearer("caseworker")
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    again = await api.http.post("/api/cases", json=case_request(), headers=api.bearer("caseworker"))

    assert busy.status_code == 503, busy.text
    assert busy.headers["Retry-After"] == "5"
    assert busy.json()["type"] == "urn:retorno:problem:busy"
    assert "Traceback" not in busy.text and "database is locked" not in busy.text
    assert again.status_code == 201, again.text
    assert await count(api, "registration", cases) == 1  # only the second one
    assert await count(api, "privacy", data_keys) == keys_before + 1  # its person's key only


def test_only_a_lock_or_pool_wait_counts_as_busy() -> None:
    from sqlalchemy import exc

    locked = exc.OperationalError(
        "BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked")
    )
    other = exc.OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: cases"))
    assert is_overload(locked)
    assert is_overload(exc.TimeoutError("QueuePool limit reached"))
    assert not is_overload(other)
    assert not is_overload(ValueError("database is locked"))
