"""The follow-up's tables and every SQL statement on them.

A plan's schedule is stored when the plan is made, so a later change of the settings never
moves the contacts of plans already made. Free-text notes are stored sealed by the vault
(under the person's key: erasing the person shreds them)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from db.schema import MessagingTables, UtcDateTime, service_metadata

SERVICE = "reintegration"
metadata = service_metadata()
messaging = MessagingTables(metadata, SERVICE)

# Cases as learned from registration: their office and people, until they arrive.
cases = Table(
    "reintegration_cases",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("office", String(60), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

case_people = Table(
    "reintegration_case_people",
    metadata,
    Column("case_id", Uuid, ForeignKey("reintegration_cases.case_id"), nullable=False),
    Column("person_ref", String(34), nullable=False),
    PrimaryKeyConstraint("case_id", "person_ref"),
)

# Offices an approved record transfer lets follow the person up, beside the case's office.
person_offices = Table(
    "reintegration_person_offices",
    metadata,
    Column("person_ref", String(34), nullable=False),
    Column("office", String(60), nullable=False),
    Column("granted_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("person_ref", "office"),
)

plans = Table(
    "reintegration_plans",
    metadata,
    Column("plan_id", Uuid, primary_key=True),
    Column("case_id", Uuid, nullable=False),
    Column("person_ref", String(34), nullable=False, index=True),
    Column("office", String(60), nullable=False, index=True),
    Column("arrived_on", Date, nullable=False),
    Column("plan_due_on", Date, nullable=False),
    Column("drawn_up_on", Date, nullable=True),
    Column("closed_on", Date, nullable=True),
    Column("closure_reason", String(40), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("case_id", "person_ref"),
)

slots = Table(
    "reintegration_slots",
    metadata,
    Column("plan_id", Uuid, ForeignKey("reintegration_plans.plan_id"), nullable=False),
    Column("slot", Integer, nullable=False),
    Column("offset_months", Integer, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("opens_on", Date, nullable=False),
    Column("closes_on", Date, nullable=False, index=True),
    Column("overdue_checked_at", UtcDateTime(), nullable=True),
    PrimaryKeyConstraint("plan_id", "slot"),
)

contacts = Table(
    "reintegration_contacts",
    metadata,
    Column("contact_id", Uuid, primary_key=True),
    Column("plan_id", Uuid, ForeignKey("reintegration_plans.plan_id"), nullable=False, index=True),
    Column("slot", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("contacted_on", Date, nullable=False),
    Column("method", String(20), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("residence", String(30), nullable=True),
    Column("remigration_intention", String(30), nullable=True),
    Column("note_sealed", LargeBinary, nullable=True),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(120), nullable=False),
)

assistance = Table(
    "reintegration_assistance",
    metadata,
    Column("item_id", Uuid, primary_key=True),
    Column("plan_id", Uuid, ForeignKey("reintegration_plans.plan_id"), nullable=False, index=True),
    Column("stage", String(10), nullable=False),
    Column("category", String(40), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("amount_cents", BigInteger, nullable=True),
    Column("on_date", Date, nullable=False),
    Column("contact_id", Uuid, nullable=True),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(120), nullable=False),
)

grants = Table(
    "reintegration_grants",
    metadata,
    # the id of the assistance_recorded event that asked funding: its answer is caused by it
    Column("grant_id", Uuid, primary_key=True),
    Column("plan_id", Uuid, ForeignKey("reintegration_plans.plan_id"), nullable=False, index=True),
    Column("on_date", Date, nullable=False),
    Column("requested_cents", BigInteger, nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("status", String(10), nullable=False),  # requested | committed | refused
    Column("committed_cents", BigInteger, nullable=True),
    Column("refusal_reason", String(40), nullable=True),
    Column("decided_at", UtcDateTime(), nullable=True),
)

surveys = Table(
    "reintegration_surveys",
    metadata,
    Column("survey_id", Uuid, primary_key=True),
    Column("plan_id", Uuid, ForeignKey("reintegration_plans.plan_id"), nullable=False, index=True),
    Column("contact_id", Uuid, nullable=True),
    Column("surveyed_on", Date, nullable=False),
    Column("answers", JSON, nullable=False),  # indicator id -> answer code
    Column("recorded_at", UtcDateTime(), nullable=False),
)

# Scores as decimal text (4 places). One per survey and instrument version: a new version
# adds a row, never rewrites one.
scores = Table(
    "reintegration_scores",
    metadata,
    Column("score_id", Uuid, primary_key=True),
    Column("survey_id", Uuid, ForeignKey("reintegration_surveys.survey_id"), nullable=False),
    Column("plan_id", Uuid, nullable=False, index=True),
    Column("instrument_version", String(40), nullable=False),
    Column("source", String(10), nullable=False),
    Column("economic", String(6), nullable=True),
    Column("social", String(6), nullable=True),
    Column("psychosocial", String(6), nullable=True),
    Column("composite", String(6), nullable=True),
    Column("above_threshold", Boolean, nullable=True),
    Column("answered", Integer, nullable=False),
    Column("missing", Integer, nullable=False),
    Column("scored_at", UtcDateTime(), nullable=False),
    UniqueConstraint("survey_id", "instrument_version"),
)


# --- cases ----------------------------------------------------------------------------------


async def case(session: AsyncSession, case_id: uuid.UUID) -> RowMapping | None:
    row = await session.execute(select(cases).where(cases.c.case_id == case_id))
    return row.mappings().first()


async def add_case(
    session: AsyncSession, case_id: uuid.UUID, office: str, people: Iterable[str], now: datetime
) -> None:
    await session.execute(insert(cases).values(case_id=case_id, office=office, updated_at=now))
    rows = [{"case_id": case_id, "person_ref": ref} for ref in sorted(set(people))]
    await session.execute(insert(case_people), rows)


async def set_case_office(
    session: AsyncSession, case_id: uuid.UUID, office: str, now: datetime
) -> None:
    await session.execute(
        update(cases).where(cases.c.case_id == case_id).values(office=office, updated_at=now)
    )
    await session.execute(
        update(plans)
        .where(plans.c.case_id == case_id, plans.c.closed_on.is_(None))
        .values(office=office)
    )


async def people_of(session: AsyncSession, case_id: uuid.UUID) -> list[str]:
    rows = await session.execute(
        select(case_people.c.person_ref)
        .where(case_people.c.case_id == case_id)
        .order_by(case_people.c.person_ref)
    )
    return list(rows.scalars())


async def grant_office(session: AsyncSession, person_ref: str, office: str, now: datetime) -> None:
    found = await session.execute(
        select(func.count())
        .select_from(person_offices)
        .where(person_offices.c.person_ref == person_ref, person_offices.c.office == office)
    )
    if not found.scalar_one():
        await session.execute(
            insert(person_offices).values(person_ref=person_ref, office=office, granted_at=now)
        )


async def granted_offices(session: AsyncSession, person_ref: str) -> list[str]:
    rows = await session.execute(
        select(person_offices.c.office)
        .where(person_offices.c.person_ref == person_ref)
        .order_by(person_offices.c.office)
    )
    return list(rows.scalars())


# --- plans ----------------------------------------------------------------------------------


async def plan(
    session: AsyncSession, plan_id: uuid.UUID, *, lock: bool = False
) -> RowMapping | None:
    query = select(plans).where(plans.c.plan_id == plan_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).mappings().first()


async def plan_and_offices(
    session: AsyncSession, plan_id: uuid.UUID
) -> tuple[RowMapping | None, list[str]]:
    """A plan and the offices an approved transfer lets follow its person up."""
    found = await plan(session, plan_id)
    if found is None:
        return None, []
    return found, await granted_offices(session, found["person_ref"])


async def plan_of(session: AsyncSession, case_id: uuid.UUID, person_ref: str) -> RowMapping | None:
    query = select(plans).where(plans.c.case_id == case_id, plans.c.person_ref == person_ref)
    return (await session.execute(query)).mappings().first()


async def plans_of_case(session: AsyncSession, case_id: uuid.UUID) -> list[RowMapping]:
    """The plans of a case's people (one per person who arrived), by person_ref."""
    query = select(plans).where(plans.c.case_id == case_id).order_by(plans.c.person_ref)
    return list((await session.execute(query)).mappings())


async def add_plan(
    session: AsyncSession, row: dict[str, Any], slot_rows: list[dict[str, Any]]
) -> None:
    await session.execute(insert(plans).values(**row))
    await session.execute(insert(slots), slot_rows)


async def set_drawn_up(session: AsyncSession, plan_id: uuid.UUID, on: date) -> None:
    await session.execute(update(plans).where(plans.c.plan_id == plan_id).values(drawn_up_on=on))


async def close_plan(session: AsyncSession, plan_id: uuid.UUID, on: date, reason: str) -> None:
    await session.execute(
        update(plans).where(plans.c.plan_id == plan_id).values(closed_on=on, closure_reason=reason)
    )


async def open_plans(
    session: AsyncSession, offices: Sequence[str] | None, *, arrived_before: date | None = None
) -> list[RowMapping]:
    """Open plans of ``offices`` (their cases' office, or an office an approved transfer
    lets follow the person up); None: every office."""
    query = select(plans).where(plans.c.closed_on.is_(None))
    if offices is not None:
        granted = select(person_offices.c.person_ref).where(person_offices.c.office.in_(offices))
        query = query.where(plans.c.office.in_(offices) | plans.c.person_ref.in_(granted))
    if arrived_before is not None:
        query = query.where(plans.c.arrived_on <= arrived_before)
    rows = await session.execute(query.order_by(plans.c.plan_id))
    return list(rows.mappings())


async def open_plans_of_case(session: AsyncSession, case_id: uuid.UUID) -> list[RowMapping]:
    query = (
        select(plans)
        .where(plans.c.case_id == case_id, plans.c.closed_on.is_(None))
        .order_by(plans.c.plan_id)
        .with_for_update()
    )
    return list((await session.execute(query)).mappings())


async def plans_in(session: AsyncSession, offices: Sequence[str] | None) -> list[RowMapping]:
    query = select(plans)
    if offices is not None:
        query = query.where(plans.c.office.in_(offices))
    return list((await session.execute(query.order_by(plans.c.plan_id))).mappings())


# --- slots and contacts ---------------------------------------------------------------------


async def slots_of(session: AsyncSession, plan_ids: Sequence[uuid.UUID]) -> list[RowMapping]:
    if not plan_ids:
        return []
    rows = await session.execute(
        select(slots).where(slots.c.plan_id.in_(plan_ids)).order_by(slots.c.plan_id, slots.c.slot)
    )
    return list(rows.mappings())


async def contacts_of(session: AsyncSession, plan_ids: Sequence[uuid.UUID]) -> list[RowMapping]:
    if not plan_ids:
        return []
    rows = await session.execute(
        select(contacts)
        .where(contacts.c.plan_id.in_(plan_ids))
        .order_by(contacts.c.plan_id, contacts.c.contacted_on, contacts.c.recorded_at)
    )
    return list(rows.mappings())


async def contact(
    session: AsyncSession, plan_id: uuid.UUID, contact_id: uuid.UUID
) -> RowMapping | None:
    rows = await session.execute(
        select(contacts).where(contacts.c.plan_id == plan_id, contacts.c.contact_id == contact_id)
    )
    return rows.mappings().first()


async def add_contact(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(contacts).values(**row))


async def overdue_candidates(session: AsyncSession, today: date, limit: int) -> list[RowMapping]:
    """Slots of open plans whose window closed before ``today`` that the overdue check has
    not looked at since (it looks once: a slot settled by then is never overdue)."""
    rows = await session.execute(
        select(slots, plans.c.case_id, plans.c.person_ref, plans.c.office)
        .join(plans, plans.c.plan_id == slots.c.plan_id)
        .where(
            plans.c.closed_on.is_(None),
            slots.c.closes_on < today,
            slots.c.overdue_checked_at.is_(None),
        )
        .order_by(slots.c.closes_on, slots.c.plan_id, slots.c.slot)
        .limit(limit)
    )
    return list(rows.mappings())


async def mark_overdue_checked(
    session: AsyncSession, plan_id: uuid.UUID, slot: int, now: datetime
) -> None:
    await session.execute(
        update(slots)
        .where(slots.c.plan_id == plan_id, slots.c.slot == slot)
        .values(overdue_checked_at=now)
    )


# --- assistance, surveys, scores ------------------------------------------------------------


async def add_assistance(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(assistance), rows)


async def assistance_of(session: AsyncSession, plan_id: uuid.UUID) -> list[RowMapping]:
    rows = await session.execute(
        select(assistance)
        .where(assistance.c.plan_id == plan_id)
        .order_by(assistance.c.on_date, assistance.c.recorded_at)
    )
    return list(rows.mappings())


async def add_grant(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(grants).values(**row))


async def grant(session: AsyncSession, grant_id: uuid.UUID) -> RowMapping | None:
    query = select(grants).where(grants.c.grant_id == grant_id)
    return (await session.execute(query)).mappings().first()


async def decide_grant(session: AsyncSession, grant_id: uuid.UUID, **values: Any) -> None:
    await session.execute(update(grants).where(grants.c.grant_id == grant_id).values(**values))


async def grants_of(session: AsyncSession, plan_id: uuid.UUID) -> list[RowMapping]:
    rows = await session.execute(
        select(grants)
        .where(grants.c.plan_id == plan_id)
        .order_by(grants.c.on_date, grants.c.requested_at, grants.c.grant_id)
    )
    return list(rows.mappings())


async def add_survey(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(surveys).values(**row))


async def latest_survey(session: AsyncSession, plan_id: uuid.UUID) -> RowMapping | None:
    rows = await session.execute(
        select(surveys)
        .where(surveys.c.plan_id == plan_id)
        .order_by(surveys.c.surveyed_on.desc(), surveys.c.recorded_at.desc())
        .limit(1)
    )
    return rows.mappings().first()


async def forget_person(session: AsyncSession, person_ref: str) -> None:
    """After erasure: the person's survey answers and sealed notes go (scores, dates and
    codes stay: they name nobody once the person's data is gone)."""
    mine = select(plans.c.plan_id).where(plans.c.person_ref == person_ref)
    await session.execute(update(surveys).where(surveys.c.plan_id.in_(mine)).values(answers={}))
    await session.execute(
        update(contacts).where(contacts.c.plan_id.in_(mine)).values(note_sealed=None)
    )


async def add_score(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(scores).values(**row))


async def score_exists(session: AsyncSession, survey_id: uuid.UUID, version: str) -> bool:
    found = await session.execute(
        select(func.count())
        .select_from(scores)
        .where(scores.c.survey_id == survey_id, scores.c.instrument_version == version)
    )
    return bool(found.scalar_one())


async def scores_of(session: AsyncSession, plan_id: uuid.UUID) -> list[RowMapping]:
    rows = await session.execute(
        select(scores, surveys.c.surveyed_on)
        .join(surveys, surveys.c.survey_id == scores.c.survey_id)
        .where(scores.c.plan_id == plan_id)
        .order_by(surveys.c.surveyed_on, scores.c.scored_at)
    )
    return list(rows.mappings())
