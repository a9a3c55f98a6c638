"""The funding service's tables and every SQL statement on them (functions of a session).

Running totals live on the fund row and the person's ledger row; those are the rows locked (fund first, then people by reference) before a rule is checked."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    Row,
    Select,
    String,
    Table,
    Uuid,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.schema import AutoId, MessagingTables, UtcDateTime, service_metadata
from services.funding.domain import (
    CaseStatus,
    CommitmentState,
    FundTotals,
    LedgerFilter,
    Line,
    MemberTotals,
    PersonPosition,
    Reversed,
    case_status,
)
from services.funding.domain.money import Share

metadata = service_metadata()
messaging = MessagingTables(metadata, "funding")

funds = Table(
    "funding_funds",
    metadata,
    Column("period", String(20), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("per_person_cap_cents", BigInteger, nullable=False),
    Column("target_cents", BigInteger, nullable=False),
    Column("received_cents", BigInteger, nullable=False, default=0),
    Column("committed_cents", BigInteger, nullable=False, default=0),
    Column("disbursed_cents", BigInteger, nullable=False, default=0),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(120), nullable=False),
)

member_shares = Table(
    "funding_member_shares",
    metadata,
    Column("period", String(20), ForeignKey("funding_funds.period"), nullable=False),
    Column("member", String(2), nullable=False),
    Column("share_percent", String(40), nullable=False),
    Column("expected_cents", BigInteger, nullable=False),
    PrimaryKeyConstraint("period", "member"),
)


def _contribution_table(name: str) -> Table:
    return Table(
        f"funding_{name}",
        metadata,
        Column("id", AutoId, primary_key=True, autoincrement=True),
        # The entry's stable id (in its event, its listing and its reversal); since funding_0003.
        Column("entry_id", Uuid, nullable=False, unique=True),
        Column("period", String(20), ForeignKey("funding_funds.period"), nullable=False),
        Column("member", String(2), nullable=False),
        Column("amount_cents", BigInteger, nullable=False),
        Column("on_date", Date, nullable=False),
        Column("recorded_at", UtcDateTime(), nullable=False),
        Column("recorded_by", String(120), nullable=False),
    )


pledges = _contribution_table("pledges")
receipts = _contribution_table("receipts")

# Cases as learned from registration events. status: a ``domain.CaseStatus`` (registered,
# ineligible, funded, unfunded, withdrawn, cancelled), moved only by ``domain.case_after``.
cases = Table(
    "funding_cases",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("period", String(20), nullable=False),
    Column("office", String(60), nullable=False),
    Column("destination_country", String(2), nullable=False),
    Column("allow_partial", Boolean, nullable=False),
    Column("status", String(20), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

case_people = Table(
    "funding_case_people",
    metadata,
    Column("case_id", Uuid, ForeignKey("funding_cases.case_id"), nullable=False),
    Column("person_ref", String(34), nullable=False),
    PrimaryKeyConstraint("case_id", "person_ref"),
)

case_lines = Table(
    "funding_case_lines",
    metadata,
    Column("case_id", Uuid, ForeignKey("funding_cases.case_id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("person_ref", String(34), nullable=False),
    Column("category", String(40), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    PrimaryKeyConstraint("case_id", "position"),
)

person_ledger = Table(
    "funding_person_ledger",
    metadata,
    Column("period", String(20), ForeignKey("funding_funds.period"), nullable=False),
    Column("person_ref", String(34), nullable=False),
    Column("committed_cents", BigInteger, nullable=False, default=0),
    Column("disbursed_cents", BigInteger, nullable=False, default=0),
    PrimaryKeyConstraint("period", "person_ref"),
)

commitments = Table(
    "funding_commitments",
    metadata,
    Column("commitment_id", Uuid, primary_key=True),
    Column("period", String(20), ForeignKey("funding_funds.period"), nullable=False),
    Column("case_id", Uuid, nullable=False, index=True),
    Column("person_ref", String(34), nullable=False, index=True),
    Column("requested_cents", BigInteger, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("disbursed_cents", BigInteger, nullable=False, default=0),
    Column("released_cents", BigInteger, nullable=False, default=0),
    Column("partial", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("origin", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(120), nullable=False),
)

commitment_lines = Table(
    "funding_commitment_lines",
    metadata,
    Column("commitment_id", Uuid, ForeignKey("funding_commitments.commitment_id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("category", String(40), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    PrimaryKeyConstraint("commitment_id", "position"),
)

disbursements = Table(
    "funding_disbursements",
    metadata,
    Column("disbursement_id", Uuid, primary_key=True),
    Column("commitment_id", Uuid, ForeignKey("funding_commitments.commitment_id"), nullable=False),
    Column("period", String(20), ForeignKey("funding_funds.period"), nullable=False),
    Column("category", String(40), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(120), nullable=False),
)

attributions = Table(
    "funding_attributions",
    metadata,
    Column(
        "disbursement_id",
        Uuid,
        ForeignKey("funding_disbursements.disbursement_id"),
        nullable=False,
    ),
    Column("member", String(2), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    PrimaryKeyConstraint("disbursement_id", "member"),
)

# Compensating entries: a pledge, receipt or payment is never edited or deleted; a mistaken one
# is reversed by one row here (its whole amount, once: entry_id is unique), with a reason code.
reversals = Table(
    "funding_reversals",
    metadata,
    Column("reversal_id", Uuid, primary_key=True),
    Column("kind", String(10), nullable=False),  # pledge | receipt | payment
    Column("entry_id", Uuid, nullable=False, unique=True),
    Column("period", String(20), ForeignKey("funding_funds.period"), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("reason_code", String(40), nullable=False),
    Column("reversed_on", Date, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(120), nullable=False),
)


# --- statements ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Fund:
    period: str
    currency: str
    cap_cents: int
    target_cents: int
    received_cents: int
    committed_cents: int
    disbursed_cents: int


@dataclass(frozen=True)
class Case:
    case_id: uuid.UUID
    period: str
    office: str
    status: CaseStatus
    allow_partial: bool


def _fund(row: Row[Any]) -> Fund:
    return Fund(
        row.period,
        row.currency,
        row.per_person_cap_cents,
        row.target_cents,
        row.received_cents,
        row.committed_cents,
        row.disbursed_cents,
    )


async def fund(session: AsyncSession, period: str, *, lock: bool = False) -> Fund | None:
    """The fund row; ``lock`` takes it FOR UPDATE (always the first lock a writer takes)."""
    query = select(funds).where(funds.c.period == period)
    if lock:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return _fund(row) if row else None


async def fund_periods(session: AsyncSession, limit: int) -> list[str]:
    """The periods of the funds defined, newest period first (at most ``limit``)."""
    query = select(funds.c.period).order_by(funds.c.period.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def add_to_fund(session: AsyncSession, period: str, **deltas: int) -> None:
    c = funds.c
    values = {f"{k}_cents": getattr(c, f"{k}_cents") + v for k, v in deltas.items() if v}
    if values:
        await session.execute(update(funds).where(c.period == period).values(**values))


async def shares(session: AsyncSession, period: str) -> tuple[Share, ...]:
    t = member_shares
    rows = await session.execute(select(t).where(t.c.period == period).order_by(t.c.member))
    return tuple(Share(r.member, Decimal(r.share_percent)) for r in rows)


async def lock_people(session: AsyncSession, period: str, refs: Iterable[str]) -> dict[str, int]:
    """Each person's committed total in the fund, their ledger rows locked in ref order."""
    ordered = sorted(set(refs))
    if not ordered:
        return {}
    t = person_ledger
    rows = [
        {"period": period, "person_ref": r, "committed_cents": 0, "disbursed_cents": 0}
        for r in ordered
    ]
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    await session.execute(module.insert(t).values(rows).on_conflict_do_nothing())
    query = (
        select(t.c.person_ref, t.c.committed_cents)
        .where(t.c.period == period, t.c.person_ref.in_(ordered))
        .order_by(t.c.person_ref)
        .with_for_update()
    )
    return {r.person_ref: r.committed_cents for r in await session.execute(query)}


async def add_to_person(session: AsyncSession, period: str, ref: str, **deltas: int) -> None:
    c = person_ledger.c
    values = {f"{k}_cents": getattr(c, f"{k}_cents") + v for k, v in deltas.items() if v}
    if values:
        await session.execute(
            update(person_ledger).where(c.period == period, c.person_ref == ref).values(**values)
        )


async def case(session: AsyncSession, case_id: uuid.UUID) -> Case | None:
    t = cases
    row = (await session.execute(select(t).where(t.c.case_id == case_id))).first()
    if row is None:
        return None
    return Case(row.case_id, row.period, row.office, case_status(row.status), row.allow_partial)


async def set_case_status(
    session: AsyncSession, case_id: uuid.UUID, status: CaseStatus, at: datetime
) -> None:
    t = cases
    await session.execute(
        update(t).where(t.c.case_id == case_id).values(status=status, updated_at=at)
    )


async def people_of_case(session: AsyncSession, case_id: uuid.UUID) -> list[str]:
    t = case_people
    rows = await session.execute(
        select(t.c.person_ref).where(t.c.case_id == case_id).order_by(t.c.person_ref)
    )
    return list(rows.scalars())


async def lines_of_case(
    session: AsyncSession, case_id: uuid.UUID
) -> dict[str, list[tuple[Line, str]]]:
    """Requested lines per person (with their currency), in the order registered."""
    t = case_lines
    rows = await session.execute(select(t).where(t.c.case_id == case_id).order_by(t.c.position))
    found: dict[str, list[tuple[Line, str]]] = {}
    for r in rows:
        found.setdefault(r.person_ref, []).append((Line(r.category, r.amount_cents), r.currency))
    return found


@dataclass(frozen=True)
class Commitment:
    commitment_id: uuid.UUID
    period: str
    case_id: uuid.UUID
    person_ref: str
    state: CommitmentState


def _commitment(r: Row[Any]) -> Commitment:
    state = CommitmentState(r.amount_cents, r.disbursed_cents, r.released_cents, r.active)
    return Commitment(r.commitment_id, r.period, r.case_id, r.person_ref, state)


async def commitment(
    session: AsyncSession, commitment_id: uuid.UUID, *, lock: bool = False
) -> Commitment | None:
    query = select(commitments).where(commitments.c.commitment_id == commitment_id)
    if lock:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return _commitment(row) if row else None


async def line_totals(
    session: AsyncSession, commitment_id: uuid.UUID
) -> tuple[dict[str, int], dict[str, int]]:
    """Per cost category of a commitment: the amount committed, and the amount paid."""
    lines, paid = commitment_lines, disbursements
    committed = await session.execute(
        select(lines.c.category, func.sum(lines.c.amount_cents))
        .where(lines.c.commitment_id == commitment_id)
        .group_by(lines.c.category)
    )
    payments = await session.execute(
        select(paid.c.category, func.sum(paid.c.amount_cents))
        .where(paid.c.commitment_id == commitment_id, not_reversed(paid.c.disbursement_id))
        .group_by(paid.c.category)
    )
    return (
        {category: int(total) for category, total in committed},
        {category: int(total) for category, total in payments},
    )


async def active_commitments(session: AsyncSession, case_id: uuid.UUID) -> list[Commitment]:
    t = commitments
    query = (
        select(t)
        .where(t.c.case_id == case_id, t.c.active.is_(True))
        .order_by(t.c.person_ref, t.c.commitment_id)
        .with_for_update()
    )
    return [_commitment(r) for r in await session.execute(query)]


async def insert_rows(session: AsyncSession, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(table), rows)


def not_reversed(entry_id: Any) -> Any:
    """Entries (pledges, receipts, payments) with no reversal: the net ledger."""
    r = reversals
    return ~select(r.c.entry_id).where(r.c.entry_id == entry_id).exists()


async def member_totals(session: AsyncSession, table: Any, period: str) -> dict[str, int]:
    """Each member's pledged (or received) total, net of reversed entries."""
    query = (
        select(table.c.member, func.sum(table.c.amount_cents))
        .where(table.c.period == period, not_reversed(table.c.entry_id))
        .group_by(table.c.member)
    )
    return {m: int(total) for m, total in await session.execute(query)}


async def member_attributed(session: AsyncSession, period: str) -> dict[str, int]:
    """Each member's part of the fund's payments, net of reversed payments (a reversal takes
    back exactly the parts its payment attributed)."""
    a, d = attributions, disbursements
    query = (
        select(a.c.member, func.sum(a.c.amount_cents))
        .join(d, d.c.disbursement_id == a.c.disbursement_id)
        .where(d.c.period == period, not_reversed(d.c.disbursement_id))
        .group_by(a.c.member)
    )
    return {m: int(total) for m, total in await session.execute(query)}


async def unused_receipts(session: AsyncSession, period: str) -> dict[str, int]:
    """Each member's received money not yet attributed to a disbursement."""
    received = await member_totals(session, receipts, period)
    used = await member_attributed(session, period)
    return {m: cents - used.get(m, 0) for m, cents in received.items()}


# --- cases ---------------------------------------------------------------------------------


async def correct_case(
    session: AsyncSession,
    case_id: uuid.UUID,
    *,
    period: str,
    destination_country: str,
    allow_partial: bool,
    at: datetime,
) -> None:
    await session.execute(
        update(cases)
        .where(cases.c.case_id == case_id)
        .values(
            period=period,
            destination_country=destination_country,
            allow_partial=allow_partial,
            updated_at=at,
        )
    )


async def replace_case_lines(
    session: AsyncSession, case_id: uuid.UUID, rows: list[dict[str, Any]]
) -> None:
    await session.execute(delete(case_lines).where(case_lines.c.case_id == case_id))
    await insert_rows(session, case_lines, rows)


# --- commitments, payments, reversals ------------------------------------------------------


async def add_to_commitment(session: AsyncSession, commitment_id: uuid.UUID, **deltas: int) -> None:
    c = commitments.c
    values = {f"{k}_cents": getattr(c, f"{k}_cents") + v for k, v in deltas.items() if v}
    if values:
        await session.execute(
            update(commitments).where(c.commitment_id == commitment_id).values(**values)
        )


async def close_commitment(
    session: AsyncSession, commitment_id: uuid.UUID, released_cents: int
) -> None:
    await session.execute(
        update(commitments)
        .where(commitments.c.commitment_id == commitment_id)
        .values(active=False, released_cents=released_cents)
    )


async def reversal_of(session: AsyncSession, entry_id: uuid.UUID) -> Reversed | None:
    r = reversals.c
    row = (
        await session.execute(
            select(r.reversal_id, r.reason_code, r.reversed_on).where(r.entry_id == entry_id)
        )
    ).first()
    return Reversed(str(row.reversal_id), row.reason_code, row.reversed_on) if row else None


async def contribution(
    session: AsyncSession, table: Table, period: str, entry_id: uuid.UUID
) -> Row[Any] | None:
    """A pledge or receipt of fund ``period``."""
    query = select(table).where(table.c.entry_id == entry_id, table.c.period == period)
    return (await session.execute(query)).first()


async def payment(session: AsyncSession, payment_id: uuid.UUID) -> Row[Any] | None:
    d = disbursements
    return (await session.execute(select(d).where(d.c.disbursement_id == payment_id))).first()


async def attributions_of(session: AsyncSession, payment_id: uuid.UUID) -> dict[str, int]:
    a = attributions.c
    rows = await session.execute(
        select(a.member, a.amount_cents).where(a.disbursement_id == payment_id)
    )
    return {m: int(cents) for m, cents in rows}


# --- positions -----------------------------------------------------------------------------


async def fund_totals(session: AsyncSession, period: str) -> FundTotals | None:
    """A fund's running totals and each member's expected, pledged and received money."""
    found = await fund(session, period)
    if found is None:
        return None
    t = member_shares
    rows = await session.execute(select(t).where(t.c.period == period).order_by(t.c.member))
    pledged = await member_totals(session, pledges, period)
    received = await member_totals(session, receipts, period)
    members = tuple(
        MemberTotals(
            r.member,
            r.share_percent,
            r.expected_cents,
            pledged.get(r.member, 0),
            received.get(r.member, 0),
        )
        for r in rows
    )
    return FundTotals(
        found.period,
        found.currency,
        found.cap_cents,
        found.target_cents,
        found.received_cents,
        found.committed_cents,
        found.disbursed_cents,
        members,
        sum(pledged.values()),
    )


async def person_positions(session: AsyncSession, person_ref: str) -> list[PersonPosition]:
    """The person's position in each fund they have a ledger row in, by period."""
    ledger, f = person_ledger, funds
    query = (
        select(
            f.c.period,
            f.c.currency,
            f.c.per_person_cap_cents,
            ledger.c.committed_cents,
            ledger.c.disbursed_cents,
        )
        .join(ledger, ledger.c.period == f.c.period)
        .where(ledger.c.person_ref == person_ref)
        .order_by(f.c.period)
    )
    return [
        PersonPosition(
            r.period, r.currency, r.per_person_cap_cents, r.committed_cents, r.disbursed_cents
        )
        for r in await session.execute(query)
    ]


async def person_offices(session: AsyncSession, person_ref: str) -> set[str]:
    """The offices of every case of the person that funding learned of."""
    people, k = case_people, cases
    query = (
        select(k.c.office)
        .join(people, people.c.case_id == k.c.case_id)
        .where(people.c.person_ref == person_ref)
        .distinct()
    )
    return set((await session.execute(query)).scalars())


async def known_person(session: AsyncSession, person_ref: str) -> bool:
    t = case_people
    query = select(t.c.person_ref).where(t.c.person_ref == person_ref).limit(1)
    return (await session.execute(query)).first() is not None


# --- listings ------------------------------------------------------------------------------


def _reversal_columns() -> list[Any]:
    r = reversals.c
    return [
        r.reversal_id,
        r.reason_code.label("reversal_reason"),
        r.reversed_on,
        r.recorded_at.label("reversal_recorded_at"),
    ]


def _filtered(
    query: Select[Any],
    offices: list[str] | None,
    where: LedgerFilter,
    equal: Sequence[tuple[Any, Any]] = (),
) -> Select[Any]:
    """Only the cases of ``offices`` (None: every office), the filters of ``where``, and each
    column of ``equal`` equal to its value where a value is given. The query joins the
    commitments and their cases."""
    if offices is not None:
        query = query.where(cases.c.office.in_(offices))
    c = commitments.c
    common = [
        (c.period, where.period),
        (c.person_ref, where.person_ref),
        (c.case_id, where.case_id),
    ]
    for column, value in [*common, *equal]:
        if value is not None:
            query = query.where(column == value)
    return query


async def _page(
    session: AsyncSession, query: Select[Any], order: Sequence[Any], page: int, size: int
) -> tuple[list[Any], int]:
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar()
    offset = (page - 1) * size
    rows = await session.execute(query.order_by(*order).limit(size).offset(offset))
    return list(rows), int(total or 0)


async def contribution_rows(
    session: AsyncSession, table: Table, period: str, member: str | None, page: int, size: int
) -> tuple[list[Any], int]:
    """A page of a fund's pledges (or receipts), newest first, with any reversal; the total."""
    t, r = table, reversals
    query = (
        select(t, *_reversal_columns())
        .select_from(t.outerjoin(r, r.c.entry_id == t.c.entry_id))
        .where(t.c.period == period)
    )
    if member is not None:
        query = query.where(t.c.member == member)
    return await _page(session, query, [t.c.id.desc()], page, size)


def _commitment_query() -> Select[Any]:
    c, k = commitments, cases
    return select(c, k.c.office).select_from(c.join(k, k.c.case_id == c.c.case_id))


async def commitment_rows(
    session: AsyncSession, offices: list[str] | None, where: LedgerFilter, active: bool | None
) -> tuple[list[Any], int]:
    """A page of commitments (with their case's office), newest first; the total."""
    c = commitments.c
    query = _filtered(_commitment_query(), offices, where, [(c.active, active)])
    order = [c.created_at.desc(), c.commitment_id]
    return await _page(session, query, order, where.page, where.size)


async def commitment_row(session: AsyncSession, commitment_id: uuid.UUID) -> Row[Any] | None:
    c = commitments.c
    query = _commitment_query().where(c.commitment_id == commitment_id)
    return (await session.execute(query)).first()


async def commitment_line_rows(
    session: AsyncSession, commitment_id: uuid.UUID
) -> list[tuple[int, str, int]]:
    """(position, category, amount) of each line of a commitment, in order."""
    t = commitment_lines.c
    rows = await session.execute(
        select(t.position, t.category, t.amount_cents)
        .where(t.commitment_id == commitment_id)
        .order_by(t.position)
    )
    return [(r.position, r.category, int(r.amount_cents)) for r in rows]


def _payment_query() -> Select[Any]:
    d, c, k, r = disbursements, commitments, cases, reversals
    return select(d, c.c.case_id, c.c.person_ref, k.c.office, *_reversal_columns()).select_from(
        d.join(c, c.c.commitment_id == d.c.commitment_id)
        .join(k, k.c.case_id == c.c.case_id)
        .outerjoin(r, r.c.entry_id == d.c.disbursement_id)
    )


async def payment_rows(
    session: AsyncSession,
    offices: list[str] | None,
    where: LedgerFilter,
    commitment_id: uuid.UUID | None,
) -> tuple[list[Any], int]:
    """A page of payments (with case, person, office and any reversal), newest first."""
    d = disbursements.c
    query = _filtered(_payment_query(), offices, where, [(d.commitment_id, commitment_id)])
    order = [d.recorded_at.desc(), d.disbursement_id]
    return await _page(session, query, order, where.page, where.size)


async def payments_of(session: AsyncSession, commitment_id: uuid.UUID) -> list[Any]:
    """Every payment of a commitment, oldest first."""
    d = disbursements.c
    rows = await session.execute(
        _payment_query()
        .where(d.commitment_id == commitment_id)
        .order_by(d.recorded_at, d.disbursement_id)
    )
    return list(rows)


async def attributions_by_payment(
    session: AsyncSession, payment_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[str, int]]]:
    """Each payment's (member, amount) parts, by member."""
    a = attributions.c
    parts: dict[uuid.UUID, list[tuple[str, int]]] = {}
    if payment_ids:
        found = await session.execute(
            select(a.disbursement_id, a.member, a.amount_cents)
            .where(a.disbursement_id.in_(payment_ids))
            .order_by(a.disbursement_id, a.member)
        )
        for payment_id, member, cents in found:
            parts.setdefault(payment_id, []).append((member, int(cents)))
    return parts
