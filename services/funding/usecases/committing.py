"""Use cases that commit, and release, money for people: the cap is checked here, under locks.

Lock order, everywhere in this service: the fund row, then the people's ledger rows by
reference, then commitment rows. On SQLite the whole transaction already holds the write lock
(``BEGIN IMMEDIATE``); on PostgreSQL the row locks serialize the read-check-write.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from db.uow import UnitOfWork
from events.envelope import Actor
from events.funding import (
    CommitmentApproved,
    CommitmentRejected,
    CommitmentReleased,
    CommittedLine,
    RejectionReason,
)
from services.funding import store
from services.funding.domain import Decision, Line, Position, decide_commitment, rejection
from services.funding.domain import releasable_cents as releasable


@dataclass(frozen=True)
class Request:
    case_id: uuid.UUID
    period: str
    person_ref: str
    lines: tuple[Line, ...]
    currencies: frozenset[str]  # of the requested lines; empty when not stated
    allow_partial: bool


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    commitment_id: uuid.UUID | None
    period: str


async def commit_people(
    uow: UnitOfWork, requests: Sequence[Request], *, origin: str, actor: Actor | None = None
) -> list[Outcome]:
    """Decide each request of one fund in turn (people in reference order), one event each."""
    ordered = sorted(requests, key=lambda r: r.person_ref)
    if not ordered:
        return []
    period = ordered[0].period
    if any(r.period != period for r in ordered):
        raise ValueError("requests decided together must be for one fund period")
    fund = await store.fund(uow.session, period, lock=True)
    if fund is None:
        return [_reject(uow, r, "unknown_fund", None, actor) for r in ordered]
    committed = await store.lock_people(uow.session, period, (r.person_ref for r in ordered))
    received, fund_committed = fund.received_cents, fund.committed_cents
    outcomes = []
    for request in ordered:
        position = Position(fund.cap_cents, committed[request.person_ref], received, fund_committed)
        if request.currencies and request.currencies != {fund.currency}:
            outcomes.append(_reject(uow, request, "currency_mismatch", position, actor))
            continue
        decision = decide_commitment(request.lines, position, allow_partial=request.allow_partial)
        if not decision.approved:
            outcomes.append(_emit_rejected(uow, request, decision, actor))
            continue
        commitment_id = await _record(uow, request, decision, origin, actor)
        committed[request.person_ref] += decision.amount_cents
        fund_committed += decision.amount_cents
        outcomes.append(Outcome(decision, commitment_id, period))
    return outcomes


async def _record(
    uow: UnitOfWork, request: Request, decision: Decision, origin: str, actor: Actor | None
) -> uuid.UUID:
    commitment_id = uuid.uuid4()
    session, amount = uow.session, decision.amount_cents
    await store.insert_rows(
        session,
        store.commitments,
        [
            {
                "commitment_id": commitment_id,
                "period": request.period,
                "case_id": request.case_id,
                "person_ref": request.person_ref,
                "requested_cents": decision.requested_cents,
                "amount_cents": amount,
                "disbursed_cents": 0,
                "released_cents": 0,
                "partial": decision.partial,
                "active": True,
                "origin": origin,
                "created_at": uow.clock(),
                "created_by": actor.id if actor else "funding",
            }
        ],
    )
    await store.insert_rows(
        session,
        store.commitment_lines,
        [
            {
                "commitment_id": commitment_id,
                "position": i,
                "category": line.category,
                "amount_cents": line.amount_cents,
            }
            for i, line in enumerate(decision.lines)
        ],
    )
    await store.add_to_person(session, request.period, request.person_ref, committed=amount)
    await store.add_to_fund(session, request.period, committed=amount)
    uow.emit(
        CommitmentApproved(
            commitment_id=commitment_id,
            period=request.period,
            case_id=request.case_id,
            person_ref=request.person_ref,
            requested_cents=decision.requested_cents,
            amount_cents=amount,
            partial=decision.partial,
            lines=[
                CommittedLine(category=x.category, amount_cents=x.amount_cents)
                for x in decision.lines
            ],
            remaining_cap_cents=decision.remaining_cap_cents,
        ),
        actor=actor,
    )
    return commitment_id


def _reject(
    uow: UnitOfWork,
    request: Request,
    reason: RejectionReason,
    position: Position | None,
    actor: Actor | None,
) -> Outcome:
    requested = sum(line.amount_cents for line in request.lines)
    return _emit_rejected(uow, request, rejection(requested, reason, position), actor)


def _emit_rejected(
    uow: UnitOfWork, request: Request, decision: Decision, actor: Actor | None
) -> Outcome:
    assert decision.reason is not None
    uow.emit(
        CommitmentRejected(
            period=request.period,
            case_id=request.case_id,
            person_ref=request.person_ref,
            requested_cents=decision.requested_cents,
            reason=decision.reason,
            remaining_cap_cents=decision.remaining_cap_cents,
            available_cents=decision.available_cents,
        ),
        actor=actor,
    )
    return Outcome(decision, None, request.period)


async def release_case(uow: UnitOfWork, case_id: uuid.UUID, period: str, reason: str) -> int:
    """Give back what is unspent on every active commitment of a case; returns the total."""
    fund = await store.fund(uow.session, period, lock=True)
    if fund is None:
        return 0
    found = await store.active_commitments(uow.session, case_id)
    await store.lock_people(uow.session, period, (c.person_ref for c in found))
    total = 0
    for c in found:
        amount = releasable(c.state)
        await store.close_commitment(uow.session, c.commitment_id, amount)
        if amount <= 0:
            continue
        await store.add_to_person(uow.session, period, c.person_ref, committed=-amount)
        total += amount
        uow.emit(
            CommitmentReleased(
                commitment_id=c.commitment_id,
                period=period,
                case_id=case_id,
                person_ref=c.person_ref,
                released_cents=amount,
                reason_code=reason,
            )
        )
    await store.add_to_fund(uow.session, period, committed=-total)
    return total
