"""Recording a consent decision inside a unit of work: the row and its event commit together.

Used by the consent route (``record_consent``), by the vault, and by the handler of
``registration.return_registered`` (the decisions collected with a registration, recorded
only once the registration committed).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from db.uow import ServiceDatabase, UnitOfWork
from events.envelope import Actor
from events.privacy import ConsentChanged
from privacy.domain import (
    ConsentRecord,
    PersonErasedError,
    check_person_ref,
    check_person_scope,
    check_text,
    consent_target,
)
from privacy.schemas import ConsentResponse
from privacy.store import datakeys, records, registrations
from services.kit.definition import Runtime
from services.kit.identity import OFFICE_SCOPED_ROLES, Principal


async def record_decision(
    uow: UnitOfWork,
    person_ref: str,
    purpose: str,
    granted: bool,
    *,
    partner: str | None,
    actor: Actor,
    at: datetime,
) -> ConsentRecord:
    """Store the decision and emit ``privacy.consent_changed`` by ``actor`` (who recorded it,
    with their role). PersonErasedError (409) for an erased person."""
    check_person_ref(person_ref)
    purpose, partner = consent_target(purpose, partner)
    record = ConsentRecord(purpose, partner, granted, check_text(actor.id, "recorded_by", 120), at)
    if await datakeys.is_erased(uow.session, person_ref):
        raise PersonErasedError(f"personal data of {person_ref} was erased; no consent to record")
    await records.add_consent(uow.session, person_ref, record)
    uow.emit(
        ConsentChanged(person_ref=person_ref, purpose=purpose, partner=partner, granted=granted),
        actor=actor,
    )
    return record


async def record_now(
    db: ServiceDatabase,
    person_ref: str,
    purpose: str,
    granted: bool,
    *,
    partner: str | None,
    actor: Actor,
    at: datetime,
) -> ConsentRecord:
    """``record_decision`` in its own unit of work, committed."""
    async with db.unit_of_work() as uow:
        record = await record_decision(
            uow, person_ref, purpose, granted, partner=partner, actor=actor, at=at
        )
        await uow.commit()
    return record


async def record_consent(
    rt: Runtime,
    principal: Principal,
    person_ref: str,
    purpose: str,
    granted: bool,
    partner: str | None = None,
) -> ConsentResponse:
    """Record a consent decision by ``principal``: UnknownPersonError (404) for a person
    privacy knows nothing of; a caseworker or supervisor only for a person in a case of one
    of their offices (403 otherwise, 409 while the person's office is not known yet)."""
    db = rt.db("privacy")
    offices: set[str] | None = None
    async with db.reading() as session:
        known = await registrations.is_known(session, person_ref)
        if known and principal.role in OFFICE_SCOPED_ROLES:
            offices = await registrations.person_offices(session, person_ref)
    check_person_scope(principal, person_ref, known=known, offices=offices)
    actor = Actor(
        kind="user", id=check_text(principal.user_id, "recorded_by", 120), role=principal.role
    )
    record = await record_now(
        db, person_ref, purpose, granted, partner=partner, actor=actor, at=rt.clock()
    )
    return ConsentResponse(person_ref=person_ref, **asdict(record))
