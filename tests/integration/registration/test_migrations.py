"""The registration branch: the migrated schema is the one store.py describes, and the
returning-people revision keeps data and refuses to downgrade what it cannot represent."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from db.migrate import downgrade, upgrade
from services.registration import store


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "version_table": "registration_alembic_version"}
    )
    return [d for d in compare_metadata(context, store.metadata) if "alembic_version" not in str(d)]


def _keys(connection: Connection) -> dict[str, Any]:
    found = inspect(connection)
    return {
        "people_pk": found.get_pk_constraint(store.people.name),
        "data_fks": found.get_foreign_keys(store.personal_data.name),
    }


async def _run(url: str, fn: Any) -> Any:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


async def test_migrated_schema_matches_the_store_tables(database_url: str) -> None:
    await asyncio.to_thread(upgrade, "registration", database_url)

    diff = await _run(database_url, _diff)
    keys = await _run(database_url, _keys)

    assert diff == []
    assert keys["people_pk"]["name"] == "pk_registration_people"
    assert set(keys["people_pk"]["constrained_columns"]) == {"case_id", "person_ref"}
    assert keys["data_fks"] == []


def _case(case_id: uuid.UUID) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "case_id": case_id,
        "status": "closed",
        "office": "MX-TAP",
        "fund_period": "2026",
        "requester_type": "civil_society_organisation",
        "requester_name": "Casa",
        "departure_country": "MX",
        "destination_country": "GT",
        "registered_on": date(2026, 1, 1),
        "allow_partial": False,
        "eligibility_exception": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


def _person(case_id: uuid.UUID, ref: str) -> dict[str, Any]:
    return {
        "person_ref": ref,
        "case_id": case_id,
        "position": 0,
        "sex": "female",
        "nationality": "GT",
        "age_years": 30,
        "age_band": "18-59",
        "vulnerability_categories": ["woman_at_risk"],
        "erased_at": None,
    }


def _insert(rows: list[tuple[Any, dict[str, Any]]]) -> Any:
    def run(connection: Connection) -> None:
        for table, row in rows:
            connection.execute(insert(table), [row])
        connection.commit()

    return run


async def test_upgrade_keeps_people_and_downgrade_refuses_a_person_in_two_cases(
    database_url: str,
) -> None:
    await asyncio.to_thread(upgrade, "registration", database_url, "registration_0001")
    first, second, ref = uuid.uuid4(), uuid.uuid4(), "p_" + "a" * 32
    data = {"person_ref": ref, "field": "date_of_birth", "ciphertext": b"x"}
    await _run(
        database_url,
        _insert(
            [
                (store.cases, _case(first)),
                (store.people, _person(first, ref)),
                (store.personal_data, data),
            ]
        ),
    )

    await asyncio.to_thread(upgrade, "registration", database_url)
    await _run(
        database_url, _insert([(store.cases, _case(second)), (store.people, _person(second, ref))])
    )
    with pytest.raises(RuntimeError, match="more than one case"):
        await asyncio.to_thread(downgrade, "registration", database_url, "registration_0001")
    people = await _run(
        database_url, lambda c: c.execute(select(store.people.c.case_id)).scalars().all()
    )

    assert set(people) == {first, second}
