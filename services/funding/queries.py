"""Reads and locked reads over the funding tables (SQLAlchemy Core, one session)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.funding import store
from services.funding.domain import CommitmentState, Line
from services.funding.money import Share


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
    query = select(store.funds).where(store.funds.c.period == period)
    if lock:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return _fund(row) if row else None


async def add_to_fund(session: AsyncSession, period: str, **deltas: int) -> None:
    c = store.funds.c
    values = {f"{k}_cents": getattr(c, f"{k}_cents") + v for k, v in deltas.items() if v}
    if values:
        await session.execute(update(store.funds).where(c.period == period).values(**values))


async def shares(session: AsyncSession, period: str) -> tuple[Share, ...]:
    t = store.member_shares
    rows = await session.execute(select(t).where(t.c.period == period).order_by(t.c.member))
    return tuple(Share(r.member, Decimal(r.share_percent)) for r in rows)


async def lock_people(session: AsyncSession, period: str, refs: Iterable[str]) -> dict[str, int]:
    """Each person's committed total in the fund, their ledger rows locked in ref order."""
    ordered = sorted(set(refs))
    if not ordered:
        return {}
    t = store.person_ledger
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
    c = store.person_ledger.c
    values = {f"{k}_cents": getattr(c, f"{k}_cents") + v for k, v in deltas.items() if v}
    if values:
        await session.execute(
            update(store.person_ledger)
            .where(c.period == period, c.person_ref == ref)
            .values(**values)
        )


async def case(session: AsyncSession, case_id: uuid.UUID) -> Case | None:
    t = store.cases
    row = (await session.execute(select(t).where(t.c.case_id == case_id))).first()
    return Case(row.case_id, row.period, row.office, row.status, row.allow_partial) if row else None


async def set_case_status(
    session: AsyncSession, case_id: uuid.UUID, status: str, at: datetime
) -> None:
    t = store.cases
    await session.execute(
        update(t).where(t.c.case_id == case_id).values(status=status, updated_at=at)
    )


async def case_people(session: AsyncSession, case_id: uuid.UUID) -> list[str]:
    t = store.case_people
    rows = await session.execute(
        select(t.c.person_ref).where(t.c.case_id == case_id).order_by(t.c.person_ref)
    )
    return list(rows.scalars())


async def case_lines(
    session: AsyncSession, case_id: uuid.UUID
) -> dict[str, list[tuple[Line, str]]]:
    """Requested lines per person (with their currency), in the order registered."""
    t = store.case_lines
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
    query = select(store.commitments).where(store.commitments.c.commitment_id == commitment_id)
    if lock:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return _commitment(row) if row else None


async def line_totals(
    session: AsyncSession, commitment_id: uuid.UUID
) -> tuple[dict[str, int], dict[str, int]]:
    """Per cost category of a commitment: the amount committed, and the amount paid."""
    lines, paid = store.commitment_lines, store.disbursements
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
    t = store.commitments
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
    r = store.reversals
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
    a, d = store.attributions, store.disbursements
    query = (
        select(a.c.member, func.sum(a.c.amount_cents))
        .join(d, d.c.disbursement_id == a.c.disbursement_id)
        .where(d.c.period == period, not_reversed(d.c.disbursement_id))
        .group_by(a.c.member)
    )
    return {m: int(total) for m, total in await session.execute(query)}


async def unused_receipts(session: AsyncSession, period: str) -> dict[str, int]:
    """Each member's received money not yet attributed to a disbursement."""
    received = await member_totals(session, store.receipts, period)
    used = await member_attributed(session, period)
    return {m: cents - used.get(m, 0) for m, cents in received.items()}
