"""Caseworkers' use cases on a case: explicit commitment requests and disbursements.

Both are scoped to the principal's offices (the case's office was learned at registration).
``request_commitment`` and ``disburse`` are the use cases (they commit); ``decide_request``
and ``pay`` are their steps inside an open unit of work.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from db.uow import UnitOfWork
from events.envelope import Actor
from events.funding import CaseFundingDecided, DisbursementMade, MemberAmount
from services.funding import store
from services.funding.domain import (
    Line,
    case_after,
    check_category,
    check_disbursement,
    check_entry_date,
    check_payment_line,
    rejection_error,
)
from services.funding.domain.errors import (
    CaseNotEligibleError,
    CaseNotKnownError,
    CaseOfAnotherOfficeError,
    NoCostLinesError,
    NotInCaseError,
    UnknownCommitmentError,
)
from services.funding.domain.money import attribute_payment
from services.funding.schemas import (
    CommitmentIn,
    CommitmentOutcomeOut,
    DisbursementIn,
    DisbursementOut,
    member_parts,
    money,
)
from services.funding.usecases.committing import Outcome, Request, commit_people
from services.funding.usecases.funds import known_fund
from services.kit.definition import Runtime
from services.kit.identity import Principal


def _ensure_office(principal: Principal, office: str) -> None:
    if not principal.can_see_office(office):
        raise CaseOfAnotherOfficeError(
            f"this case belongs to office {office!r}, which is not one of your offices"
        )


async def request_commitment(
    rt: Runtime, principal: Principal, case_id: uuid.UUID, body: CommitmentIn
) -> CommitmentOutcomeOut:
    """Request a commitment for one person of an eligible case. A rejection is recorded (its
    event committed) and then raised as the named problem of its binding limit."""
    categories = rt.settings.cost_categories
    lines = tuple(x.line(categories) for x in body.lines)
    async with rt.db("funding").unit_of_work() as uow:
        outcome = await decide_request(
            uow, case_id, body.person_ref, lines, body.allow_partial, body.currency, principal
        )
        await uow.commit()
    result = CommitmentOutcomeOut.of(outcome.decision, outcome.commitment_id, outcome.period)
    if not outcome.decision.approved:
        raise rejection_error(
            outcome.decision,
            f"commitment rejected ({result.reason}): remaining cap "
            f"{result.remaining_cap}, fund available {result.available}",
            **result.model_dump(exclude={"lines"}),
        )
    return result


async def decide_request(
    uow: UnitOfWork,
    case_id: uuid.UUID,
    person_ref: str,
    lines: tuple[Line, ...],
    allow_partial: bool,
    currency: str | None,
    principal: Principal,
) -> Outcome:
    """A caseworker's request to commit money for one person of an eligible case."""
    actor = Actor.user(principal.user_id, principal.role)
    case = await store.case(uow.session, case_id)
    if case is None:
        raise CaseNotKnownError(
            f"case {case_id} is not known to funding yet (no registration seen)"
        )
    _ensure_office(principal, case.office)
    if case_after(case.status, "requested") is None:
        raise CaseNotEligibleError(
            f"case {case_id} is {case.status}; only eligible cases can be funded"
        )
    if person_ref not in await store.people_of_case(uow.session, case_id):
        raise NotInCaseError(f"{person_ref} is not one of the people of case {case_id}")
    await known_fund(uow, case.period, currency)
    if not lines:
        registered = (await store.lines_of_case(uow.session, case_id)).get(person_ref, [])
        lines = tuple(line for line, _ in registered)
    if not lines:
        raise NoCostLinesError("no cost lines given and none were registered for this person")
    request = Request(case_id, case.period, person_ref, lines, frozenset(), allow_partial)
    [outcome] = await commit_people(uow, [request], origin="request", actor=actor)
    funded = case_after(case.status, "request_approved")
    if outcome.decision.approved and funded is not None:
        await store.set_case_status(uow.session, case_id, funded, uow.clock())
        uow.emit(
            CaseFundingDecided(
                period=case.period,
                case_id=case_id,
                approved=True,
                committed_cents=outcome.decision.amount_cents,
                requested_cents=outcome.decision.requested_cents,
            ),
            actor=actor,
        )
    return outcome


@dataclass(frozen=True)
class Payment:
    disbursement_id: uuid.UUID
    amount_cents: int
    attributions: dict[str, int]


async def disburse(
    rt: Runtime, principal: Principal, commitment_id: uuid.UUID, body: DisbursementIn
) -> DisbursementOut:
    """Pay against a commitment (see ``pay``)."""
    amount = body.amount_cents()
    category = check_category(body.category, rt.settings.cost_categories)
    async with rt.db("funding").unit_of_work() as uow:
        today = rt.clock().date()
        paid_on = check_entry_date(body.paid_on or today, today, field="paid_on")
        paid = await pay(uow, commitment_id, amount, category, paid_on, body.currency, principal)
        await uow.commit()
    return DisbursementOut(
        disbursement_id=paid.disbursement_id,
        commitment_id=commitment_id,
        **money("amount", paid.amount_cents),
        attributions=member_parts(paid.attributions),
    )


async def pay(
    uow: UnitOfWork,
    commitment_id: uuid.UUID,
    amount_cents: int,
    category: str,
    paid_on: date,
    currency: str | None,
    principal: Principal,
) -> Payment:
    """Pay against a commitment, never above its unspent part; attribute it to the members
    whose received money pays it (``attribute_payment``)."""
    actor = Actor.user(principal.user_id, principal.role)
    found = await store.commitment(uow.session, commitment_id)
    if found is None:
        raise UnknownCommitmentError(f"there is no commitment {commitment_id}")
    case = await store.case(uow.session, found.case_id)
    if case is not None:
        _ensure_office(principal, case.office)
    await known_fund(uow, found.period, currency)
    await store.fund(uow.session, found.period, lock=True)
    await store.lock_people(uow.session, found.period, [found.person_ref])
    locked = await store.commitment(uow.session, commitment_id, lock=True)
    assert locked is not None
    check_disbursement(locked.state, amount_cents)
    check_payment_line(category, amount_cents, *await store.line_totals(uow.session, commitment_id))
    parts = attribute_payment(
        amount_cents,
        await store.unused_receipts(uow.session, found.period),
        await store.shares(uow.session, found.period),
    )
    payment = Payment(uuid.uuid4(), amount_cents, parts)
    await store.insert_rows(
        uow.session,
        store.disbursements,
        [
            {
                "disbursement_id": payment.disbursement_id,
                "commitment_id": commitment_id,
                "period": found.period,
                "category": category,
                "amount_cents": amount_cents,
                "paid_on": paid_on,
                "recorded_at": uow.clock(),
                "recorded_by": actor.id,
            }
        ],
    )
    await store.insert_rows(
        uow.session,
        store.attributions,
        [
            {"disbursement_id": payment.disbursement_id, "member": m, "amount_cents": a}
            for m, a in parts.items()
        ],
    )
    await store.add_to_commitment(uow.session, commitment_id, disbursed=amount_cents)
    await store.add_to_person(uow.session, found.period, found.person_ref, disbursed=amount_cents)
    await store.add_to_fund(uow.session, found.period, disbursed=amount_cents)
    uow.emit(
        DisbursementMade(
            disbursement_id=payment.disbursement_id,
            commitment_id=commitment_id,
            period=found.period,
            case_id=found.case_id,
            person_ref=found.person_ref,
            category=category,
            amount_cents=amount_cents,
            paid_on=paid_on,
            attributions=[MemberAmount(member=m, amount_cents=a) for m, a in parts.items()],
        ),
        actor=actor,
    )
    return payment
