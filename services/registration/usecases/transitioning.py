"""Use case: move a case through its lifecycle, one event per transition (also applied by
the funding handler inside the runner's unit of work)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import RowMapping

from db.uow import UnitOfWork
from events.envelope import Actor, Envelope
from events.registration import TRANSITION_EVENTS, CaseStatus
from services.kit.definition import Runtime
from services.kit.identity import Principal, ensure_office
from services.kit.vault import VAULT, Vault
from services.registration import domain, store
from services.registration.schemas.cases import TransitionDone
from services.registration.schemas.registering import TransitionIn
from services.registration.store import SERVICE


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
    if to in domain.SCREENING:
        common.update(
            eligible=to == "eligible", failed_checks=list(failed), eligibility_exception=exception
        )
    elif to == "arrived":
        common["arrived_on"] = now.date()
    elif to == "closed":
        common["closed_on"] = now.date()
    payload = TRANSITION_EVENTS[to](**common)
    extra = {"eligibility_exception": exception} if to in domain.SCREENING else {}
    if not await store.move(uow.session, case["case_id"], current, to, now, **extra):
        raise domain.CaseChangedMeanwhileError(
            f"case {case['case_id']} changed meanwhile; reload it and retry"
        )
    envelope = uow.emit(payload, actor=actor)
    await store.add_transition(
        uow.session,
        {
            "case_id": case["case_id"],
            "from_status": current,
            "to_status": to,
            "reason_code": reason_code,
            "failed_checks": list(failed) if to in domain.SCREENING else None,
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
    raise domain.EveryoneErasedError(
        "everyone in this case was erased; free text can no longer be stored"
    )


def screening_failures(
    rt: Runtime, case: RowMapping, people: Sequence[RowMapping], body: TransitionIn
) -> list[str]:
    """The automatic checks a screening fails (none for another move); refuses ``eligible``
    while one fails."""
    if body.to not in domain.SCREENING:
        return []
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
    return failed


async def transition_case(
    rt: Runtime, principal: Principal, case_id: uuid.UUID, body: TransitionIn
) -> TransitionDone:
    """Move a case to ``body.to``: check the request and the move, run the eligibility
    checks of a screening, seal free text through the vault, then compare-and-set the status
    and emit the transition's event in one commit. Without free text, everything happens in
    that one transaction (a refused move rolls back having written nothing)."""
    domain.check_transition_request(body.to, body.reason_code, body.eligibility_exception_reason)
    db = rt.db(SERVICE)
    detail = None
    if body.reason_detail:  # sealed through the vault before the case's transaction opens
        async with db.reading() as session:
            case = await store.load_case(session, case_id)
            ensure_office(principal, case["office"])
            people = await store.people_of(session, [case_id])
        domain.check_transition(case["status"], body.to)
        screening_failures(rt, case, people, body)
        detail = await _seal_detail(rt.part(VAULT), people, body.reason_detail)
    async with db.unit_of_work() as uow:
        case = await store.load_case(uow.session, case_id)
        ensure_office(principal, case["office"])
        domain.check_transition(case["status"], body.to)
        people = (
            await store.people_of(uow.session, [case_id]) if body.to in domain.SCREENING else []
        )
        failed = screening_failures(rt, case, people, body)
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
