"""Reversals: a mistaken pledge, receipt or payment is corrected by a compensating entry.

Ledgers are never edited. A reversal is a row of its own (``funding_reversals``, one per
entry at most), with a reason code and an event; the entry itself stays as it was recorded.
Lock order as everywhere in this service: the fund row, the person's ledger row, then the
commitment row. ``reverse_contribution`` and ``reverse_disbursement`` are the use cases (they
commit); ``undo_contribution`` and ``undo_disbursement`` are their steps in an open unit of work.
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
    check_not_reversed,
    check_receipt_reversal,
    reverse_attributions,
    reverse_payment,
)
from services.funding.domain.errors import (
    AlreadyReversedError,
    UnknownEntryError,
    UnknownFundError,
    UnknownPaymentError,
)
from services.funding.schemas import (
    ContributionReversalIn,
    PaymentReversalIn,
    ReversalOut,
    member_parts,
    money,
)
from services.funding.usecases.funds import actor_of
from services.kit.definition import Runtime
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


def reversal_out(done: Reversal) -> ReversalOut:
    return ReversalOut(
        reversal_id=done.reversal_id,
        kind=done.kind,
        entry_id=done.entry_id,
        period=done.period,
        reason_code=done.reason_code,
        reversed_on=done.reversed_on,
        **money("amount", done.amount_cents),
        attributions=member_parts(done.attributions),
        **money("released", done.released_cents),
    )


async def reverse_contribution(
    rt: Runtime,
    principal: Principal,
    kind: Literal["pledge", "receipt"],
    period: str,
    entry_id: uuid.UUID,
    body: ContributionReversalIn,
) -> ReversalOut:
    """Reverse a mistaken pledge or receipt, once (see ``undo_contribution``)."""
    async with rt.db("funding").unit_of_work() as uow:
        done = await undo_contribution(
            uow, kind, period, entry_id, body.reason_code, actor_of(principal)
        )
        await uow.commit()
    return reversal_out(done)


async def reverse_disbursement(
    rt: Runtime, principal: Principal, payment_id: uuid.UUID, body: PaymentReversalIn
) -> ReversalOut:
    """Reverse a payment, once (see ``undo_disbursement``)."""
    async with rt.db("funding").unit_of_work() as uow:
        done = await undo_disbursement(uow, payment_id, body.reason_code, principal)
        await uow.commit()
    return reversal_out(done)


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
        raise AlreadyReversedError(
            f"{kind} {entry_id} was already reversed; an entry is reversed once"
        ) from e
    return reversal_id, today


async def undo_contribution(
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
        raise UnknownFundError(f"there is no fund for period '{period}'")
    table = store.pledges if kind == "pledge" else store.receipts
    entry = await store.contribution(uow.session, table, period, entry_id)
    if entry is None:
        raise UnknownEntryError(f"fund {period} has no {kind} {entry_id}")
    check_not_reversed(kind, entry_id, await store.reversal_of(uow.session, entry_id))
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


async def undo_disbursement(
    uow: UnitOfWork,
    payment_id: uuid.UUID,
    reason_code: PaymentReversalReason,
    principal: Principal,
) -> Reversal:
    """Reverse a payment: its amount goes back to its commitment line (and, if the commitment
    was released meanwhile, straight back to the person's cap and the fund), and each member's
    attributed part is taken back exactly. Scoped to the case's office, like paying."""
    actor = Actor.user(principal.user_id, principal.role)
    payment = await store.payment(uow.session, payment_id)
    if payment is None:
        raise UnknownPaymentError(f"there is no payment {payment_id}")
    found = await store.commitment(uow.session, payment.commitment_id)
    assert found is not None  # a payment's commitment is a foreign key
    case = await store.case(uow.session, found.case_id)
    if case is not None:
        ensure_office(principal, case.office)
    await store.fund(uow.session, found.period, lock=True)
    await store.lock_people(uow.session, found.period, [found.person_ref])
    locked = await store.commitment(uow.session, payment.commitment_id, lock=True)
    assert locked is not None
    check_not_reversed("payment", payment_id, await store.reversal_of(uow.session, payment_id))
    effect = reverse_payment(locked.state, payment.amount_cents)
    parts = reverse_attributions(await store.attributions_of(uow.session, payment_id))
    await store.add_to_commitment(
        uow.session,
        payment.commitment_id,
        disbursed=-effect.restored_cents,
        released=effect.released_cents,
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
