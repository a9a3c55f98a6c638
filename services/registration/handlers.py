"""Reactions to other services' events. Handlers never commit; the runner does."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from db.uow import UnitOfWork
from events.envelope import Actor, Envelope
from events.funding import CaseFundingDecided, CommitmentApproved, CommitmentRejected, FundCreated
from events.privacy import PersonalDataErased
from services.kit.definition import Handler, Runtime
from services.registration import fund_view, store
from services.registration.lifecycle import SERVICE, apply_transition

log = logging.getLogger(__name__)


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
    await fund_view.record_case_decision(
        uow,
        event,
        decided.case_id,
        {
            "approved": decided.approved,
            "committed_cents": decided.committed_cents,
            "requested_cents": decided.requested_cents,
        },
    )
    if not decided.approved:
        return
    case = await store.get_case(uow.session, decided.case_id)
    if case is None or case["status"] != "eligible":
        log.info(
            "funding decision for case %s in status %s: nothing to do",
            decided.case_id,
            None if case is None else case["status"],
        )
        return
    await apply_transition(
        uow, case, "funding_approved", actor=Actor.service(SERVICE), reason_code="funds_committed"
    )


async def on_personal_data_erased(uow: UnitOfWork, event: Envelope) -> None:
    """The person's key was destroyed: drop their ciphertexts and notes, mark them erased."""
    if event.version != PersonalDataErased.version:
        log.warning("ignoring %s version %s", event.type, event.version)
        return
    erased = event.parse(PersonalDataErased)
    await store.erase_person(uow.session, erased.person_ref, erased.erased_at)


def handlers(_rt: Runtime) -> Mapping[str, Handler]:
    return {
        CaseFundingDecided.type_name(): on_case_funding_decided,
        CommitmentApproved.type_name(): fund_view.on_commitment_approved,
        CommitmentRejected.type_name(): fund_view.on_commitment_rejected,
        FundCreated.type_name(): fund_view.on_fund_created,
        PersonalDataErased.type_name(): on_personal_data_erased,
    }
