"""What the funding service does when registration tells it about a case."""

from __future__ import annotations

from collections.abc import Mapping

from db.uow import UnitOfWork
from events.envelope import Envelope
from events.funding import CaseFundingDecided
from events.registration import (
    CaseCancelled,
    CaseCorrected,
    CaseScreened,
    CaseWithdrawn,
    ReturnRegistered,
)
from services.funding import store
from services.funding.usecases.cases import line_rows, on_case_corrected
from services.funding.usecases.committing import Request, commit_people, release_case
from services.kit.definition import Handler, Runtime
from services.kit.errors import WaitingForEvent

CLOSED_STATUSES = ("withdrawn", "cancelled")


async def on_return_registered(uow: UnitOfWork, event: Envelope) -> None:
    """Remember the case, its people and their requested lines (once)."""
    if event.version != ReturnRegistered.version:
        return
    p = event.parse(ReturnRegistered)
    if await store.case(uow.session, p.case_id) is not None:
        return
    await store.insert_rows(
        uow.session,
        store.cases,
        [
            {
                "case_id": p.case_id,
                "period": p.fund_period,
                "office": p.office,
                "destination_country": p.destination_country,
                "allow_partial": p.allow_partial,
                "status": "registered",
                "updated_at": uow.clock(),
            }
        ],
    )
    await store.insert_rows(
        uow.session,
        store.case_people,
        [
            {"case_id": p.case_id, "person_ref": ref}
            for ref in sorted({person.person_ref for person in p.people})
        ],
    )
    await store.insert_rows(uow.session, store.case_lines, line_rows(p.case_id, p.requested))


def _case_not_seen(case_id: object, what: str) -> WaitingForEvent:
    """An event about a case arrived before the case's registration (redelivered late after
    a crash): it waits, parked, until the registration has been applied."""
    return WaitingForEvent("case_id", case_id, f"case {case_id} {what} before its registration")


async def on_case_screened(uow: UnitOfWork, event: Envelope) -> None:
    """An eligible case gets a decision per person and one decision for the case."""
    if event.version != CaseScreened.version:
        return
    p = event.parse(CaseScreened)
    case = await store.case(uow.session, p.case_id)
    if case is None:
        raise _case_not_seen(p.case_id, "screened")
    if case.status != "registered":
        return  # already decided: nothing to do twice
    if not p.eligible:
        await store.set_case_status(uow.session, p.case_id, "ineligible", uow.clock())
        return
    lines = await store.lines_of_case(uow.session, p.case_id)
    requests = [
        Request(
            case_id=p.case_id,
            period=case.period,
            person_ref=ref,
            lines=tuple(line for line, _ in person_lines),
            currencies=frozenset(currency for _, currency in person_lines),
            allow_partial=case.allow_partial,
        )
        for ref, person_lines in lines.items()
    ]
    outcomes = await commit_people(uow, requests, origin="screening")
    committed = sum(o.decision.amount_cents for o in outcomes)
    approved = any(o.decision.approved for o in outcomes)
    await store.set_case_status(
        uow.session, p.case_id, "funded" if approved else "unfunded", uow.clock()
    )
    uow.emit(
        CaseFundingDecided(
            period=case.period,
            case_id=p.case_id,
            approved=approved,
            committed_cents=committed,
            requested_cents=sum(o.decision.requested_cents for o in outcomes),
        )
    )


def _release_on(status: str, model: type[CaseWithdrawn] | type[CaseCancelled]) -> Handler:
    async def handle(uow: UnitOfWork, event: Envelope) -> None:
        if event.version != model.version:
            return
        p = event.parse(model)
        case = await store.case(uow.session, p.case_id)
        if case is None:
            # Dropping it would leave the funds committed by a later-applied screening.
            raise _case_not_seen(p.case_id, status)
        if case.status in CLOSED_STATUSES:
            return
        await release_case(uow, p.case_id, case.period, reason=f"case_{status}")
        await store.set_case_status(uow.session, p.case_id, status, uow.clock())

    return handle


def handlers(rt: Runtime) -> Mapping[str, Handler]:
    return {
        ReturnRegistered.type_name(): on_return_registered,
        CaseCorrected.type_name(): on_case_corrected,
        CaseScreened.type_name(): on_case_screened,
        CaseWithdrawn.type_name(): _release_on("withdrawn", CaseWithdrawn),
        CaseCancelled.type_name(): _release_on("cancelled", CaseCancelled),
    }
