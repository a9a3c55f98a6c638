"""Read models for the HTTP queries: a fund's position and a person's position."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.funding import store
from services.funding.domain.money import format_cents
from services.kit.errors import NotFoundError


def money(name: str, cents: int) -> dict[str, Any]:
    """An amount as exact cents and as a decimal string: ``x_cents`` and ``x``."""
    return {f"{name}_cents": cents, name: format_cents(cents)}


async def fund_view(session: AsyncSession, period: str) -> dict[str, Any]:
    fund = await store.fund(session, period)
    if fund is None:
        raise NotFoundError(f"there is no fund for period '{period}'")
    t = store.member_shares
    rows = await session.execute(select(t).where(t.c.period == period).order_by(t.c.member))
    pledged = await store.member_totals(session, store.pledges, period)
    received = await store.member_totals(session, store.receipts, period)
    members = [
        {
            "member": r.member,
            "share_percent": r.share_percent,
            **money("expected", r.expected_cents),
            **money("pledged", pledged.get(r.member, 0)),
            **money("received", received.get(r.member, 0)),
        }
        for r in rows
    ]
    return {
        "period": fund.period,
        "currency": fund.currency,
        **money("per_person_cap", fund.cap_cents),
        **money("target", fund.target_cents),
        **money("pledged", sum(pledged.values())),
        **money("received", fund.received_cents),
        **money("committed", fund.committed_cents),
        **money("disbursed", fund.disbursed_cents),
        **money("available", fund.received_cents - fund.committed_cents),
        "members": members,
    }


async def person_view(session: AsyncSession, person_ref: str, period: str | None) -> dict[str, Any]:
    """The person's cap position in each fund they have a ledger in (or the one asked for)."""
    ledger, f = store.person_ledger, store.funds
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
    rows = list(await session.execute(query))
    funds = [
        _position(
            r.period, r.currency, r.per_person_cap_cents, r.committed_cents, r.disbursed_cents
        )
        for r in rows
    ]
    if period is not None:
        funds = [x for x in funds if x["period"] == period]
        if not funds:
            fund = await store.fund(session, period)
            if fund is None:
                raise NotFoundError(f"there is no fund for period '{period}'")
            funds = [_position(period, fund.currency, fund.cap_cents, 0, 0)]
    elif not funds and not await _known_person(session, person_ref):
        raise NotFoundError(f"funding knows nothing about {person_ref}")
    return {"person_ref": person_ref, "funds": funds}


def _position(
    period: str, currency: str, cap: int, committed: int, disbursed: int
) -> dict[str, Any]:
    return {
        "period": period,
        "currency": currency,
        **money("cap", cap),
        **money("committed", committed),
        **money("disbursed", disbursed),
        **money("remaining", max(cap - committed, 0)),
    }


async def person_offices(session: AsyncSession, person_ref: str) -> set[str]:
    """The offices of every case of the person that funding learned of."""
    people, cases = store.case_people, store.cases
    query = (
        select(cases.c.office)
        .join(people, people.c.case_id == cases.c.case_id)
        .where(people.c.person_ref == person_ref)
        .distinct()
    )
    return set((await session.execute(query)).scalars())


async def _known_person(session: AsyncSession, person_ref: str) -> bool:
    t = store.case_people
    query = select(t.c.person_ref).where(t.c.person_ref == person_ref).limit(1)
    return (await session.execute(query)).first() is not None
