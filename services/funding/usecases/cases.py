"""What funding does with registration's news of a case, inside the runner's unit of work.

The funding service keeps, per case, what screening will commit against: the fund period,
the destination, ``allow_partial`` and the requested lines. A correction replaces them, so
the screening that follows commits the corrected lines. Screening decides each person's
commitment and the case's status; a withdrawal or cancellation releases what is unspent.
The case's status moves only by ``domain.case_after``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any, Literal

from db.uow import UnitOfWork
from events.funding import CaseFundingDecided
from events.registration import CaseCorrected, CaseScreened, RequestedLine, ReturnRegistered
from events.reintegration import AssistanceRecorded
from services.funding import store
from services.funding.domain import Line
from services.funding.domain.cases import LEARNED, case_after
from services.funding.usecases.committing import Request, commit_people, release_case
from services.kit.errors import WaitingForEvent

log = logging.getLogger(__name__)


def _case_not_seen(case_id: object, what: str) -> WaitingForEvent:
    """An event about a case arrived before the case's registration (redelivered late after
    a crash): it waits, parked, until the registration has been applied."""
    return WaitingForEvent("case_id", case_id, f"case {case_id} {what} before its registration")


async def learn_case(uow: UnitOfWork, p: ReturnRegistered) -> None:
    """Remember the case, its people and their requested lines (once)."""
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
                "status": LEARNED,
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


async def correct_case(uow: UnitOfWork, p: CaseCorrected) -> None:
    """Replace the case's period, destination, ``allow_partial`` and requested lines."""
    case = await store.case(uow.session, p.case_id)
    if case is None:  # redelivered before its registration after a crash: wait for it
        raise WaitingForEvent(
            "case_id", p.case_id, f"case {p.case_id} corrected before its registration"
        )
    if case_after(case.status, "corrected") is None:
        # Registration corrects only cases not yet screened; this one was decided already.
        log.warning("correction of case %s in funding status %s ignored", p.case_id, case.status)
        return
    await store.correct_case(
        uow.session,
        p.case_id,
        period=p.fund_period,
        destination_country=p.destination_country,
        allow_partial=p.allow_partial,
        at=uow.clock(),
    )
    await store.replace_case_lines(uow.session, p.case_id, line_rows(p.case_id, p.requested))


def line_rows(case_id: uuid.UUID, requested: Sequence[RequestedLine]) -> list[dict[str, Any]]:
    """The rows of ``funding_case_lines`` for a case's requested lines, in order."""
    return [
        {
            "case_id": case_id,
            "position": i,
            "person_ref": line.person_ref,
            "category": line.category,
            "amount_cents": line.amount_cents,
            "currency": line.currency,
        }
        for i, line in enumerate(requested)
    ]


async def screen_case(uow: UnitOfWork, p: CaseScreened) -> None:
    """An eligible case gets a decision per person and one decision for the case."""
    case = await store.case(uow.session, p.case_id)
    if case is None:
        raise _case_not_seen(p.case_id, "screened")
    if not p.eligible:
        ineligible = case_after(case.status, "screened_ineligible")
        if ineligible is not None:
            await store.set_case_status(uow.session, p.case_id, ineligible, uow.clock())
        return  # None: already decided, nothing to do twice
    if case_after(case.status, "screened_unfunded") is None:
        return  # already decided: nothing to do twice
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
    status = case_after(case.status, "screened_funded" if approved else "screened_unfunded")
    assert status is not None
    await store.set_case_status(uow.session, p.case_id, status, uow.clock())
    uow.emit(
        CaseFundingDecided(
            period=case.period,
            case_id=p.case_id,
            approved=approved,
            committed_cents=committed,
            requested_cents=sum(o.decision.requested_cents for o in outcomes),
        )
    )


async def close_case(
    uow: UnitOfWork, case_id: uuid.UUID, step: Literal["withdrawn", "cancelled"]
) -> None:
    """Release what is unspent on the case's commitments; the case is closed (once)."""
    case = await store.case(uow.session, case_id)
    if case is None:
        # Dropping it would leave the funds committed by a later-applied screening.
        raise _case_not_seen(case_id, step)
    closed = case_after(case.status, step)
    if closed is None:
        return
    await release_case(uow, case_id, case.period, reason=f"case_{step}")
    await store.set_case_status(uow.session, case_id, closed, uow.clock())


GRANT_CATEGORY = "reintegration_grant"


async def commit_reintegration_grants(uow: UnitOfWork, p: AssistanceRecorded) -> None:
    """Cash assistance a person received in their reintegration is paid from the fund: each
    cash item becomes a ``reintegration_grant`` commitment of the person's case, decided
    against the person's cap and the fund like any other (``commitment_approved`` or
    ``commitment_rejected``; a supervisor then pays it). Planned assistance commits nothing.
    An item for a case funding has not learned of waits for its registration."""
    cash = [i.amount_cents for i in p.items if i.kind == "cash" and i.amount_cents]
    if p.stage != "received" or not cash:
        return
    case = await store.case(uow.session, p.case_id)
    if case is None:
        raise _case_not_seen(p.case_id, "has reintegration assistance")
    lines = tuple(Line(GRANT_CATEGORY, cents) for cents in cash)
    request = Request(p.case_id, case.period, p.person_ref, lines, frozenset(), False)
    await commit_people(uow, [request], origin="reintegration")
