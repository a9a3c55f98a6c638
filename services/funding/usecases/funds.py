"""Commands behind the HTTP routes: funds, contributions, explicit commitments, payments.

Each takes an open unit of work, validates, writes and emits; the caller commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy.exc import IntegrityError

from db.uow import UnitOfWork
from events.envelope import Actor
from events.funding import (
    ContributionPledged,
    ContributionReceived,
    FundCreated,
    MemberShare,
)
from services.funding import store
from services.funding.domain.money import Share, split_by_shares
from services.kit.errors import ConflictError, InvalidInputError, NotFoundError


@dataclass(frozen=True)
class NewFund:
    period: str
    currency: str
    cap_cents: int
    target_cents: int
    shares: tuple[Share, ...]


async def create_fund(uow: UnitOfWork, new: NewFund, actor: Actor) -> None:
    if await store.fund(uow.session, new.period) is not None:
        raise ConflictError(f"fund {new.period} already exists; funds cannot be redefined")
    expected = split_by_shares(new.target_cents, new.shares)
    try:
        await store.insert_rows(
            uow.session,
            store.funds,
            [
                {
                    "period": new.period,
                    "currency": new.currency,
                    "per_person_cap_cents": new.cap_cents,
                    "target_cents": new.target_cents,
                    "received_cents": 0,
                    "committed_cents": 0,
                    "disbursed_cents": 0,
                    "created_at": uow.clock(),
                    "created_by": actor.id,
                }
            ],
        )
    except IntegrityError as e:
        raise ConflictError(f"fund {new.period} already exists") from e
    await store.insert_rows(
        uow.session,
        store.member_shares,
        [
            {
                "period": new.period,
                "member": s.member,
                "share_percent": s.text,
                "expected_cents": expected[s.member],
            }
            for s in new.shares
        ],
    )
    uow.emit(
        FundCreated(
            period=new.period,
            currency=new.currency,
            per_person_cap_cents=new.cap_cents,
            target_cents=new.target_cents,
            shares=[
                MemberShare(
                    member=s.member, share_percent=s.text, expected_cents=expected[s.member]
                )
                for s in new.shares
            ],
        ),
        actor=actor,
    )


async def known_fund(uow: UnitOfWork, period: str, currency: str | None) -> store.Fund:
    fund = await store.fund(uow.session, period)
    if fund is None:
        raise NotFoundError(f"there is no fund for period '{period}'; create it first")
    if currency is not None and currency != fund.currency:
        raise InvalidInputError(f"fund {period} is kept in {fund.currency}, not {currency}")
    return fund


async def record_contribution(
    uow: UnitOfWork,
    kind: Literal["pledge", "receipt"],
    period: str,
    member: str,
    amount_cents: int,
    on: date,
    currency: str | None,
    actor: Actor,
) -> uuid.UUID:
    """Record a pledge or receipt; returns its entry id."""
    await known_fund(uow, period, currency)
    if member not in {s.member for s in await store.shares(uow.session, period)}:
        raise InvalidInputError(f"{member} is not a member of the contribution scale of {period}")
    if kind == "receipt":
        await store.fund(uow.session, period, lock=True)
        await store.add_to_fund(uow.session, period, received=amount_cents)
    table = store.pledges if kind == "pledge" else store.receipts
    entry_id = uuid.uuid4()
    await store.insert_rows(
        uow.session,
        table,
        [
            {
                "entry_id": entry_id,
                "period": period,
                "member": member,
                "amount_cents": amount_cents,
                "on_date": on,
                "recorded_at": uow.clock(),
                "recorded_by": actor.id,
            }
        ],
    )
    event = ContributionPledged if kind == "pledge" else ContributionReceived
    uow.emit(
        event(period=period, member=member, amount_cents=amount_cents, on=on, entry_id=entry_id),
        actor=actor,
    )
    return entry_id
