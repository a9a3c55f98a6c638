"""Use cases on funds and contributions: define a fund, record a pledge or a receipt.

``create_fund`` and ``record_contribution`` are the use cases (their own unit of work, which
they commit); ``add_fund`` and ``add_contribution`` are their steps inside an open unit of
work (for a caller composing several steps in one transaction).
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
from services.funding.domain import check_entry_date
from services.funding.domain.errors import (
    CurrencyMismatchError,
    FundAlreadyExistsError,
    NotAMemberError,
    UnknownFundError,
)
from services.funding.domain.money import Share, split_by_shares
from services.funding.schemas import ContributionIn, FundIn, FundOut
from services.funding.settings import FundingSettings
from services.kit.definition import Runtime
from services.kit.identity import Principal


def actor_of(principal: Principal) -> Actor:
    return Actor.user(principal.user_id, principal.role)


@dataclass(frozen=True)
class NewFund:
    period: str
    currency: str
    cap_cents: int
    target_cents: int
    shares: tuple[Share, ...]


async def fund_out(uow: UnitOfWork, period: str) -> FundOut:
    """The fund's position as the writer's session sees it."""
    totals = await store.fund_totals(uow.session, period)
    if totals is None:
        raise UnknownFundError(f"there is no fund for period '{period}'")
    return FundOut.of(totals)


async def create_fund(rt: Runtime, principal: Principal, body: FundIn) -> FundOut:
    """Define the fund of a period: currency, per-person cap, target, contribution scale."""
    new = NewFund(
        body.period,
        body.currency,
        body.cap_cents(rt.settings_for(FundingSettings).default_per_person_cap_cents),
        body.target_cents(),
        body.scale(),
    )
    async with rt.db("funding").unit_of_work() as uow:
        await add_fund(uow, new, actor_of(principal))
        await uow.commit()
        return await fund_out(uow, body.period)


async def add_fund(uow: UnitOfWork, new: NewFund, actor: Actor) -> None:
    if await store.fund(uow.session, new.period) is not None:
        raise FundAlreadyExistsError(f"fund {new.period} already exists; funds cannot be redefined")
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
        raise FundAlreadyExistsError(f"fund {new.period} already exists") from e
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
        raise UnknownFundError(f"there is no fund for period '{period}'; create it first")
    if currency is not None and currency != fund.currency:
        raise CurrencyMismatchError(f"fund {period} is kept in {fund.currency}, not {currency}")
    return fund


async def record_contribution(
    rt: Runtime,
    principal: Principal,
    kind: Literal["pledge", "receipt"],
    period: str,
    body: ContributionIn,
) -> FundOut:
    """Record a member's pledge or receipt; returns the fund's position after it."""
    amount = body.amount_cents()
    today = rt.clock().date()
    on = check_entry_date(body.on or today, today, field="on")
    async with rt.db("funding").unit_of_work() as uow:
        await add_contribution(
            uow, kind, period, body.member_code(), amount, on, body.currency, actor_of(principal)
        )
        await uow.commit()
        return await fund_out(uow, period)


async def add_contribution(
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
        raise NotAMemberError(f"{member} is not a member of the contribution scale of {period}")
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
