"""Tables of the registration service and every SQL statement on them.

Personal data (names, date of birth, document, contacts, free-text reasons) is held only as
ciphertext from the privacy vault, one row per field, under the person's own key.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
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
    Uuid,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from db.schema import AutoId, MessagingTables, UtcDateTime, service_metadata
from services.registration import domain

SERVICE = "registration"
metadata = service_metadata()
messaging = MessagingTables(metadata, SERVICE)

cases = Table(
    "registration_cases",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("status", String(20), nullable=False, index=True),
    Column("office", String(60), nullable=False, index=True),
    Column("fund_period", String(20), nullable=False),
    Column("requester_type", String(40), nullable=False),
    Column("requester_name", String(200), nullable=False),
    Column("departure_country", String(2), nullable=False),
    Column("destination_country", String(2), nullable=False),
    Column("registered_on", Date, nullable=False),
    Column("allow_partial", Boolean, nullable=False),
    Column("eligibility_exception", String(60), nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

people = Table(
    "registration_people",
    metadata,
    Column("person_ref", String(34), nullable=False, index=True),
    Column("case_id", Uuid, ForeignKey("registration_cases.case_id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("sex", String(10), nullable=False),
    Column("nationality", String(2), nullable=False),
    Column("age_years", Integer, nullable=False),
    Column("age_band", String(8), nullable=False),
    Column("vulnerability_categories", JSON, nullable=False),
    Column("erased_at", UtcDateTime(), nullable=True),
    PrimaryKeyConstraint("case_id", "person_ref"),
)
"""One row per person per case: a returning person has a row in each of their cases."""

personal_data = Table(
    "registration_personal_data",
    metadata,
    Column("person_ref", String(34), primary_key=True),
    Column("field", String(40), primary_key=True),
    Column("ciphertext", LargeBinary, nullable=False),
)

office_personal_data = Table(
    "registration_office_personal_data",
    metadata,
    Column("person_ref", String(34), primary_key=True),
    Column("office", String(60), primary_key=True),
    Column("field", String(40), primary_key=True),
    Column("ciphertext", LargeBinary, nullable=False),
)
"""What an office other than the person's owning office entered itself when it registered the
person again (under the same per-person key); only that office's cases show it."""

transfers = Table(
    "registration_transfers",
    metadata,
    Column("transfer_id", Uuid, primary_key=True),
    Column("person_ref", String(34), nullable=False, index=True),
    Column("from_office", String(60), nullable=False, index=True),
    Column("to_office", String(60), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("reason_code", String(60), nullable=False),
    Column("requested_by", String(120), nullable=False),
    Column("requested_role", String(40), nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("decision_reason_code", String(60), nullable=True),
    Column("decided_by", String(120), nullable=True),
    Column("decided_role", String(40), nullable=True),
    Column("decided_at", UtcDateTime(), nullable=True),
)
"""Requests of an office to read the record held by the person's owning office."""

emergency_reads = Table(
    "registration_emergency_reads",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("person_ref", String(34), nullable=False, index=True),
    Column("office", String(60), nullable=False),
    Column("owning_office", String(60), nullable=False),
    Column("actor_id", String(120), nullable=False),
    Column("actor_role", String(40), nullable=False),
    Column("reason_code", String(60), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)
"""Break-the-glass reads of a record without a transfer, for the DPO's review."""

cost_lines = Table(
    "registration_cost_lines",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("case_id", Uuid, ForeignKey("registration_cases.case_id"), nullable=False, index=True),
    Column("person_ref", String(34), nullable=False),
    Column("category", String(40), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
)

transitions = Table(
    "registration_transitions",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("case_id", Uuid, ForeignKey("registration_cases.case_id"), nullable=False, index=True),
    Column("from_status", String(20), nullable=False),
    Column("to_status", String(20), nullable=False),
    Column("reason_code", String(60), nullable=True),
    Column("failed_checks", JSON, nullable=True),
    Column("detail_person_ref", String(34), nullable=True, index=True),
    Column("detail_field", String(60), nullable=True),
    Column("reason_detail", LargeBinary, nullable=True),
    Column("actor_kind", String(10), nullable=False),
    Column("actor_id", String(120), nullable=False),
    Column("actor_role", String(40), nullable=True),
    Column("event_id", Uuid, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)


corrections = Table(
    "registration_corrections",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("case_id", Uuid, ForeignKey("registration_cases.case_id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("fields", JSON, nullable=False),
    Column("actor_kind", String(10), nullable=False),
    Column("actor_id", String(120), nullable=False),
    Column("actor_role", String(40), nullable=True),
    Column("event_id", Uuid, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)
"""Corrections of a case before screening: the version each made and the NAMES of the fields
corrected (never values); the values are in the case's rows and the vault's ciphertexts."""


async def add_case(
    session: AsyncSession,
    case: dict[str, Any],
    person_rows: Sequence[dict[str, Any]],
    data_rows: Sequence[dict[str, Any]],
    line_rows: Sequence[dict[str, Any]],
) -> None:
    await session.execute(insert(cases), [case])
    await session.execute(insert(people), list(person_rows))
    if data_rows:
        await session.execute(insert(personal_data), list(data_rows))
    if line_rows:
        await session.execute(insert(cost_lines), list(line_rows))


async def replace_office_record(
    session: AsyncSession, person_ref: str, office: str, sealed: dict[str, bytes]
) -> None:
    """The office's own record of the person becomes exactly ``sealed``."""
    t = office_personal_data
    await session.execute(delete(t).where(t.c.person_ref == person_ref, t.c.office == office))
    rows = [
        {"person_ref": person_ref, "office": office, "field": f, "ciphertext": ct}
        for f, ct in sealed.items()
    ]
    if rows:
        await session.execute(insert(t), rows)


async def office_ciphertexts(
    session: AsyncSession, person_ref: str, office: str
) -> dict[str, bytes]:
    t = office_personal_data
    result = await session.execute(
        select(t.c.field, t.c.ciphertext).where(t.c.person_ref == person_ref, t.c.office == office)
    )
    return {row.field: row.ciphertext for row in result}


async def record_offices(session: AsyncSession, person_ref: str) -> set[str]:
    """Offices holding their own record of the person (not the owning office's record)."""
    t = office_personal_data
    result = await session.execute(
        select(t.c.office).where(t.c.person_ref == person_ref).distinct()
    )
    return set(result.scalars())


async def holders(session: AsyncSession, person_ref: str) -> domain.RecordHolders | None:
    """Who holds a record of the person (None: no case has them)."""
    rows = await person_cases(session, person_ref)
    if not rows:
        return None
    return domain.RecordHolders(
        owner=domain.owning_office([r["office"] for r in rows]),
        own_records=frozenset(await record_offices(session, person_ref)),
        granted=frozenset(await granted_offices(session, person_ref)),
    )


async def record_ciphertexts(
    session: AsyncSession, person_ref: str, choice: domain.RecordChoice
) -> dict[str, bytes]:
    """The ciphertexts of the record ``choice`` shows (none when it is withheld)."""
    if choice.kind == "owner":
        return await ciphertexts(session, person_ref)
    if choice.kind == "office" and choice.office is not None:
        return await office_ciphertexts(session, person_ref, choice.office)
    return {}


async def transfers_of(session: AsyncSession, person_ref: str) -> list[RowMapping]:
    t = transfers
    result = await session.execute(
        select(t).where(t.c.person_ref == person_ref).order_by(t.c.requested_at, t.c.transfer_id)
    )
    return list(result.mappings())


async def granted_offices(session: AsyncSession, person_ref: str) -> set[str]:
    """Offices an approved transfer lets read the owning office's record of the person."""
    t = transfers
    result = await session.execute(
        select(t.c.to_office).where(t.c.person_ref == person_ref, t.c.status == "approved")
    )
    return set(result.scalars())


async def get_transfer(
    session: AsyncSession, transfer_id: uuid.UUID, *, lock: bool = False
) -> RowMapping | None:
    query = select(transfers).where(transfers.c.transfer_id == transfer_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).mappings().first()


async def add_transfer(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(transfers), [row])


async def decide_transfer(
    session: AsyncSession, transfer_id: uuid.UUID, status: str, **values: Any
) -> bool:
    """Compare-and-set from ``requested``: False if another decision came first."""
    result = await session.execute(
        update(transfers)
        .where(transfers.c.transfer_id == transfer_id, transfers.c.status == "requested")
        .values(status=status, **values)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def list_transfers(
    session: AsyncSession,
    *,
    offices: Sequence[str] | None,
    status: str | None,
    person_ref: str | None,
    limit: int = 500,
) -> list[RowMapping]:
    """Transfers from or to ``offices`` (every office when None), newest first."""
    t = transfers
    where: list[ColumnElement[bool]] = []
    if offices is not None:
        where.append(t.c.from_office.in_(list(offices)) | t.c.to_office.in_(list(offices)))
    if status is not None:
        where.append(t.c.status == status)
    if person_ref is not None:
        where.append(t.c.person_ref == person_ref)
    result = await session.execute(
        select(t).where(*where).order_by(t.c.requested_at.desc(), t.c.transfer_id).limit(limit)
    )
    return list(result.mappings())


async def add_emergency_read(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(emergency_reads), [row])


async def list_emergency_reads(
    session: AsyncSession, *, person_ref: str | None, limit: int = 1000
) -> list[RowMapping]:
    t = emergency_reads
    query = select(t).order_by(t.c.at.desc(), t.c.id.desc()).limit(limit)
    if person_ref is not None:
        query = query.where(t.c.person_ref == person_ref)
    return list((await session.execute(query)).mappings())


async def add_transition(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(transitions), [row])


async def get_case(session: AsyncSession, case_id: uuid.UUID) -> RowMapping | None:
    result = await session.execute(select(cases).where(cases.c.case_id == case_id))
    return result.mappings().first()


async def load_case(session: AsyncSession, case_id: uuid.UUID) -> RowMapping:
    """The case, or ``CaseNotFoundError``."""
    row = await get_case(session, case_id)
    if row is None:
        raise domain.CaseNotFoundError(f"no case {case_id}")
    return row


async def move(
    session: AsyncSession,
    case_id: uuid.UUID,
    from_status: str,
    to_status: str,
    at: datetime,
    **values: Any,
) -> bool:
    """Compare-and-set the status: False if another writer moved the case first."""
    result = await session.execute(
        update(cases)
        .where(cases.c.case_id == case_id, cases.c.status == from_status)
        .values(status=to_status, updated_at=at, version=cases.c.version + 1, **values)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def people_of(session: AsyncSession, case_ids: Iterable[uuid.UUID]) -> list[RowMapping]:
    result = await session.execute(
        select(people).where(people.c.case_id.in_(list(case_ids))).order_by(people.c.position)
    )
    return list(result.mappings())


async def person_cases(
    session: AsyncSession, person_ref: str, *, lock: bool = False
) -> list[RowMapping]:
    """The person's row in each of their cases with that case's status, oldest case first.

    ``lock`` takes row locks (PostgreSQL) so two registrations of one person serialise; read
    again in a new statement after locking to see a case committed meanwhile.
    """
    query = (
        select(people, cases.c.status, cases.c.office, cases.c.created_at)
        .join(cases, cases.c.case_id == people.c.case_id)
        .where(people.c.person_ref == person_ref)
        .order_by(cases.c.created_at, cases.c.case_id)
    )
    if lock:
        query = query.with_for_update(of=people)
    result = await session.execute(query)
    return list(result.mappings())


async def ciphertexts(session: AsyncSession, person_ref: str) -> dict[str, bytes]:
    result = await session.execute(
        select(personal_data.c.field, personal_data.c.ciphertext).where(
            personal_data.c.person_ref == person_ref
        )
    )
    return {row.field: row.ciphertext for row in result}


async def lines_of(session: AsyncSession, case_id: uuid.UUID) -> list[RowMapping]:
    result = await session.execute(
        select(cost_lines).where(cost_lines.c.case_id == case_id).order_by(cost_lines.c.id)
    )
    return list(result.mappings())


async def history(session: AsyncSession, case_id: uuid.UUID) -> list[RowMapping]:
    result = await session.execute(
        select(transitions).where(transitions.c.case_id == case_id).order_by(transitions.c.id)
    )
    return list(result.mappings())


async def correct_case(
    session: AsyncSession, case_id: uuid.UUID, seen: int, at: datetime, **values: Any
) -> bool:
    """Compare-and-set a correction: False unless the case is still ``registered`` at the
    version ``seen``."""
    result = await session.execute(
        update(cases)
        .where(cases.c.case_id == case_id, cases.c.status == "registered")
        .where(cases.c.version == seen)
        .values(updated_at=at, version=seen + 1, **values)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def correct_person(
    session: AsyncSession, case_id: uuid.UUID, person_ref: str, **facts: Any
) -> None:
    await session.execute(
        update(people)
        .where(people.c.case_id == case_id, people.c.person_ref == person_ref)
        .values(**facts)
    )


async def replace_lines(
    session: AsyncSession, case_id: uuid.UUID, rows: Sequence[dict[str, Any]]
) -> None:
    await session.execute(delete(cost_lines).where(cost_lines.c.case_id == case_id))
    if rows:
        await session.execute(insert(cost_lines), list(rows))


async def replace_fields(
    session: AsyncSession,
    person_ref: str,
    sealed: dict[str, bytes],
    removed: Iterable[str],
    *,
    office: str | None = None,
) -> None:
    """Replace the ciphertexts of some fields of a person's record: the owning office's
    (``office`` None) or the record ``office`` entered itself. ``removed`` fields go."""
    table = personal_data if office is None else office_personal_data
    where = [table.c.person_ref == person_ref]
    if office is not None:
        where.append(office_personal_data.c.office == office)
    names = [*sealed, *removed]
    await session.execute(delete(table).where(*where, table.c.field.in_(names)))
    extra = {} if office is None else {"office": office}
    rows = [
        {"person_ref": person_ref, **extra, "field": f, "ciphertext": ct}
        for f, ct in sealed.items()
    ]
    if rows:
        await session.execute(insert(table), rows)


async def add_correction(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(corrections), [row])


async def corrections_of(session: AsyncSession, case_id: uuid.UUID) -> list[RowMapping]:
    result = await session.execute(
        select(corrections).where(corrections.c.case_id == case_id).order_by(corrections.c.id)
    )
    return list(result.mappings())


async def offices(session: AsyncSession) -> list[str]:
    result = await session.execute(select(cases.c.office).distinct())
    return [row[0] for row in result]


async def list_cases(
    session: AsyncSession, *, offices: Sequence[str], status: str | None, page: int, size: int
) -> tuple[list[RowMapping], int]:
    where: list[ColumnElement[bool]] = [cases.c.office.in_(list(offices))]
    if status is not None:
        where.append(cases.c.status == status)
    total = (await session.execute(select(func.count()).select_from(cases).where(*where))).scalar()
    result = await session.execute(
        select(cases)
        .where(*where)
        .order_by(cases.c.created_at.desc(), cases.c.case_id)
        .limit(size)
        .offset((page - 1) * size)
    )
    return list(result.mappings()), int(total or 0)


async def cases_among(
    session: AsyncSession,
    case_ids: Sequence[uuid.UUID],
    *,
    status: str | None,
    page: int,
    size: int,
) -> tuple[list[RowMapping], int]:
    """A page of the cases ``case_ids`` (of ``status``), newest first, and how many there are."""
    where: list[ColumnElement[bool]] = [cases.c.case_id.in_(list(case_ids))]
    if status is not None:
        where.append(cases.c.status == status)
    total = (await session.execute(select(func.count()).select_from(cases).where(*where))).scalar()
    result = await session.execute(
        select(cases)
        .where(*where)
        .order_by(cases.c.created_at.desc(), cases.c.case_id)
        .limit(size)
        .offset((page - 1) * size)
    )
    return list(result.mappings()), int(total or 0)


async def searchable_records(
    session: AsyncSession, fields: Sequence[str]
) -> list[tuple[str, str | None, dict[str, bytes]]]:
    """Every record's ciphertexts of ``fields``: (person_ref, None for the owning office's
    record or the office of its own record, {field: ciphertext}), person_ref order."""
    found: dict[tuple[str, str | None], dict[str, bytes]] = {}
    own = await session.execute(
        select(personal_data.c.person_ref, personal_data.c.field, personal_data.c.ciphertext)
        .where(personal_data.c.field.in_(list(fields)))
        .order_by(personal_data.c.person_ref)
    )
    for ref, field, ciphertext in own:
        found.setdefault((ref, None), {})[field] = ciphertext
    t = office_personal_data
    others = await session.execute(
        select(t.c.person_ref, t.c.office, t.c.field, t.c.ciphertext)
        .where(t.c.field.in_(list(fields)))
        .order_by(t.c.person_ref, t.c.office)
    )
    for ref, office, field, ciphertext in others:
        found.setdefault((ref, office), {})[field] = ciphertext
    return [(ref, office, sealed) for (ref, office), sealed in found.items()]


async def erase_person(session: AsyncSession, person_ref: str, at: datetime) -> None:
    """Drop everything readable only with the person's destroyed key; keep anonymous facts."""
    await session.execute(delete(personal_data).where(personal_data.c.person_ref == person_ref))
    await session.execute(
        delete(office_personal_data).where(office_personal_data.c.person_ref == person_ref)
    )
    await session.execute(
        update(transitions)
        .where(transitions.c.detail_person_ref == person_ref)
        .values(reason_detail=None, detail_field=None)
    )
    await session.execute(
        update(people)
        .where(people.c.person_ref == person_ref, people.c.erased_at.is_(None))
        .values(erased_at=at)
    )


# --- what registration learns from funding's events (registration_0006) ---------------------

funds = Table(
    "registration_funds",
    metadata,
    Column("period", String(20), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)
"""Projection of ``funding.fund_created``: the periods a case may be registered for, and
the currency its cost lines must be in. Eventually consistent with the funding service."""

funding_decisions = Table(
    "registration_funding_decisions",
    metadata,
    Column("case_id", Uuid, ForeignKey("registration_cases.case_id"), primary_key=True),
    Column("approved", Boolean, nullable=False),
    Column("committed_cents", BigInteger, nullable=False),
    Column("requested_cents", BigInteger, nullable=False),
    Column("decided_at", UtcDateTime(), nullable=False),
    Column("event_id", Uuid, nullable=False),
)
"""The latest ``funding.case_funding_decided`` of each case."""

funding_outcomes = Table(
    "registration_funding_outcomes",
    metadata,
    Column("case_id", Uuid, ForeignKey("registration_cases.case_id"), nullable=False),
    Column("person_ref", String(34), nullable=False),
    Column("approved", Boolean, nullable=False),
    Column("reason", String(40), nullable=True),
    Column("requested_cents", BigInteger, nullable=False),
    Column("committed_cents", BigInteger, nullable=False),
    Column("partial", Boolean, nullable=False),
    Column("remaining_cap_cents", BigInteger, nullable=False),
    Column("available_cents", BigInteger, nullable=True),
    Column("decided_at", UtcDateTime(), nullable=False),
    Column("event_id", Uuid, nullable=False),
    PrimaryKeyConstraint("case_id", "person_ref"),
)
"""The latest ``funding.commitment_approved`` / ``commitment_rejected`` per person of a case."""


async def fund_currency(session: AsyncSession, period: str) -> str | None:
    """The currency of the fund of ``period``; None when registration knows no such fund."""
    result = await session.execute(select(funds.c.currency).where(funds.c.period == period))
    return result.scalar()


async def add_fund(session: AsyncSession, period: str, currency: str, at: datetime) -> None:
    """Record a fund once (a redelivery changes nothing)."""
    if await fund_currency(session, period) is None:
        await session.execute(insert(funds).values(period=period, currency=currency, created_at=at))


async def currencies(session: AsyncSession, periods: Iterable[str]) -> dict[str, str]:
    t = funds
    result = await session.execute(
        select(t.c.period, t.c.currency).where(t.c.period.in_(sorted(set(periods))))
    )
    return {row.period: row.currency for row in result}


async def decisions(session: AsyncSession, case_ids: Sequence[uuid.UUID]) -> dict[Any, RowMapping]:
    t = funding_decisions
    result = await session.execute(select(t).where(t.c.case_id.in_(list(case_ids))))
    return {row["case_id"]: row for row in result.mappings()}


async def outcomes(session: AsyncSession, case_id: uuid.UUID) -> list[RowMapping]:
    t = funding_outcomes
    result = await session.execute(select(t).where(t.c.case_id == case_id))
    return list(result.mappings())


async def _keep_latest(
    session: AsyncSession, table: Table, key: dict[str, Any], values: dict[str, Any]
) -> None:
    """Insert, or replace the stored row only with a decision at least as recent."""
    where = [table.c[name] == value for name, value in key.items()]
    stored = (await session.execute(select(table.c.decided_at).where(*where))).scalar()
    if stored is None:
        await session.execute(insert(table).values(**key, **values))
    elif stored <= values["decided_at"]:
        await session.execute(update(table).where(*where).values(**values))


async def keep_case_decision(
    session: AsyncSession, case_id: uuid.UUID, values: dict[str, Any]
) -> None:
    """The case's latest funding decision (an older one changes nothing)."""
    await _keep_latest(session, funding_decisions, {"case_id": case_id}, values)


async def keep_person_outcome(
    session: AsyncSession, case_id: uuid.UUID, person_ref: str, values: dict[str, Any]
) -> None:
    """The latest decision about one person of a case (an older one changes nothing)."""
    key = {"case_id": case_id, "person_ref": person_ref}
    await _keep_latest(session, funding_outcomes, key, values)


follow_ups = Table(
    "registration_follow_ups",
    metadata,
    Column("case_id", Uuid, ForeignKey("registration_cases.case_id"), nullable=False),
    Column("person_ref", String(34), nullable=False),
    Column("reason_code", String(40), nullable=False),
    Column("closed_on", Date, nullable=False),
    Column("event_id", Uuid, nullable=False),
    PrimaryKeyConstraint("case_id", "person_ref"),
)
"""Each person's follow-up closed by reintegration (``reintegration.case_closed``)."""


async def keep_follow_up_closed(session: AsyncSession, values: dict[str, Any]) -> None:
    """Record a person's closed follow-up once (a redelivery changes nothing)."""
    found = await session.scalar(
        select(follow_ups.c.event_id).where(
            follow_ups.c.case_id == values["case_id"],
            follow_ups.c.person_ref == values["person_ref"],
        )
    )
    if found is None:
        await session.execute(insert(follow_ups).values(**values))


async def follow_up_reasons(session: AsyncSession, case_id: uuid.UUID) -> dict[str, str]:
    """person_ref -> the reason code of their closed follow-up, for a case."""
    rows = await session.execute(
        select(follow_ups.c.person_ref, follow_ups.c.reason_code).where(
            follow_ups.c.case_id == case_id
        )
    )
    return {row.person_ref: row.reason_code for row in rows}
