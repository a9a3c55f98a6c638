"""The evaluation service's tables: the read model (non-identifying facts), the exports made
and the ledger of what was published; every SQL statement as a function of a session.

The read model keeps no person_ref and no case id. Events about a case or a person are
matched to their row by a *surrogate key*, the SHA-256 of the id under this service's own
prefix, truncated: it joins the events of one case, it is never in an export, and it does not
change when the person's personal data is erased (nothing here is personal data).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    Float,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Uuid,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.schema import AutoId, MessagingTables, UtcDateTime, service_metadata

metadata = service_metadata()
messaging = MessagingTables(metadata, "evaluation")

cases = Table(
    "evaluation_cases",
    metadata,
    Column("case_key", String(32), primary_key=True),
    Column("month", String(7), nullable=False),  # of registration, YYYY-MM
    Column("office", String(60), nullable=False),
    Column("departure_country", String(2), nullable=False),
    Column("destination_country", String(2), nullable=False),
    Column("status", String(20), nullable=False),
    Column("outcome", String(12), nullable=True),  # withdrawn | ineligible | returned
)

people = Table(
    "evaluation_people",
    metadata,
    Column("case_key", String(32), nullable=False),
    Column("person_key", String(32), nullable=False),
    Column("sex", String(10), nullable=False),
    Column("age_band", String(12), nullable=False),
    Column("categories", JSON, nullable=False),  # sorted list of category codes
    PrimaryKeyConstraint("case_key", "person_key"),
)

amounts = Table(
    "evaluation_amounts",
    metadata,
    Column("case_key", String(32), nullable=False),
    Column("person_key", String(32), nullable=False),
    Column("cost_category", String(40), nullable=False),
    Column("committed_cents", BigInteger, nullable=False),
    Column("paid_cents", BigInteger, nullable=False),
    PrimaryKeyConstraint("case_key", "person_key", "cost_category"),
)

followups = Table(
    "evaluation_followups",
    metadata,
    Column("case_key", String(32), nullable=False),
    Column("person_key", String(32), nullable=False),
    Column("instrument_version", String(40), nullable=True),  # of the latest score
    Column("surveyed_on", Date, nullable=True),  # which score is the latest; never exported
    Column("economic", Float, nullable=True),
    Column("social", Float, nullable=True),
    Column("psychosocial", Float, nullable=True),
    Column("composite", Float, nullable=True),
    Column("residence", String(20), nullable=True),  # at the latest contact that reached them
    Column("remigration_intention", String(20), nullable=True),
    Column("slots", JSON, nullable=False),  # {"1": "done" | "settled" | "overdue"}
    Column("closure", String(20), nullable=False),  # reason code, or "open"
    PrimaryKeyConstraint("case_key", "person_key"),
)

exports = Table(
    "evaluation_exports",
    metadata,
    Column("export_id", Uuid, primary_key=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(120), nullable=False),
    Column("role", String(40), nullable=False),
    Column("trigger", String(10), nullable=False),  # request | schedule
    Column("period", String(20), nullable=False),
    Column("first_month", String(7), nullable=False),
    Column("last_month", String(7), nullable=False),
    Column("format", String(10), nullable=False),
    Column("tables", JSON, nullable=False),
    Column("parameters", JSON, nullable=False),
    Column("row_counts", JSON, nullable=False),
    Column("suppressed", JSON, nullable=False),
    Column("files", JSON, nullable=False),
)

releases = Table(
    "evaluation_releases",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("export_id", Uuid, nullable=False, index=True),
    Column("population", String(60), nullable=False),
    Column("table_key", String(200), nullable=False),
    Column("position", Integer, nullable=False),
    Column("release", JSON, nullable=False),  # domain.ledger.Release as JSON
)


def export_dir(data_dir: Path, export_id: uuid.UUID) -> Path:
    """Where an export's files are stored: ``data_dir/exports/<id>/``."""
    return Path(data_dir) / "exports" / str(export_id)


def surrogate(value: object) -> str:
    """The read model's key for a case or a person: never the id itself."""
    return hashlib.sha256(f"retorno-evaluation:{value}".encode()).hexdigest()[:32]


# --- read model -----------------------------------------------------------------------------


async def case(session: AsyncSession, case_key: str) -> dict[str, Any] | None:
    row = (await session.execute(select(cases).where(cases.c.case_key == case_key))).first()
    return None if row is None else dict(row._mapping)


async def add_case(
    session: AsyncSession, row: dict[str, Any], persons: Sequence[dict[str, Any]]
) -> None:
    await session.execute(insert(cases), [row])
    if persons:
        await session.execute(insert(people), list(persons))


async def set_case(session: AsyncSession, case_key: str, **values: Any) -> None:
    await session.execute(update(cases).where(cases.c.case_key == case_key).values(**values))


async def set_person(session: AsyncSession, case_key: str, person_key: str, **values: Any) -> None:
    await session.execute(
        update(people)
        .where(people.c.case_key == case_key, people.c.person_key == person_key)
        .values(**values)
    )


async def add_amount(
    session: AsyncSession,
    case_key: str,
    person_key: str,
    cost_category: str,
    *,
    committed: int = 0,
    paid: int = 0,
) -> None:
    """Add to a person's committed and paid cents of one cost category (negative: reversed)."""
    where = (
        amounts.c.case_key == case_key,
        amounts.c.person_key == person_key,
        amounts.c.cost_category == cost_category,
    )
    found = (await session.execute(select(amounts.c.case_key).where(*where))).first()
    if found is None:
        await session.execute(
            insert(amounts),
            [
                {
                    "case_key": case_key,
                    "person_key": person_key,
                    "cost_category": cost_category,
                    "committed_cents": max(committed, 0),
                    "paid_cents": max(paid, 0),
                }
            ],
        )
        return
    await session.execute(
        update(amounts)
        .where(*where)
        .values(
            committed_cents=amounts.c.committed_cents + committed,
            paid_cents=amounts.c.paid_cents + paid,
        )
    )


async def followup(session: AsyncSession, case_key: str, person_key: str) -> dict[str, Any] | None:
    row = (
        await session.execute(
            select(followups).where(
                followups.c.case_key == case_key, followups.c.person_key == person_key
            )
        )
    ).first()
    return None if row is None else dict(row._mapping)


async def start_followup(session: AsyncSession, case_key: str, person_key: str) -> None:
    """The person's follow-up began (their plan was made): open, nothing known yet."""
    if await followup(session, case_key, person_key) is None:
        await session.execute(
            insert(followups),
            [{"case_key": case_key, "person_key": person_key, "slots": {}, "closure": "open"}],
        )


async def set_followup(
    session: AsyncSession, case_key: str, person_key: str, **values: Any
) -> None:
    await start_followup(session, case_key, person_key)
    await session.execute(
        update(followups)
        .where(followups.c.case_key == case_key, followups.c.person_key == person_key)
        .values(**values)
    )


async def fact_rows(
    session: AsyncSession, months: Sequence[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The people of the cases of ``months`` with an outcome (with their follow-up, if any),
    and their amounts, in a fixed order (by case key, then person key: the same data reads
    the same way)."""
    joined = (
        select(
            people.c.case_key,
            people.c.person_key,
            people.c.sex,
            people.c.age_band,
            people.c.categories,
            cases.c.month,
            cases.c.office,
            cases.c.departure_country,
            cases.c.destination_country,
            cases.c.outcome,
            followups.c.instrument_version,
            followups.c.economic,
            followups.c.social,
            followups.c.psychosocial,
            followups.c.composite,
            followups.c.residence,
            followups.c.remigration_intention,
            followups.c.slots,
            followups.c.closure,
        )
        .join(cases, cases.c.case_key == people.c.case_key)
        .outerjoin(
            followups,
            (followups.c.case_key == people.c.case_key)
            & (followups.c.person_key == people.c.person_key),
        )
        .where(cases.c.month.in_(list(months)), cases.c.outcome.is_not(None))
        .order_by(people.c.case_key, people.c.person_key)
    )
    persons = [dict(r._mapping) for r in (await session.execute(joined))]
    money = (
        select(amounts)
        .join(cases, cases.c.case_key == amounts.c.case_key)
        .where(cases.c.month.in_(list(months)), cases.c.outcome.is_not(None))
        .order_by(amounts.c.case_key, amounts.c.person_key, amounts.c.cost_category)
    )
    return persons, [dict(r._mapping) for r in (await session.execute(money))]


async def first_month(session: AsyncSession) -> str | None:
    row = (
        await session.execute(
            select(cases.c.month)
            .where(cases.c.outcome.is_not(None))
            .order_by(cases.c.month)
            .limit(1)
        )
    ).first()
    return None if row is None else str(row[0])


# --- exports and the ledger -----------------------------------------------------------------


async def add_export(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(exports), [row])


async def export(session: AsyncSession, export_id: uuid.UUID) -> dict[str, Any] | None:
    row = (await session.execute(select(exports).where(exports.c.export_id == export_id))).first()
    return None if row is None else dict(row._mapping)


async def all_exports(session: AsyncSession, limit: int, offset: int) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(exports)
        .order_by(exports.c.created_at.desc(), exports.c.export_id)
        .limit(limit)
        .offset(offset)
    )
    return [dict(r._mapping) for r in rows]


async def exported_periods(session: AsyncSession, trigger: str) -> set[str]:
    rows = await session.execute(select(exports.c.period).where(exports.c.trigger == trigger))
    return {str(r[0]) for r in rows}


# Any fixed 64-bit key: the evaluation ledger's advisory lock on PostgreSQL.
LEDGER_LOCK = 0x52455456414C4544


async def lock_ledger(session: AsyncSession) -> None:
    """Exports are checked against the ledger one at a time: two made at once must not both
    pass the differencing guard without seeing each other. SQLite's writer transaction
    (BEGIN IMMEDIATE) already serialises them; PostgreSQL takes a transaction-level lock."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LEDGER_LOCK})


async def all_releases(session: AsyncSession) -> list[dict[str, Any]]:
    rows = await session.execute(select(releases.c.release).order_by(releases.c.id))
    return [dict(r[0]) for r in rows]


async def add_releases(
    session: AsyncSession, export_id: uuid.UUID, population: str, items: Sequence[tuple[str, Any]]
) -> None:
    if not items:
        return
    await session.execute(
        insert(releases),
        [
            {
                "export_id": export_id,
                "population": population,
                "table_key": key,
                "position": i,
                "release": release,
            }
            for i, (key, release) in enumerate(items)
        ],
    )
