"""Use cases that move a case through its lifecycle: one event per transition."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from db.uow import UnitOfWork
from events.envelope import Actor, Envelope
from events.registration import TRANSITION_EVENTS, CaseStatus
from services.kit.definition import Runtime
from services.kit.errors import ConflictError, InvalidInputError, NotFoundError
from services.kit.identity import Principal, ensure_office
from services.kit.vault import Vault
from services.registration import domain, store
from services.registration.commands import TransitionIn
from services.registration.views import TransitionDone

SERVICE = "registration"
SCREENING: tuple[CaseStatus, ...] = ("eligible", "ineligible")
FROM_EVENTS_ONLY: tuple[CaseStatus, ...] = ("funding_approved", "registered")


async def visible_case(
    session: AsyncSession, case_id: uuid.UUID, principal: Principal
) -> RowMapping:
    case = await store.get_case(session, case_id)
    if case is None:
        raise NotFoundError(f"no case {case_id}")
    ensure_office(principal, case["office"])
    return case


async def apply_transition(
    uow: UnitOfWork,
    case: RowMapping,
    to: CaseStatus,
    *,
    actor: Actor,
    reason_code: str | None = None,
    failed: Sequence[str] = (),
    detail: tuple[str, str, bytes] | None = None,
    exception: str | None = None,
) -> Envelope:
    """Check the move, compare-and-set the status, record it and emit its event."""
    current: CaseStatus = case["status"]
    domain.check_transition(current, to)
    now = uow.clock()
    common: dict[str, Any] = {
        "case_id": case["case_id"],
        "office": case["office"],
        "from_status": current,
        "to_status": to,
        "reason_code": reason_code,
    }
    if to in SCREENING:
        common.update(
            eligible=to == "eligible", failed_checks=list(failed), eligibility_exception=exception
        )
    elif to == "arrived":
        common["arrived_on"] = now.date()
    elif to == "closed":
        common["closed_on"] = now.date()
    payload = TRANSITION_EVENTS[to](**common)
    extra = {"eligibility_exception": exception} if to in SCREENING else {}
    if not await store.move(uow.session, case["case_id"], current, to, now, **extra):
        raise ConflictError(f"case {case['case_id']} changed meanwhile; reload it and retry")
    envelope = uow.emit(payload, actor=actor)
    await store.add_transition(
        uow.session,
        {
            "case_id": case["case_id"],
            "from_status": current,
            "to_status": to,
            "reason_code": reason_code,
            "failed_checks": list(failed) if to in SCREENING else None,
            "detail_person_ref": detail[0] if detail else None,
            "detail_field": detail[1] if detail else None,
            "reason_detail": detail[2] if detail else None,
            "actor_kind": actor.kind,
            "actor_id": actor.id,
            "actor_role": actor.role,
            "event_id": envelope.event_id,
            "at": now,
        },
    )
    return envelope


def _check_body(body: TransitionIn) -> None:
    if body.to in FROM_EVENTS_ONLY:
        raise InvalidInputError(
            f"'{body.to}' is set by the system ('funding_approved' follows the funding "
            "service's decision; 'registered' by POST /api/cases), not by a request",
            errors=[{"field": "to", "problem": "cannot be requested"}],
        )
    if body.eligibility_exception_reason and body.to not in SCREENING:
        raise InvalidInputError(
            "eligibility_exception_reason is recorded only with a screening decision "
            "('eligible' or 'ineligible')",
            errors=[{"field": "eligibility_exception_reason", "problem": "only with a screening"}],
        )
    domain.check_reason(body.to, body.reason_code)


async def _seal_detail(
    vault: Vault, people: Sequence[RowMapping], text: str
) -> tuple[str, str, bytes]:
    """Free text is encrypted under the first person of the case not erased, as a field of
    its own (``reason_detail.<random>``): (person_ref, field, token)."""
    field = f"reason_detail.{uuid.uuid4().hex}"
    for person in people:
        ref = person["person_ref"]
        if person["erased_at"] is None and not await vault.is_erased(ref):
            return ref, field, (await vault.encrypt_many(ref, {field: text}))[field]
    raise ConflictError("everyone in this case was erased; free text can no longer be stored")


async def transition_case(
    rt: Runtime, vault: Vault, case_id: uuid.UUID, body: TransitionIn, principal: Principal
) -> TransitionDone:
    _check_body(body)
    db = rt.db(SERVICE)
    async with db.unit_of_work() as uow:
        case = await visible_case(uow.session, case_id, principal)
        people = await store.people_of(uow.session, [case_id])
    domain.check_transition(case["status"], body.to)
    failed: list[str] = []
    if body.to in SCREENING:
        failed = domain.failed_checks(
            [
                domain.PersonForScreening(
                    p["age_years"], p["nationality"], p["vulnerability_categories"]
                )
                for p in people
            ],
            departure=case["departure_country"],
            destination=case["destination_country"],
            categories=rt.settings.vulnerability_categories,
            nationality_exception=body.eligibility_exception_reason is not None,
        )
        if body.to == "eligible":
            domain.check_eligible_decision(failed)
    detail = await _seal_detail(vault, people, body.reason_detail) if body.reason_detail else None
    async with db.unit_of_work() as uow:
        case = await visible_case(uow.session, case_id, principal)
        envelope = await apply_transition(
            uow,
            case,
            body.to,
            actor=Actor.user(principal.user_id, principal.role),
            reason_code=body.reason_code,
            failed=failed,
            detail=detail,
            exception=body.eligibility_exception_reason,
        )
        await uow.commit()
    return TransitionDone(
        case_id=case_id,
        from_status=case["status"],
        to_status=body.to,
        allowed_next=list(domain.allowed_next(body.to)),
        failed_checks=failed,
        event_id=envelope.event_id,
    )
