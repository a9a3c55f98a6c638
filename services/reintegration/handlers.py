"""What the follow-up does when registration tells it about a case: it learns the case's
office and people at registration, makes each person's plan when the case arrives, and lets
an office follow a person up once a transfer of their record to it is approved."""

from __future__ import annotations

from collections.abc import Mapping

from db.uow import UnitOfWork
from events.envelope import Envelope
from events.funding import CommitmentApproved, CommitmentRejected
from events.privacy import PersonalDataErased
from events.registration import (
    CaseArrived,
    CaseClosed,
    CaseCorrected,
    RecordTransferApproved,
    ReturnRegistered,
)
from services.kit.definition import Handler, Runtime
from services.kit.errors import WaitingForEvent
from services.reintegration import store, usecases
from services.reintegration.settings import config

GRANT_CATEGORY = "reintegration_grant"  # funding's cost category of cash reintegration grants


async def on_return_registered(uow: UnitOfWork, event: Envelope) -> None:
    if event.version != ReturnRegistered.version:
        return
    p = event.parse(ReturnRegistered)
    if await store.case(uow.session, p.case_id) is not None:
        return
    people = [person.person_ref for person in p.people]
    await store.add_case(uow.session, p.case_id, p.office, people, uow.clock())


async def on_case_corrected(uow: UnitOfWork, event: Envelope) -> None:
    """A correction may move the case to another office (before screening, so before any
    plan exists; open plans follow the case all the same)."""
    if event.version != CaseCorrected.version:
        return
    p = event.parse(CaseCorrected)
    known = await store.case(uow.session, p.case_id)
    if known is None:
        raise WaitingForEvent("case_id", p.case_id, f"case {p.case_id} corrected before known")
    if known["office"] != p.office:
        await store.set_case_office(uow.session, p.case_id, p.office, uow.clock())


async def on_transfer_approved(uow: UnitOfWork, event: Envelope) -> None:
    """An approved record transfer lets the receiving office follow the person up too (their
    plans appear in its working list and its staff may record contacts)."""
    if event.version != RecordTransferApproved.version:
        return
    p = event.parse(RecordTransferApproved)
    await store.grant_office(uow.session, p.person_ref, p.to_office, uow.clock())


async def on_personal_data_erased(uow: UnitOfWork, event: Envelope) -> None:
    """The person was erased: their notes (already unreadable, the key is gone) and survey
    answers are dropped here too."""
    if event.version != PersonalDataErased.version:
        return
    await store.forget_person(uow.session, event.parse(PersonalDataErased).person_ref)


def _on_case_arrived(rt: Runtime) -> Handler:
    async def handle(uow: UnitOfWork, event: Envelope) -> None:
        if event.version != CaseArrived.version:
            return
        p = event.parse(CaseArrived)
        known = await store.case(uow.session, p.case_id)
        if known is None:
            raise WaitingForEvent(
                "case_id", p.case_id, f"case {p.case_id} arrived before its registration"
            )
        await usecases.make_plans(uow, p.case_id, p.office, p.arrived_on, config(rt).rules)

    return handle


async def on_case_closed(uow: UnitOfWork, event: Envelope) -> None:
    """Registration closed the case (a caseworker's decision there, or after every follow-up
    closed): the plans still open close with it, with a reason code and ``closed_by``
    "registration". A case never known here waits for its registration."""
    if event.version != CaseClosed.version:
        return
    p = event.parse(CaseClosed)
    if await store.case(uow.session, p.case_id) is None:
        raise WaitingForEvent("case_id", p.case_id, f"case {p.case_id} closed before known")
    await usecases.close_with_case(uow, p.case_id, p.closed_on, p.reason_code)


async def on_commitment_approved(uow: UnitOfWork, event: Envelope) -> None:
    """Funding committed a cash grant asked by one of our ``assistance_recorded`` events (its
    cause); commitments of the case for other costs are not ours and change nothing."""
    if event.version != CommitmentApproved.version:
        return
    p = event.parse(CommitmentApproved)
    grant = sum(line.amount_cents for line in p.lines if line.category == GRANT_CATEGORY)
    if grant:
        await usecases.grant_decided(uow, event.causation_id, grant, None)


async def on_commitment_rejected(uow: UnitOfWork, event: Envelope) -> None:
    """Funding refused a cash grant (``cap_exhausted``, ``insufficient_fund_balance``...)."""
    if event.version != CommitmentRejected.version:
        return
    p = event.parse(CommitmentRejected)
    await usecases.grant_decided(uow, event.causation_id, None, p.reason)


def handlers(rt: Runtime) -> Mapping[str, Handler]:
    return {
        ReturnRegistered.type_name(): on_return_registered,
        CaseCorrected.type_name(): on_case_corrected,
        CaseArrived.type_name(): _on_case_arrived(rt),
        CaseClosed.type_name(): on_case_closed,
        CommitmentApproved.type_name(): on_commitment_approved,
        CommitmentRejected.type_name(): on_commitment_rejected,
        RecordTransferApproved.type_name(): on_transfer_approved,
        PersonalDataErased.type_name(): on_personal_data_erased,
    }
