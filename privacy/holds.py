"""Legal holds: placed by the data protection officer with a reason, they block erasure until
lifted. The reason is free text, so it is stored encrypted under the person's data key (and
becomes unreadable with the rest of their data once erased)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from events.envelope import Actor
from events.privacy import LegalHoldChanged
from privacy import crypto, datakeys
from privacy.domain import HoldState, check_person_ref
from privacy.store import as_utc, legal_holds
from privacy.wiring import vault_of
from services.kit.definition import Runtime
from services.kit.errors import ConflictError, InvalidInputError, NotFoundError
from services.kit.identity import Principal

REASON_FIELD = "legal_hold.reason"


@dataclass(frozen=True)
class LegalHold:
    hold_id: uuid.UUID
    person_ref: str
    placed_by: str
    placed_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None

    @property
    def active(self) -> bool:
        return self.lifted_at is None


def _hold(row: Row) -> LegalHold:
    lifted = as_utc(row.lifted_at) if row.lifted_at is not None else None
    return LegalHold(
        row.hold_id, row.person_ref, row.placed_by, as_utc(row.placed_at), row.lifted_by, lifted
    )


async def hold_states(session: AsyncSession, person_ref: str) -> list[HoldState]:
    query = select(legal_holds.c.placed_at, legal_holds.c.lifted_at).where(
        legal_holds.c.person_ref == person_ref
    )
    return [HoldState(as_utc(r.placed_at), r.lifted_at) for r in await session.execute(query)]


async def place_legal_hold(
    rt: Runtime, person_ref: str, reason: str, principal: Principal
) -> LegalHold:
    """Block erasure of the person's data until the hold is lifted."""
    check_person_ref(person_ref)
    reason = reason.strip()
    if not reason or len(reason) > 2000:
        raise InvalidInputError("a legal hold needs a reason of 1 to 2000 characters")
    vault = vault_of(rt)
    now = rt.clock()
    hold_id = uuid.uuid4()
    async with rt.db("privacy").unit_of_work() as uow:
        key = await datakeys.ensure_key(uow.session, vault.keyring, person_ref, now)
        await datakeys.key_row(uow.session, person_ref, lock=True)
        token = crypto.encrypt_field(key, person_ref, REASON_FIELD, reason)
        values = {"hold_id": hold_id, "person_ref": person_ref, "reason_token": token}
        await uow.session.execute(
            insert(legal_holds).values(**values, placed_by=principal.user_id, placed_at=now)
        )
        uow.emit(
            LegalHoldChanged(person_ref=person_ref, hold_id=str(hold_id), active=True),
            actor=Actor.user(principal.user_id, principal.role),
        )
        await uow.commit()
    return LegalHold(hold_id, person_ref, principal.user_id, now, None, None)


async def lift_legal_hold(
    rt: Runtime, person_ref: str, hold_id: uuid.UUID, principal: Principal
) -> LegalHold:
    now = rt.clock()
    async with rt.db("privacy").unit_of_work() as uow:
        query = select(legal_holds).where(
            legal_holds.c.hold_id == hold_id, legal_holds.c.person_ref == person_ref
        )
        row = (await uow.session.execute(query.with_for_update())).first()
        if row is None:
            raise NotFoundError(f"no legal hold {hold_id} on {person_ref}")
        if row.lifted_at is not None:
            raise ConflictError(f"legal hold {hold_id} was already lifted at {row.lifted_at}")
        await uow.session.execute(
            update(legal_holds)
            .where(legal_holds.c.hold_id == hold_id)
            .values(lifted_by=principal.user_id, lifted_at=now)
        )
        uow.emit(
            LegalHoldChanged(person_ref=person_ref, hold_id=str(hold_id), active=False),
            actor=Actor.user(principal.user_id, principal.role),
        )
        await uow.commit()
    held = _hold(row)
    return LegalHold(
        held.hold_id, person_ref, held.placed_by, held.placed_at, principal.user_id, now
    )


async def legal_holds_of(rt: Runtime, person_ref: str) -> list[LegalHold]:
    """The person's holds, without their (encrypted) reasons."""
    query = select(legal_holds).where(legal_holds.c.person_ref == person_ref)
    async with rt.db("privacy").unit_of_work() as uow:
        rows = (await uow.session.execute(query.order_by(legal_holds.c.placed_at))).all()
    return [_hold(r) for r in rows]
