"""Money queries: commitments, disbursements, the cap check and each member's contributions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit import store
from services.audit.domain import NotAttributedToMembersError
from services.audit.domain.dates import end_of, start_of
from services.audit.schemas import Dimension, MemberUse, MoneyFilter, MoneyRow
from services.kit.definition import Runtime

UNKNOWN = "unknown"
CENT = Decimal("0.01")


async def commitments_by(rt: Runtime, by: Sequence[Dimension], f: MoneyFilter) -> list[MoneyRow]:
    """Committed amounts (approval time in the period); releases in the period beside them."""
    async with rt.db(store.NAME).reading() as session:
        return await sum_commitments(session, by, f)


async def disbursements_by(rt: Runtime, by: Sequence[Dimension], f: MoneyFilter) -> list[MoneyRow]:
    """Amounts paid (payment date in the period); by member, the attributed parts."""
    async with rt.db(store.NAME).reading() as session:
        return await sum_disbursements(session, by, f)


async def member_use(rt: Runtime, fund_period: str | None = None) -> list[MemberUse]:
    """Each member's contributions against the disbursements attributed to it."""
    async with rt.db(store.NAME).reading() as session:
        return await sum_member_use(session, fund_period)


def _destination() -> ColumnElement[Any]:
    return func.coalesce(store.cases.c.destination_country, UNKNOWN)


async def sum_commitments(
    session: AsyncSession, by: Sequence[Dimension], f: MoneyFilter
) -> list[MoneyRow]:
    if "member" in by:
        raise NotAttributedToMembersError(
            "commitments are not attributed to members; group disbursements by member instead"
        )
    c = store.commitments.c
    source = store.commitments.outerjoin(store.cases, store.cases.c.case_id == c.case_id)
    amount: ColumnElement[Any] = c.amount_cents
    if "category" in by:
        lines = store.commitment_lines
        source = source.join(lines, lines.c.commitment_id == c.commitment_id)
        amount = lines.c.amount_cents
    dims = {
        "fund_period": c.period,
        "category": store.commitment_lines.c.category,
        "destination_country": _destination(),
    }
    cols = [dims[d].label(d) for d in by]
    query = select(*cols, func.count(func.distinct(c.commitment_id)), func.sum(amount))
    query = _period_filter(query.select_from(source), c.approved_at, c.period, f, timestamp=True)
    rows = [_row(by, r) for r in await session.execute(query.group_by(*cols))]
    if "category" not in by:
        released = await _released(session, by, f)
        for row in rows:
            row.released_cents = released.pop(tuple(row.keys.values()), 0)
        rows += [
            MoneyRow(keys=dict(zip(by, k, strict=True)), count=0, amount_cents=0, released_cents=v)
            for k, v in released.items()
        ]
    return sorted(rows, key=lambda r: tuple(r.keys.values()))


async def _released(
    session: AsyncSession, by: Sequence[Dimension], f: MoneyFilter
) -> dict[tuple[str, ...], int]:
    r = store.releases.c
    source = store.releases.outerjoin(store.cases, store.cases.c.case_id == r.case_id)
    dims = {"fund_period": r.period, "destination_country": _destination()}
    cols = [dims[d].label(d) for d in by]
    query = select(*cols, func.sum(r.released_cents)).select_from(source)
    query = _period_filter(query, r.released_at, r.period, f, timestamp=True)
    result = await session.execute(query.group_by(*cols))
    return {tuple(str(v) for v in row[:-1]): int(row[-1]) for row in result}


async def sum_disbursements(
    session: AsyncSession, by: Sequence[Dimension], f: MoneyFilter
) -> list[MoneyRow]:
    d = store.disbursements.c
    source = store.disbursements.outerjoin(store.cases, store.cases.c.case_id == d.case_id)
    amount: ColumnElement[Any] = d.amount_cents
    if "member" in by:
        a = store.attributions
        source = source.join(a, a.c.disbursement_id == d.disbursement_id)
        amount = a.c.amount_cents
    dims = {
        "fund_period": d.period,
        "category": d.category,
        "destination_country": _destination(),
        "member": store.attributions.c.member,
    }
    cols = [dims[k].label(k) for k in by]
    payment = case((d.reversal_of.is_(None), d.disbursement_id))
    reversed_part = func.sum(case((d.reversal_of.is_not(None), -amount), else_=0))
    query = select(*cols, reversed_part, func.count(func.distinct(payment)), func.sum(amount))
    query = _period_filter(query.select_from(source), d.paid_on, d.period, f, timestamp=False)
    rows = []
    for r in await session.execute(query.group_by(*cols)):
        row = _row(by, r)
        row.reversed_cents = int(r[-3] or 0)
        rows.append(row)
    return sorted(rows, key=lambda r: tuple(r.keys.values()))


def _period_filter(query: Any, when: Any, period: Any, f: MoneyFilter, *, timestamp: bool) -> Any:
    if f.fund_period is not None:
        query = query.where(period == f.fund_period)
    if f.date_from is not None:
        query = query.where(when >= (start_of(f.date_from) if timestamp else f.date_from))
    if f.date_to is not None:
        query = query.where(when < end_of(f.date_to) if timestamp else when <= f.date_to)
    return query


def _row(by: Sequence[Dimension], row: Any) -> MoneyRow:
    keys: dict[str, str] = {
        str(name): str(value) for name, value in zip(by, row[: len(by)], strict=True)
    }
    return MoneyRow(keys=keys, count=int(row[-2]), amount_cents=int(row[-1] or 0))


async def sum_member_use(session: AsyncSession, fund_period: str | None = None) -> list[MemberUse]:
    totals: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    shares = select(store.fund_shares)
    contributions = select(
        store.contributions.c.period,
        store.contributions.c.member,
        store.contributions.c.kind,
        func.sum(store.contributions.c.amount_cents),
    ).group_by(
        store.contributions.c.period, store.contributions.c.member, store.contributions.c.kind
    )
    d, a = store.disbursements.c, store.attributions.c
    attributed = (
        select(d.period, a.member, func.sum(a.amount_cents))
        .select_from(
            store.attributions.join(store.disbursements, d.disbursement_id == a.disbursement_id)
        )
        .group_by(d.period, a.member)
    )
    if fund_period is not None:
        shares = shares.where(store.fund_shares.c.period == fund_period)
        contributions = contributions.where(store.contributions.c.period == fund_period)
        attributed = attributed.where(d.period == fund_period)
    for s in await session.execute(shares):
        totals[(s.period, s.member)].update(
            share_percent=s.share_percent, expected=s.expected_cents
        )
    for period, member, kind, amount in await session.execute(contributions):
        totals[(period, member)][kind] = int(amount)
    for period, member, amount in await session.execute(attributed):
        totals[(period, member)]["attributed"] = int(amount)
    return [_member_use(period, member, t) for (period, member), t in sorted(totals.items())]


def _member_use(period: str, member: str, t: dict[str, Any]) -> MemberUse:
    received, attributed = t.get("received", 0), t.get("attributed", 0)
    used = str((Decimal(attributed * 100) / received).quantize(CENT)) if received else None
    return MemberUse(
        fund_period=period,
        member=member,
        share_percent=t.get("share_percent"),
        expected_cents=t.get("expected", 0),
        pledged_cents=t.get("pledged", 0),
        received_cents=received,
        attributed_cents=attributed,
        unused_received_cents=received - attributed,
        used_percent=used,
    )
