"""What registration learns from funding's events: the funds (period, currency) a case may be
registered for, and the funding decisions shown on each case. Handlers never commit.

Each handler is safe to re-run and to receive events out of order: a decision older than the
one stored changes nothing, and a decision about a case registration has not stored yet
waits for it (``WaitingForEvent``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from db.uow import UnitOfWork
from events.envelope import Envelope
from events.funding import CommitmentApproved, CommitmentRejected, FundCreated
from services.kit.errors import WaitingForEvent
from services.registration import store


@dataclass(frozen=True)
class FundTerms:
    period: str
    currency: str


async def fund_terms(session: AsyncSession, period: str) -> FundTerms | None:
    t = store.funds
    row = (await session.execute(select(t).where(t.c.period == period))).mappings().first()
    return None if row is None else FundTerms(row["period"], row["currency"])


async def currencies(session: AsyncSession, periods: Iterable[str]) -> dict[str, str]:
    t = store.funds
    result = await session.execute(
        select(t.c.period, t.c.currency).where(t.c.period.in_(sorted(set(periods))))
    )
    return {row.period: row.currency for row in result}


async def decisions(session: AsyncSession, case_ids: Sequence[uuid.UUID]) -> dict[Any, RowMapping]:
    t = store.funding_decisions
    result = await session.execute(select(t).where(t.c.case_id.in_(list(case_ids))))
    return {row["case_id"]: row for row in result.mappings()}


async def outcomes(session: AsyncSession, case_id: uuid.UUID) -> list[RowMapping]:
    t = store.funding_outcomes
    result = await session.execute(select(t).where(t.c.case_id == case_id))
    return list(result.mappings())


async def on_fund_created(uow: UnitOfWork, event: Envelope) -> None:
    """A fund exists for the period: cases may be registered for it, in its currency."""
    if event.version != FundCreated.version:
        return
    fund = event.parse(FundCreated)
    if await fund_terms(uow.session, fund.period) is None:
        await uow.session.execute(
            insert(store.funds).values(
                period=fund.period, currency=fund.currency, created_at=event.occurred_at
            )
        )


async def _known_case(session: AsyncSession, case_id: uuid.UUID, what: str) -> None:
    if await store.get_case(session, case_id) is None:
        raise WaitingForEvent("case_id", case_id, f"{what} for case {case_id} before the case")


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


async def record_case_decision(
    uow: UnitOfWork, event: Envelope, case_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await _known_case(uow.session, case_id, "a funding decision")
    row = {**values, "decided_at": event.occurred_at, "event_id": event.event_id}
    await _keep_latest(uow.session, store.funding_decisions, {"case_id": case_id}, row)


async def on_commitment_approved(uow: UnitOfWork, event: Envelope) -> None:
    """The latest decision about one person of a case: approved (how much, partial)."""
    if event.version != CommitmentApproved.version:
        return
    p = event.parse(CommitmentApproved)
    values = {
        "approved": True,
        "reason": None,
        "requested_cents": p.requested_cents,
        "committed_cents": p.amount_cents,
        "partial": p.partial,
        "remaining_cap_cents": p.remaining_cap_cents,
        "available_cents": None,
    }
    await _record_outcome(uow, event, p.case_id, p.person_ref, values)


async def on_commitment_rejected(uow: UnitOfWork, event: Envelope) -> None:
    """The latest decision about one person of a case: refused, why, with the person's
    remaining cap and the fund's available balance then."""
    if event.version != CommitmentRejected.version:
        return
    p = event.parse(CommitmentRejected)
    values = {
        "approved": False,
        "reason": p.reason,
        "requested_cents": p.requested_cents,
        "committed_cents": 0,
        "partial": False,
        "remaining_cap_cents": p.remaining_cap_cents,
        "available_cents": p.available_cents,
    }
    await _record_outcome(uow, event, p.case_id, p.person_ref, values)


async def _record_outcome(
    uow: UnitOfWork, event: Envelope, case_id: uuid.UUID, ref: str, values: dict[str, Any]
) -> None:
    await _known_case(uow.session, case_id, "a commitment decision")
    key = {"case_id": case_id, "person_ref": ref}
    row = {**values, "decided_at": event.occurred_at, "event_id": event.event_id}
    await _keep_latest(uow.session, store.funding_outcomes, key, row)
