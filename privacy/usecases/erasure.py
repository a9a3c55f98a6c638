"""Erasure by crypto-shredding: destroy the person's data key, so every copy of their encrypted
data (other databases, earlier backups of them) becomes unreadable. The proof is an erasure
row and a ``privacy.personal_data_erased`` event, neither holding personal data.

Consumers holding derived plaintext (caches, read models) purge it on that event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from db.uow import UnitOfWork
from events.envelope import Actor
from events.privacy import PersonalDataErased
from privacy.domain import (
    LegalHoldActiveError,
    PersonKeyNotFoundError,
    check_erasure_on_request,
    check_person_ref,
    crypto,
)
from privacy.schemas import Erasure
from privacy.store import as_utc, datakeys, records, registrations, secure_delete
from services.kit.definition import Runtime
from services.kit.identity import Principal

Trigger = Literal["retention", "request"]


async def erasure_of(uow: UnitOfWork, person_ref: str) -> Erasure | None:
    row = await datakeys.erasure_row(uow.session, person_ref)
    if row is None:
        return None
    return Erasure(
        person_ref=row.person_ref,
        erased_at=as_utc(row.erased_at),
        trigger=row.trigger,
        key_fingerprint=row.key_fingerprint,
    )


async def erase_person(
    uow: UnitOfWork,
    person_ref: str,
    trigger: Trigger,
    actor: Actor,
    now: datetime,
    *,
    override_reason: str | None = None,
) -> Erasure:
    """Inside the caller's transaction: refuse under an active legal hold, else overwrite and
    delete the wrapped data key, record the erasure and emit its proof. Erasing twice returns
    the first erasure."""
    session = uow.session
    await secure_delete(session)
    row = await datakeys.key_row(session, person_ref, lock=True)
    if row is None:
        done = await erasure_of(uow, person_ref)
        if done is not None:
            return done
        raise PersonKeyNotFoundError(f"no personal data is held for {person_ref}")
    if any(h.active for h in await records.hold_states(session, person_ref)):
        raise LegalHoldActiveError(
            f"{person_ref} is under a legal hold; the data protection officer must lift it "
            "before the data can be erased",
            person_ref=person_ref,
        )
    await datakeys.destroy_key(session, person_ref)
    fingerprint = crypto.key_fingerprint(row.key_id, row.wrapped_key)
    erasure = Erasure(
        person_ref=person_ref, erased_at=now, trigger=trigger, key_fingerprint=fingerprint
    )
    await datakeys.add_erasure(
        session,
        person_ref,
        erased_at=now,
        trigger=trigger,
        erased_by=actor.id,
        key_fingerprint=fingerprint,
    )
    uow.emit(
        PersonalDataErased(
            person_ref=person_ref,
            erased_at=now,
            trigger=trigger,
            key_fingerprint=fingerprint,
            override_reason=override_reason,
        ),
        actor=actor,
    )
    return erasure


async def erase_on_request(
    rt: Runtime, person_ref: str, principal: Principal, override_reason: str | None = None
) -> Erasure:
    """Erase now at the data protection officer's request; refused while a legal hold is active
    (LegalHoldActiveError) and, without an ``override_reason``, while one of the person's
    cases is open (PersonInOpenCaseError); both are ConflictErrors."""
    check_person_ref(person_ref)
    async with rt.db("privacy").unit_of_work() as uow:
        actor = Actor.user(principal.user_id, principal.role)
        if await datakeys.key_row(uow.session, person_ref) is not None:
            check_erasure_on_request(
                person_ref, await registrations.open_cases(uow.session, person_ref), override_reason
            )
        erasure = await erase_person(
            uow, person_ref, "request", actor, rt.clock(), override_reason=override_reason
        )
        await uow.commit()
    await datakeys.scrub_storage(rt.db("privacy"))
    return erasure
