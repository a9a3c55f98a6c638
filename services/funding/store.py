"""The funding service's tables and every SQL statement on them (functions of a session).

 Running totals live on the fund row and the person's ledger
row; those are the rows locked (fund first, then people by reference) before a rule is checked."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
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
    String,
    Table,
    Uuid,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.schema import AutoId, MessagingTables, UtcDateTime, service_metadata
from services.funding.domain import CommitmentState, Line
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

# Cases as learned from registration events. status: registered, eligible, ineligible,
# funded, unfunded, withdrawn, cancelled.
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
    status: str
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
    return Case(row.case_id, row.period, row.office, row.status, row.allow_partial) if row else None


async def set_case_status(
    session: AsyncSession, case_id: uuid.UUID, status: str, at: datetime
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
