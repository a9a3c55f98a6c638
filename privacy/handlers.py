"""What privacy learns from registration events: who belongs to which case, the consent
decisions collected with each registration, and when each case ended (closed, withdrawn,
cancelled, or screened ineligible), for the retention schedule.

Privacy also consumes its own ``personal_data_erased`` events: after its database is restored
from a backup taken before an erasure (``retorno replay privacy`` makes the consumer read the
stream again), the data key that came back with the backup is destroyed again and the erasure
recorded, so a restore never makes erased data readable. Normally the key is gone already
and the event changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from db.uow import UnitOfWork
from events.envelope import Envelope
from events.privacy import PersonalDataErased
from events.registration import (
    CaseCancelled,
    CaseClosed,
    CaseScreened,
    CaseWithdrawn,
    ReturnRegistered,
)
from privacy.domain import PersonErasedError
from privacy.store import datakeys, registrations, secure_delete
from privacy.usecases.consent import record_decision
from services.kit.definition import Handler, Runtime

log = logging.getLogger(__name__)


async def on_return_registered(uow: UnitOfWork, event: Envelope) -> None:
    if event.version != ReturnRegistered.version:
        return
    payload = event.parse(ReturnRegistered)
    first_time = not await registrations.is_case_known(uow.session, payload.case_id)
    people = [p.person_ref for p in payload.people]
    await registrations.register_case(uow.session, payload.case_id, payload.office, people)
    if first_time:
        await _record_consents(uow, event, payload)


async def _record_consents(uow: UnitOfWork, event: Envelope, payload: ReturnRegistered) -> None:
    """The decisions collected with the registration, as the registering user's (with their
    role), at the time they registered. They reach privacy only with a committed case."""
    for consent in payload.consents:
        try:
            await record_decision(
                uow,
                consent.person_ref,
                consent.purpose,
                consent.granted,
                partner=consent.partner,
                actor=event.actor,
                at=event.occurred_at,
            )
        except PersonErasedError:
            log.info("case %s: person erased since, consent not recorded", payload.case_id)


async def on_case_screened(uow: UnitOfWork, event: Envelope) -> None:
    """A case screened ineligible ends there: its retention period starts that day."""
    if event.version != CaseScreened.version:
        return
    payload = event.parse(CaseScreened)
    if not payload.eligible:
        ended_on = event.occurred_at.date()
        await registrations.mark_ended(uow.session, payload.case_id, ended_on, payload.to_status)


async def on_case_ended(uow: UnitOfWork, event: Envelope) -> None:
    """A closure counts from ``closed_on``; a withdrawal or cancellation from the event's day."""
    model = {c.type_name(): c for c in (CaseClosed, CaseWithdrawn, CaseCancelled)}[event.type]
    if event.version != model.version:
        return
    payload = event.parse(model)
    ended_on = payload.closed_on if isinstance(payload, CaseClosed) else event.occurred_at.date()
    await registrations.mark_ended(uow.session, payload.case_id, ended_on, payload.to_status)


async def on_personal_data_erased(uow: UnitOfWork, event: Envelope) -> None:
    """Apply an erasure again: destroy the person's data key if it exists (it came back with
    a restored backup) and record the erasure as the event states it."""
    if event.version != PersonalDataErased.version:
        return
    payload = event.parse(PersonalDataErased)
    session = uow.session
    await secure_delete(session)
    await datakeys.destroy_key(session, payload.person_ref)
    if not await datakeys.is_erased(session, payload.person_ref):
        await datakeys.add_erasure(
            session,
            payload.person_ref,
            erased_at=payload.erased_at,
            trigger=payload.trigger,
            erased_by=event.actor.id,
            key_fingerprint=payload.key_fingerprint,
        )


def handlers(rt: Runtime) -> Mapping[str, Handler]:
    ended = (CaseClosed, CaseWithdrawn, CaseCancelled)
    return {
        ReturnRegistered.type_name(): on_return_registered,
        CaseScreened.type_name(): on_case_screened,
        **{model.type_name(): on_case_ended for model in ended},
        PersonalDataErased.type_name(): on_personal_data_erased,
    }
