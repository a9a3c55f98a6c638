"""Reactions to other services' events. Handlers never commit; the runner does.

What registration learns from funding: the funds (period, currency) a case may be registered
for, and the funding decisions shown on each case. Each handler is safe to re-run and to
receive events out of order: a decision older than the one stored changes nothing, and a
decision about a case registration has not stored yet waits for it (``WaitingForEvent``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from db.uow import UnitOfWork
from events.envelope import Actor, Envelope
from events.funding import CaseFundingDecided, CommitmentApproved, CommitmentRejected, FundCreated
from events.privacy import PersonalDataErased
from events.reintegration import FollowUpClosed
from services.kit.definition import Handler, Runtime
from services.kit.errors import WaitingForEvent
from services.registration import domain, store
from services.registration.store import SERVICE
from services.registration.usecases.transitioning import apply_transition

log = logging.getLogger(__name__)


async def _known_case(uow: UnitOfWork, case_id: uuid.UUID, what: str) -> None:
    if await store.get_case(uow.session, case_id) is None:
        raise WaitingForEvent("case_id", case_id, f"{what} for case {case_id} before the case")


def _decided(event: Envelope, values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "decided_at": event.occurred_at, "event_id": event.event_id}


async def on_case_funding_decided(uow: UnitOfWork, event: Envelope) -> None:
    """The decision is kept for the case's view; an approved one moves an eligible case to
    ``funding_approved``.

    A rejection leaves the case eligible (the caseworker may cancel it or ask again); the view
    shows why. A decision for a case no longer eligible (withdrawn, cancelled, already
    approved by a redelivery) changes no status; one for a case not stored yet waits for it.
    """
    if event.version != CaseFundingDecided.version:
        log.warning("ignoring %s version %s", event.type, event.version)
        return
    decided = event.parse(CaseFundingDecided)
    await _known_case(uow, decided.case_id, "a funding decision")
    values = {
        "approved": decided.approved,
        "committed_cents": decided.committed_cents,
        "requested_cents": decided.requested_cents,
    }
    await store.keep_case_decision(uow.session, decided.case_id, _decided(event, values))
    if not decided.approved:
        return
    case = await store.get_case(uow.session, decided.case_id)
    if case is None or not domain.awaits_funding(case["status"]):
        log.info(
            "funding decision for case %s in status %s: nothing to do",
            decided.case_id,
            None if case is None else case["status"],
        )
        return
    await apply_transition(
        uow, case, "funding_approved", actor=Actor.service(SERVICE), reason_code="funds_committed"
    )


async def on_fund_created(uow: UnitOfWork, event: Envelope) -> None:
    """A fund exists for the period: cases may be registered for it, in its currency."""
    if event.version != FundCreated.version:
        return
    fund = event.parse(FundCreated)
    await store.add_fund(uow.session, fund.period, fund.currency, event.occurred_at)


async def on_commitment_approved(uow: UnitOfWork, event: Envelope) -> None:
    """The latest decision about one person of a case: approved (how much, partial)."""
    if event.version != CommitmentApproved.version:
        return
    p = event.parse(CommitmentApproved)
    await _known_case(uow, p.case_id, "a commitment decision")
    values = {
        "approved": True,
        "reason": None,
        "requested_cents": p.requested_cents,
        "committed_cents": p.amount_cents,
        "partial": p.partial,
        "remaining_cap_cents": p.remaining_cap_cents,
        "available_cents": None,
    }
    await store.keep_person_outcome(uow.session, p.case_id, p.person_ref, _decided(event, values))


async def on_commitment_rejected(uow: UnitOfWork, event: Envelope) -> None:
    """The latest decision about one person of a case: refused, why, with the person's
    remaining cap and the fund's available balance then."""
    if event.version != CommitmentRejected.version:
        return
    p = event.parse(CommitmentRejected)
    await _known_case(uow, p.case_id, "a commitment decision")
    values = {
        "approved": False,
        "reason": p.reason,
        "requested_cents": p.requested_cents,
        "committed_cents": 0,
        "partial": False,
        "remaining_cap_cents": p.remaining_cap_cents,
        "available_cents": p.available_cents,
    }
    await store.keep_person_outcome(uow.session, p.case_id, p.person_ref, _decided(event, values))


async def on_personal_data_erased(uow: UnitOfWork, event: Envelope) -> None:
    """The person's key was destroyed: drop their ciphertexts and notes, mark them erased."""
    if event.version != PersonalDataErased.version:
        log.warning("ignoring %s version %s", event.type, event.version)
        return
    erased = event.parse(PersonalDataErased)
    await store.erase_person(uow.session, erased.person_ref, erased.erased_at)


async def on_follow_up_closed(uow: UnitOfWork, event: Envelope) -> None:
    """A person's reintegration follow-up closed. Once every person of the case has theirs
    closed, an arrived or monitored case moves to ``closed`` (registration's own
    ``case_closed``, as the reintegration service). A redelivery, or a case already closed by
    a caseworker, changes nothing; one for a case not stored yet waits for it."""
    if event.version != FollowUpClosed.version:
        log.warning("ignoring %s version %s", event.type, event.version)
        return
    closed = event.parse(FollowUpClosed)
    await _known_case(uow, closed.case_id, "a closed follow-up")
    await store.keep_follow_up_closed(
        uow.session,
        {
            "case_id": closed.case_id,
            "person_ref": closed.person_ref,
            "reason_code": closed.reason_code,
            "closed_on": closed.closed_on,
            "event_id": event.event_id,
        },
    )
    case = await store.get_case(uow.session, closed.case_id)
    assert case is not None
    people = [row["person_ref"] for row in await store.people_of(uow.session, [closed.case_id])]
    reasons = await store.follow_up_reasons(uow.session, closed.case_id)
    reason = domain.closure_after_follow_ups(case["status"], people, reasons)
    if reason is not None:
        await apply_transition(
            uow, case, "closed", actor=Actor.service(SERVICE), reason_code=reason
        )


def handlers(_rt: Runtime) -> Mapping[str, Handler]:
    return {
        FollowUpClosed.type_name(): on_follow_up_closed,
        CaseFundingDecided.type_name(): on_case_funding_decided,
        CommitmentApproved.type_name(): on_commitment_approved,
        CommitmentRejected.type_name(): on_commitment_rejected,
        FundCreated.type_name(): on_fund_created,
        PersonalDataErased.type_name(): on_personal_data_erased,
    }
