"""Reversals: a mistaken pledge, receipt or payment is corrected by a compensating entry.

Ledgers are never edited. A reversal is a row of its own (``funding_reversals``, one per
entry at most), with a reason code and an event; the entry itself stays as it was recorded.
Lock order as everywhere in this service: the fund row, the person's ledger row, then the
commitment row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.uow import UnitOfWork
from events.envelope import Actor
from events.funding import (
    CommitmentReleased,
    ContributionReversalReason,
    ContributionReversed,
    DisbursementReversed,
    MemberAmount,
    PaymentReversalReason,
)
from services.funding import store
from services.funding.domain import (
    EntryKind,
    Reversed,
    check_not_reversed,
    check_receipt_reversal,
    reverse_attributions,
    reverse_payment,
)
from services.kit.errors import ConflictError, NotFoundError
from services.kit.identity import Principal, ensure_office


@dataclass(frozen=True)
class Reversal:
    reversal_id: uuid.UUID
    kind: EntryKind
    entry_id: uuid.UUID
    period: str
    amount_cents: int
    reason_code: str
    reversed_on: date
    attributions: dict[str, int]
    released_cents: int = 0


async def reversal_of(session: AsyncSession, entry_id: uuid.UUID) -> Reversed | None:
    r = store.reversals.c
    row = (
        await session.execute(
            select(r.reversal_id, r.reason_code, r.reversed_on).where(r.entry_id == entry_id)
        )
    ).first()
    return Reversed(str(row.reversal_id), row.reason_code, row.reversed_on) if row else None


async def _record(
    uow: UnitOfWork,
    kind: EntryKind,
    entry_id: uuid.UUID,
    period: str,
    amount_cents: int,
    reason_code: str,
    actor: Actor,
) -> tuple[uuid.UUID, date]:
    reversal_id, today = uuid.uuid4(), uow.clock().date()
    try:
        async with uow.session.begin_nested():
            await store.insert_rows(
                uow.session,
                store.reversals,
                [
                    {
                        "reversal_id": reversal_id,
                        "kind": kind,
                        "entry_id": entry_id,
                        "period": period,
                        "amount_cents": amount_cents,
                        "reason_code": reason_code,
                        "reversed_on": today,
                        "recorded_at": uow.clock(),
                        "recorded_by": actor.id,
                    }
                ],
            )
    except IntegrityError as e:  # a concurrent reversal of the same entry won
        raise ConflictError(
            f"{kind} {entry_id} was already reversed; an entry is reversed once"
        ) from e
    return reversal_id, today


async def reverse_contribution(
    uow: UnitOfWork,
    kind: Literal["pledge", "receipt"],
    period: str,
    entry_id: uuid.UUID,
    reason_code: ContributionReversalReason,
    actor: Actor,
) -> Reversal:
    """Reverse a pledge or receipt of fund ``period``. A receipt reversal is refused when the
    fund would then have committed more than it received (``check_receipt_reversal``)."""
    fund = await store.fund(uow.session, period, lock=kind == "receipt")
    if fund is None:
        raise NotFoundError(f"there is no fund for period '{period}'")
    table = store.pledges if kind == "pledge" else store.receipts
    entry = (
        await uow.session.execute(
            select(table).where(table.c.entry_id == entry_id, table.c.period == period)
        )
    ).first()
    if entry is None:
        raise NotFoundError(f"fund {period} has no {kind} {entry_id}")
    check_not_reversed(kind, entry_id, await reversal_of(uow.session, entry_id))
    if kind == "receipt":
        received = await store.member_totals(uow.session, store.receipts, period)
        attributed = await store.member_attributed(uow.session, period)
        check_receipt_reversal(
            entry.amount_cents,
            fund_received_cents=fund.received_cents,
            fund_committed_cents=fund.committed_cents,
            member=entry.member,
            member_received_cents=received.get(entry.member, 0),
            member_attributed_cents=attributed.get(entry.member, 0),
        )
        await store.add_to_fund(uow.session, period, received=-entry.amount_cents)
    reversal_id, today = await _record(
        uow, kind, entry_id, period, entry.amount_cents, reason_code, actor
    )
    uow.emit(
        ContributionReversed(
            reversal_id=reversal_id,
            entry_id=entry_id,
            kind=kind,
            period=period,
            member=entry.member,
            amount_cents=entry.amount_cents,
            reason_code=reason_code,
            reversed_on=today,
        ),
        actor=actor,
    )
    return Reversal(reversal_id, kind, entry_id, period, entry.amount_cents, reason_code, today, {})


async def reverse_disbursement(
    uow: UnitOfWork,
    payment_id: uuid.UUID,
    reason_code: PaymentReversalReason,
    principal: Principal,
) -> Reversal:
    """Reverse a payment: its amount goes back to its commitment line (and, if the commitment
    was released meanwhile, straight back to the person's cap and the fund), and each member's
    attributed part is taken back exactly. Scoped to the case's office, like paying."""
    actor = Actor.user(principal.user_id, principal.role)
    d = store.disbursements
    payment = (
        await uow.session.execute(select(d).where(d.c.disbursement_id == payment_id))
    ).first()
    if payment is None:
        raise NotFoundError(f"there is no payment {payment_id}")
    found = await store.commitment(uow.session, payment.commitment_id)
    assert found is not None  # a payment's commitment is a foreign key
    case = await store.case(uow.session, found.case_id)
    if case is not None:
        ensure_office(principal, case.office)
    await store.fund(uow.session, found.period, lock=True)
    await store.lock_people(uow.session, found.period, [found.person_ref])
    locked = await store.commitment(uow.session, payment.commitment_id, lock=True)
    assert locked is not None
    check_not_reversed("payment", payment_id, await reversal_of(uow.session, payment_id))
    effect = reverse_payment(locked.state, payment.amount_cents)
    a = store.attributions
    rows = await uow.session.execute(
        select(a.c.member, a.c.amount_cents).where(a.c.disbursement_id == payment_id)
    )
    parts = reverse_attributions({m: int(cents) for m, cents in rows})
    c = store.commitments
    await uow.session.execute(
        c.update()
        .where(c.c.commitment_id == payment.commitment_id)
        .values(
            disbursed_cents=c.c.disbursed_cents - effect.restored_cents,
            released_cents=c.c.released_cents + effect.released_cents,
        )
    )
    await store.add_to_person(
        uow.session,
        found.period,
        found.person_ref,
        disbursed=-effect.restored_cents,
        committed=-effect.released_cents,
    )
    await store.add_to_fund(
        uow.session,
        found.period,
        disbursed=-effect.restored_cents,
        committed=-effect.released_cents,
    )
    reversal_id, today = await _record(
        uow, "payment", payment_id, found.period, payment.amount_cents, reason_code, actor
    )
    uow.emit(
        DisbursementReversed(
            reversal_id=reversal_id,
            disbursement_id=payment_id,
            commitment_id=payment.commitment_id,
            period=found.period,
            case_id=found.case_id,
            person_ref=found.person_ref,
            category=payment.category,
            amount_cents=payment.amount_cents,
            attributions=[MemberAmount(member=m, amount_cents=v) for m, v in parts.items()],
            reason_code=reason_code,
            reversed_on=today,
        ),
        actor=actor,
    )
    if effect.released_cents:
        uow.emit(
            CommitmentReleased(
                commitment_id=payment.commitment_id,
                period=found.period,
                case_id=found.case_id,
                person_ref=found.person_ref,
                released_cents=effect.released_cents,
                reason_code="payment_reversed",
            ),
            actor=actor,
        )
    return Reversal(
        reversal_id,
        "payment",
        payment_id,
        found.period,
        payment.amount_cents,
        reason_code,
        today,
        parts,
        effect.released_cents,
    )
