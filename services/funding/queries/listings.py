"""Paged listings of the funding ledger: commitments, payments, pledges and receipts.

Read-only (``db.reading()``). Caseworkers and supervisors see the commitments and payments of
their offices only; a filter naming another office is a 403. Every listing has a stable order
(newest first, then the id) and a total count. Reversed entries stay listed, marked with their
reversal.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from services.funding import store
from services.funding.domain import LedgerFilter, paid_per_line
from services.funding.domain.errors import UnknownCommitmentError, UnknownFundError
from services.funding.schemas import (
    CommitmentDetail,
    CommitmentLineView,
    CommitmentPage,
    CommitmentStatus,
    CommitmentSummary,
    ContributionEntry,
    ContributionPage,
    MemberPart,
    PaymentPage,
    PaymentView,
    ReversalInfo,
    money,
)
from services.kit.definition import Runtime
from services.kit.identity import OFFICE_SCOPED_ROLES, Principal, ensure_office


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


async def contributions(
    rt: Runtime,
    kind: Literal["pledge", "receipt"],
    period: str,
    *,
    member: str | None,
    page: int,
    size: int,
) -> ContributionPage:
    table = store.pledges if kind == "pledge" else store.receipts
    async with rt.db("funding").reading() as session:
        if await store.fund(session, period) is None:
            raise UnknownFundError(f"there is no fund for period '{period}'")
        rows, total = await store.contribution_rows(session, table, period, member, page, size)
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
    rt: Runtime,
    offices: list[str] | None,
    where: LedgerFilter,
    *,
    status: CommitmentStatus | None,
) -> CommitmentPage:
    active = None if status is None else status == "active"
    async with rt.db("funding").reading() as session:
        rows, total = await store.commitment_rows(session, offices, where, active)
    items = [_summary(r) for r in rows]
    return CommitmentPage(items=items, page=where.page, page_size=where.size, total=total)


async def _payment_views(session: AsyncSession, rows: list[Any]) -> list[PaymentView]:
    parts = await store.attributions_by_payment(session, [row.disbursement_id for row in rows])
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
            attributions=[
                MemberPart(member=member, **money("amount", cents))
                for member, cents in parts.get(row.disbursement_id, [])
            ],
            reversed=row.reversal_id is not None,
            reversal=_reversal(row),
        )
        for row in rows
    ]


async def payments(
    rt: Runtime,
    offices: list[str] | None,
    where: LedgerFilter,
    *,
    commitment_id: uuid.UUID | None,
) -> PaymentPage:
    async with rt.db("funding").reading() as session:
        rows, total = await store.payment_rows(session, offices, where, commitment_id)
        items = await _payment_views(session, rows)
    return PaymentPage(items=items, page=where.page, page_size=where.size, total=total)


async def commitment_detail(
    rt: Runtime, principal: Principal, commitment_id: uuid.UUID
) -> CommitmentDetail:
    async with rt.db("funding").reading() as session:
        row = await store.commitment_row(session, commitment_id)
        if row is None:
            raise UnknownCommitmentError(f"there is no commitment {commitment_id}")
        ensure_office(principal, row.office)
        lines = await store.commitment_line_rows(session, commitment_id)
        _, paid = await store.line_totals(session, commitment_id)
        payments = await _payment_views(session, await store.payments_of(session, commitment_id))
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
        payments=payments,
    )
