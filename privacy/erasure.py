"""Erasure by crypto-shredding: destroy the person's data key, so every copy of their encrypted
data (other databases, earlier backups of them) becomes unreadable. The proof is an erasure
row and a ``privacy.personal_data_erased`` event, neither holding personal data.

Consumers holding derived plaintext (caches, read models) purge it on that event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.uow import ServiceDatabase, UnitOfWork
from events.envelope import Actor
from events.privacy import PersonalDataErased
from privacy import crypto, datakeys
from privacy.domain import check_erasure_on_request, check_person_ref
from privacy.holds import hold_states
from privacy.store import as_utc, case_people, cases, erasures
from services.kit.definition import Runtime
from services.kit.errors import ConflictError
from services.kit.identity import Principal

Trigger = Literal["retention", "request"]


class LegalHoldActiveError(ConflictError):
    pass


@dataclass(frozen=True)
class Erasure:
    person_ref: str
    erased_at: datetime
    trigger: str
    key_fingerprint: str


async def erasure_of(uow: UnitOfWork, person_ref: str) -> Erasure | None:
    query = select(erasures).where(erasures.c.person_ref == person_ref)
    row = (await uow.session.execute(query)).first()
    if row is None:
        return None
    return Erasure(row.person_ref, as_utc(row.erased_at), row.trigger, row.key_fingerprint)


async def open_cases(session: AsyncSession, person_ref: str) -> list[uuid.UUID]:
    """The person's cases that have not ended (closed, withdrawn, cancelled, ineligible)."""
    query = (
        select(case_people.c.case_id)
        .join(cases, cases.c.case_id == case_people.c.case_id, isouter=True)
        .where(case_people.c.person_ref == person_ref, cases.c.ended_on.is_(None))
        .order_by(case_people.c.case_id)
    )
    return list((await session.execute(query)).scalars())


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
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("PRAGMA secure_delete = ON"))
    row = await datakeys.key_row(session, person_ref, lock=True)
    if row is None:
        done = await erasure_of(uow, person_ref)
        if done is not None:
            return done
        raise datakeys.PersonKeyNotFoundError(f"no personal data is held for {person_ref}")
    if any(h.active for h in await hold_states(session, person_ref)):
        raise LegalHoldActiveError(
            f"{person_ref} is under a legal hold; the data protection officer must lift it "
            "before the data can be erased",
            person_ref=person_ref,
        )
    await datakeys.destroy_key(session, person_ref)
    fingerprint = crypto.key_fingerprint(row.key_id, row.wrapped_key)
    erasure = Erasure(person_ref, now, trigger, fingerprint)
    await session.execute(
        insert(erasures).values(
            person_ref=person_ref,
            erased_at=now,
            trigger=trigger,
            erased_by=actor.id,
            key_fingerprint=fingerprint,
        )
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


async def scrub_storage(db: ServiceDatabase) -> None:
    """On SQLite, move committed pages into the main file and empty the write-ahead log, so
    destroyed keys do not linger in old WAL frames. (PostgreSQL: autovacuum reclaims dead rows;
    earlier backups of this database are covered by rotating and retiring the master key.)"""
    if db.engine.dialect.name != "sqlite":
        return
    async with db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        await raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]


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
                person_ref, await open_cases(uow.session, person_ref), override_reason
            )
        erasure = await erase_person(
            uow, person_ref, "request", actor, rt.clock(), override_reason=override_reason
        )
        await uow.commit()
    await scrub_storage(rt.db("privacy"))
    return erasure
