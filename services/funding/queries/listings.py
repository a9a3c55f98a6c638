"""Paged listings of the funding ledger: commitments, payments, pledges and receipts.

Read-only (``db.reading()``). Caseworkers and supervisors see the commitments and payments of
their offices only; a filter naming another office is a 403. Every listing has a stable order
(newest first, then the id) and a total count. Reversed entries stay listed, marked with their
reversal.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.funding import store
from services.funding.domain import paid_per_line
from services.funding.queries.positions import money
from services.kit.errors import NotFoundError
from services.kit.identity import OFFICE_SCOPED_ROLES, Principal, ensure_office

CommitmentStatus = Literal["active", "released"]
MAX_PAGE_SIZE = 200


class ReversalInfo(BaseModel):
    reversal_id: uuid.UUID
    reason_code: str
    reversed_on: date
    recorded_at: datetime


class MemberPart(BaseModel):
    member: str
    amount_cents: int
    amount: str


class ContributionEntry(BaseModel):
    entry_id: uuid.UUID
    kind: Literal["pledge", "receipt"]
    period: str
    member: str
    amount_cents: int
    amount: str
    on: date
    recorded_at: datetime
    reversed: bool
    reversal: ReversalInfo | None


class ContributionPage(BaseModel):
    items: list[ContributionEntry]
    page: int
    page_size: int
    total: int


class CommitmentSummary(BaseModel):
    commitment_id: uuid.UUID
    period: str
    case_id: uuid.UUID
    office: str
    person_ref: str
    status: CommitmentStatus
    origin: str = Field(description="screening (decided from the event) or request")
    partial: bool
    requested_cents: int
    requested: str
    amount_cents: int
    amount: str
    disbursed_cents: int = Field(description="Paid, net of reversed payments")
    disbursed: str
    released_cents: int
    released: str
    remaining_cents: int = Field(description="Committed, not paid and not released")
    remaining: str
    created_at: datetime


class CommitmentPage(BaseModel):
    items: list[CommitmentSummary]
    page: int
    page_size: int
    total: int


class PaymentView(BaseModel):
    payment_id: uuid.UUID = Field(description="The disbursement's id")
    commitment_id: uuid.UUID
    period: str
    case_id: uuid.UUID
    office: str
    person_ref: str
    category: str
    amount_cents: int
    amount: str
    paid_on: date
    recorded_at: datetime
    attributions: list[MemberPart]
    reversed: bool
    reversal: ReversalInfo | None


class PaymentPage(BaseModel):
    items: list[PaymentView]
    page: int
    page_size: int
    total: int


class CommitmentLineView(BaseModel):
    position: int
    category: str
    amount_cents: int
    amount: str
    paid_cents: int = Field(description="Paid under this line, net of reversed payments")
    paid: str
    remaining_cents: int
    remaining: str


class CommitmentDetail(CommitmentSummary):
    lines: list[CommitmentLineView]
    payments: list[PaymentView]


@dataclass(frozen=True)
class LedgerFilter:
    period: str | None
    office: str | None
    person_ref: str | None
    case_id: uuid.UUID | None
    page: int
    size: int


def office_scope(principal: Principal, office: str | None) -> list[str] | None:
    """The offices a listing may show (None: every office)."""
    if office is not None:
        ensure_office(principal, office)
        return [office]
    if principal.role in OFFICE_SCOPED_ROLES:
        return sorted(principal.offices)
    return None


def _reversal(row: Any) -> ReversalInfo | None:
    if row.reversal_id is None:
        return None
    return ReversalInfo(
        reversal_id=row.reversal_id,
        reason_code=row.reversal_reason,
        reversed_on=row.reversed_on,
        recorded_at=row.reversal_recorded_at,
    )


def _reversal_columns() -> list[Any]:
    r = store.reversals.c
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
        query = query.where(store.cases.c.office.in_(offices))
    c = store.commitments.c
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
    session: AsyncSession, query: Select[Any], order: Sequence[Any], where: LedgerFilter
) -> tuple[list[Any], int]:
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar()
    offset = (where.page - 1) * where.size
    rows = await session.execute(query.order_by(*order).limit(where.size).offset(offset))
    return list(rows), int(total or 0)


async def contributions(
    session: AsyncSession,
    kind: Literal["pledge", "receipt"],
    period: str,
    *,
    member: str | None,
    page: int,
    size: int,
) -> ContributionPage:
    if await store.fund(session, period) is None:
        raise NotFoundError(f"there is no fund for period '{period}'")
    t, r = (store.pledges if kind == "pledge" else store.receipts), store.reversals
    query = (
        select(t, *_reversal_columns())
        .select_from(t.outerjoin(r, r.c.entry_id == t.c.entry_id))
        .where(t.c.period == period)
    )
    if member is not None:
        query = query.where(t.c.member == member)
    rows, total = await _page(
        session, query, [t.c.id.desc()], LedgerFilter(period, None, None, None, page, size)
    )
    items = [
        ContributionEntry(
            entry_id=row.entry_id,
            kind=kind,
            period=row.period,
            member=row.member,
            **money("amount", row.amount_cents),
            on=row.on_date,
            recorded_at=row.recorded_at,
            reversed=row.reversal_id is not None,
            reversal=_reversal(row),
        )
        for row in rows
    ]
    return ContributionPage(items=items, page=page, page_size=size, total=total)


def _commitment_query() -> Select[Any]:
    c, k = store.commitments, store.cases
    return select(c, k.c.office).select_from(c.join(k, k.c.case_id == c.c.case_id))


def _summary(row: Any) -> CommitmentSummary:
    remaining = row.amount_cents - row.disbursed_cents - row.released_cents
    return CommitmentSummary(
        commitment_id=row.commitment_id,
        period=row.period,
        case_id=row.case_id,
        office=row.office,
        person_ref=row.person_ref,
        status="active" if row.active else "released",
        origin=row.origin,
        partial=row.partial,
        **money("requested", row.requested_cents),
        **money("amount", row.amount_cents),
        **money("disbursed", row.disbursed_cents),
        **money("released", row.released_cents),
        **money("remaining", remaining),
        created_at=row.created_at,
    )


async def commitments(
    session: AsyncSession,
    offices: list[str] | None,
    where: LedgerFilter,
    *,
    status: CommitmentStatus | None,
) -> CommitmentPage:
    c = store.commitments.c
    active = None if status is None else status == "active"
    query = _filtered(_commitment_query(), offices, where, [(c.active, active)])
    rows, total = await _page(session, query, [c.created_at.desc(), c.commitment_id], where)
    items = [_summary(r) for r in rows]
    return CommitmentPage(items=items, page=where.page, page_size=where.size, total=total)


def _payment_query() -> Select[Any]:
    d, c, k, r = store.disbursements, store.commitments, store.cases, store.reversals
    return select(d, c.c.case_id, c.c.person_ref, k.c.office, *_reversal_columns()).select_from(
        d.join(c, c.c.commitment_id == d.c.commitment_id)
        .join(k, k.c.case_id == c.c.case_id)
        .outerjoin(r, r.c.entry_id == d.c.disbursement_id)
    )


async def _payment_views(session: AsyncSession, rows: list[Any]) -> list[PaymentView]:
    a = store.attributions.c
    ids = [row.disbursement_id for row in rows]
    parts: dict[uuid.UUID, list[MemberPart]] = {}
    if ids:
        found = await session.execute(
            select(a.disbursement_id, a.member, a.amount_cents)
            .where(a.disbursement_id.in_(ids))
            .order_by(a.disbursement_id, a.member)
        )
        for payment_id, member, cents in found:
            parts.setdefault(payment_id, []).append(
                MemberPart(member=member, **money("amount", cents))
            )
    return [
        PaymentView(
            payment_id=row.disbursement_id,
            commitment_id=row.commitment_id,
            period=row.period,
            case_id=row.case_id,
            office=row.office,
            person_ref=row.person_ref,
            category=row.category,
            **money("amount", row.amount_cents),
            paid_on=row.paid_on,
            recorded_at=row.recorded_at,
            attributions=parts.get(row.disbursement_id, []),
            reversed=row.reversal_id is not None,
            reversal=_reversal(row),
        )
        for row in rows
    ]


async def payments(
    session: AsyncSession,
    offices: list[str] | None,
    where: LedgerFilter,
    *,
    commitment_id: uuid.UUID | None,
) -> PaymentPage:
    d = store.disbursements.c
    query = _filtered(_payment_query(), offices, where, [(d.commitment_id, commitment_id)])
    rows, total = await _page(session, query, [d.recorded_at.desc(), d.disbursement_id], where)
    items = await _payment_views(session, rows)
    return PaymentPage(items=items, page=where.page, page_size=where.size, total=total)


async def commitment_detail(
    session: AsyncSession, principal: Principal, commitment_id: uuid.UUID
) -> CommitmentDetail:
    c = store.commitments.c
    row = (
        await session.execute(_commitment_query().where(c.commitment_id == commitment_id))
    ).first()
    if row is None:
        raise NotFoundError(f"there is no commitment {commitment_id}")
    ensure_office(principal, row.office)
    lines_t = store.commitment_lines.c
    lines = [
        (r.position, r.category, int(r.amount_cents))
        for r in await session.execute(
            select(lines_t.position, lines_t.category, lines_t.amount_cents)
            .where(lines_t.commitment_id == commitment_id)
            .order_by(lines_t.position)
        )
    ]
    _, paid = await store.line_totals(session, commitment_id)
    d = store.disbursements.c
    paid_rows = await session.execute(
        _payment_query()
        .where(d.commitment_id == commitment_id)
        .order_by(d.recorded_at, d.disbursement_id)
    )
    return CommitmentDetail(
        **_summary(row).model_dump(),
        lines=[
            CommitmentLineView(
                position=position,
                category=category,
                **money("amount", amount),
                **money("paid", taken),
                **money("remaining", amount - taken if row.active else 0),
            )
            for position, category, amount, taken in paid_per_line(lines, paid)
        ],
        payments=await _payment_views(session, list(paid_rows)),
    )
