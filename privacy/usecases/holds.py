"""Legal holds: placed by the data protection officer with a reason, they block erasure until
lifted. The reason is free text, so it is stored encrypted under the person's data key (and
becomes unreadable with the rest of their data once erased)."""

from __future__ import annotations

import uuid

from events.envelope import Actor
from events.privacy import LegalHoldChanged
from privacy.domain import (
    REASON_FIELD,
    LegalHoldAlreadyLiftedError,
    LegalHoldNotFoundError,
    check_hold_reason,
    check_person_ref,
    crypto,
)
from privacy.schemas import LegalHold
from privacy.store import as_utc, datakeys, records
from privacy.store.keyring import keyring_of
from services.kit.definition import Runtime
from services.kit.identity import Principal


async def place_legal_hold(
    rt: Runtime, person_ref: str, reason: str, principal: Principal
) -> LegalHold:
    """Block erasure of the person's data until the hold is lifted."""
    check_person_ref(person_ref)
    reason = check_hold_reason(reason)
    keyring = keyring_of(rt)
    now = rt.clock()
    hold_id = uuid.uuid4()
    async with rt.db("privacy").unit_of_work() as uow:
        key = await datakeys.ensure_key(uow.session, keyring, person_ref, now)
        await datakeys.key_row(uow.session, person_ref, lock=True)
        token = crypto.encrypt_field(key, person_ref, REASON_FIELD, reason)
        await records.add_hold(
            uow.session, hold_id, person_ref, token, placed_by=principal.user_id, placed_at=now
        )
        uow.emit(
            LegalHoldChanged(person_ref=person_ref, hold_id=str(hold_id), active=True),
            actor=Actor.user(principal.user_id, principal.role),
        )
        await uow.commit()
    return LegalHold(
        hold_id=hold_id,
        person_ref=person_ref,
        placed_by=principal.user_id,
        placed_at=now,
        lifted_by=None,
        lifted_at=None,
    )


async def lift_legal_hold(
    rt: Runtime, person_ref: str, hold_id: uuid.UUID, principal: Principal
) -> LegalHold:
    now = rt.clock()
    async with rt.db("privacy").unit_of_work() as uow:
        row = await records.hold_row(uow.session, person_ref, hold_id, lock=True)
        if row is None:
            raise LegalHoldNotFoundError(f"no legal hold {hold_id} on {person_ref}")
        if row.lifted_at is not None:
            raise LegalHoldAlreadyLiftedError(
                f"legal hold {hold_id} was already lifted at {row.lifted_at}"
            )
        await records.lift_hold(uow.session, hold_id, lifted_by=principal.user_id, lifted_at=now)
        uow.emit(
            LegalHoldChanged(person_ref=person_ref, hold_id=str(hold_id), active=False),
            actor=Actor.user(principal.user_id, principal.role),
        )
        await uow.commit()
    return LegalHold(
        hold_id=row.hold_id,
        person_ref=person_ref,
        placed_by=row.placed_by,
        placed_at=as_utc(row.placed_at),
        lifted_by=principal.user_id,
        lifted_at=now,
    )
