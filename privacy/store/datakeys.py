"""Per-person data keys in the privacy database, wrapped by the active master key, and the
erasures that destroyed them.

Functions here work inside a caller's transaction and never commit. Data keys are not cached:
each use reads the wrapped key (so an erasure made by any process is seen at once) and
unwraps it, which costs microseconds.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.uow import ServiceDatabase
from privacy.domain import PersonErasedError, PersonKeyNotFoundError, crypto
from privacy.store import (
    case_people,
    consents,
    data_keys,
    erasures,
    insert_ignoring_duplicates,
    legal_holds,
)
from privacy.store import search as blind_index
from privacy.store.keyring import Keyring


async def is_erased(session: AsyncSession, person_ref: str) -> bool:
    query = select(erasures.c.person_ref).where(erasures.c.person_ref == person_ref)
    return (await session.scalar(query)) is not None


async def is_referenced(session: AsyncSession, person_ref: str) -> bool:
    """Whether privacy knows the person from more than their key: a case, a consent, a legal
    hold or an erasure."""
    for table in (case_people, consents, legal_holds, erasures):
        query = select(table.c.person_ref).where(table.c.person_ref == person_ref).limit(1)
        if (await session.scalar(query)) is not None:
            return True
    return False


async def key_row(session: AsyncSession, person_ref: str, *, lock: bool = False) -> Row | None:
    query = select(data_keys).where(data_keys.c.person_ref == person_ref)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).first()


def unwrap(keyring: Keyring, row: Row) -> bytes:
    master = keyring.get(row.key_id)
    return crypto.unwrap_data_key(master.secret, row.key_id, row.person_ref, row.wrapped_key)


async def ensure_key(
    session: AsyncSession, keyring: Keyring, person_ref: str, now: datetime
) -> bytes:
    """The person's data key, created (wrapped by the active master key) if absent."""
    row = await key_row(session, person_ref)
    if row is None:
        if await is_erased(session, person_ref):
            raise PersonErasedError(
                f"personal data of {person_ref} was erased; register the person again under a "
                "new person_ref"
            )
        master = keyring.active
        key = crypto.new_data_key()
        wrapped = crypto.wrap_data_key(master.secret, master.key_id, person_ref, key)
        values = {"person_ref": person_ref, "key_id": master.key_id, "wrapped_key": wrapped}
        statement = insert_ignoring_duplicates(session, data_keys)
        await session.execute(statement, {**values, "created_at": now, "wrapped_at": now})
        row = await key_row(session, person_ref)
        assert row is not None
    return unwrap(keyring, row)


async def key_rows(session: AsyncSession, person_refs: Sequence[str]) -> dict[str, Row]:
    """The data-key rows of these people that exist, in one query."""
    query = select(data_keys).where(data_keys.c.person_ref.in_(person_refs))
    return {row.person_ref: row for row in await session.execute(query)}


async def ensure_keys(
    session: AsyncSession, keyring: Keyring, person_refs: Sequence[str], now: datetime
) -> dict[str, bytes]:
    """``ensure_key`` for several people in a few statements whatever their number: the
    keys that exist are read at once, the missing ones made (wrapped by the active master
    key) in one insert. PersonErasedError if one of them was erased."""
    rows = await key_rows(session, person_refs)
    missing = [ref for ref in dict.fromkeys(person_refs) if ref not in rows]
    if missing:
        gone = await session.execute(
            select(erasures.c.person_ref).where(erasures.c.person_ref.in_(missing))
        )
        erased = gone.scalars().first()
        if erased is not None:
            raise PersonErasedError(
                f"personal data of {erased} was erased; register the person again under a "
                "new person_ref"
            )
        master = keyring.active
        made = {ref: crypto.new_data_key() for ref in missing}
        values = [
            {
                "person_ref": ref,
                "key_id": master.key_id,
                "wrapped_key": crypto.wrap_data_key(master.secret, master.key_id, ref, key),
                "created_at": now,
                "wrapped_at": now,
            }
            for ref, key in made.items()
        ]
        statement = insert_ignoring_duplicates(session, data_keys).returning(data_keys.c.person_ref)
        inserted = set((await session.execute(statement, values)).scalars())
        keys = {ref: unwrap(keyring, row) for ref, row in rows.items()}
        keys.update((ref, made[ref]) for ref in inserted)  # ours: no need to unwrap them
        lost = [ref for ref in missing if ref not in inserted]
        if lost:  # a concurrent maker's key wins
            keys.update(
                (ref, unwrap(keyring, row)) for ref, row in (await key_rows(session, lost)).items()
            )
        return keys
    return {ref: unwrap(keyring, row) for ref, row in rows.items()}


async def existing_key(session: AsyncSession, keyring: Keyring, person_ref: str) -> bytes | None:
    """The person's data key, or None if it was erased; PersonKeyNotFoundError if never made."""
    row = await key_row(session, person_ref)
    if row is not None:
        return unwrap(keyring, row)
    if await is_erased(session, person_ref):
        return None
    raise PersonKeyNotFoundError(f"no data key for {person_ref}; call new_person first")


async def existing_keys(
    session: AsyncSession, keyring: Keyring, person_refs: Sequence[str]
) -> dict[str, bytes | None]:
    """``existing_key`` for several people in one query (two when a key is missing): None
    for an erased person; PersonKeyNotFoundError for one whose key was never made."""
    rows = await key_rows(session, person_refs)
    keys: dict[str, bytes | None] = {ref: unwrap(keyring, row) for ref, row in rows.items()}
    missing = [ref for ref in dict.fromkeys(person_refs) if ref not in rows]
    if missing:
        gone = await session.execute(
            select(erasures.c.person_ref).where(erasures.c.person_ref.in_(missing))
        )
        erased = set(gone.scalars())
        for ref in missing:
            if ref not in erased:
                raise PersonKeyNotFoundError(f"no data key for {ref}; call new_person first")
            keys[ref] = None
    return keys


async def destroy_key(session: AsyncSession, person_ref: str) -> Row | None:
    """Overwrite the wrapped key with random bytes, then delete the row, and the person's blind
    index entries with it. Returns the row as it was (for its fingerprint), or None if there
    was no key."""
    row = await key_row(session, person_ref, lock=True)
    await blind_index.forget(session, person_ref)
    if row is None:
        return None
    noise = os.urandom(len(row.wrapped_key))
    await session.execute(
        update(data_keys).where(data_keys.c.person_ref == person_ref).values(wrapped_key=noise)
    )
    await session.execute(delete(data_keys).where(data_keys.c.person_ref == person_ref))
    return row


async def erasure_row(session: AsyncSession, person_ref: str) -> Row | None:
    query = select(erasures).where(erasures.c.person_ref == person_ref)
    return (await session.execute(query)).first()


async def add_erasure(
    session: AsyncSession,
    person_ref: str,
    *,
    erased_at: datetime,
    trigger: str,
    erased_by: str,
    key_fingerprint: str,
) -> None:
    await session.execute(
        insert(erasures).values(
            person_ref=person_ref,
            erased_at=erased_at,
            trigger=trigger,
            erased_by=erased_by,
            key_fingerprint=key_fingerprint,
        )
    )


async def scrub_storage(db: ServiceDatabase) -> None:
    """On SQLite, move committed pages into the main file and empty the write-ahead log, so
    destroyed keys do not linger in old WAL frames. (PostgreSQL: autovacuum reclaims dead rows;
    earlier backups of this database are covered by rotating and retiring the master key.)"""
    if db.engine.dialect.name != "sqlite":
        return
    async with db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        await raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]


# --- master-key rotation ------------------------------------------------------------------


async def rows_not_under(session: AsyncSession, key_id: str, limit: int) -> list[Row]:
    """Up to ``limit`` data keys wrapped by another master key than ``key_id``, locked."""
    query = (
        select(data_keys)
        .where(data_keys.c.key_id != key_id)
        .order_by(data_keys.c.person_ref)
        .limit(limit)
        .with_for_update()
    )
    return list((await session.execute(query)).all())


async def rewrap(
    session: AsyncSession, person_ref: str, key_id: str, wrapped: bytes, now: datetime
) -> None:
    await session.execute(
        update(data_keys)
        .where(data_keys.c.person_ref == person_ref)
        .values(key_id=key_id, wrapped_key=wrapped, wrapped_at=now)
    )


async def count_by_master_key(session: AsyncSession) -> dict[str, int]:
    query = select(data_keys.c.key_id, func.count()).group_by(data_keys.c.key_id)
    return {r[0]: r[1] for r in await session.execute(query)}


async def count_wrapped_by(session: AsyncSession, key_id: str) -> int:
    query = select(func.count()).where(data_keys.c.key_id == key_id)
    return await session.scalar(query.select_from(data_keys)) or 0
