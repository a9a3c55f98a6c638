"""Recording a consent decision inside a unit of work: the row and its event commit together.

Used by the vault (a decision recorded through the consent route) and by the handler of
``registration.return_registered`` (the decisions collected with a registration, recorded
only once the registration committed).
"""

from __future__ import annotations

from datetime import datetime

from db.uow import UnitOfWork
from events.envelope import Actor
from events.privacy import ConsentChanged
from privacy import datakeys, records
from privacy.domain import check_person_ref, consent_target
from privacy.records import ConsentRecord
from services.kit.errors import InvalidInputError


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
    record = ConsentRecord(purpose, partner, granted, text(actor.id, "recorded_by", 120), at)
    if await datakeys.is_erased(uow.session, person_ref):
        raise datakeys.PersonErasedError(
            f"personal data of {person_ref} was erased; no consent to record"
        )
    await records.add_consent(uow.session, person_ref, record)
    uow.emit(
        ConsentChanged(person_ref=person_ref, purpose=purpose, partner=partner, granted=granted),
        actor=actor,
    )
    return record


def text(value: str, name: str, limit: int) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise InvalidInputError(f"{name} must be 1 to {limit} characters")
    return value
