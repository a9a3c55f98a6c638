"""Per-person data keys in the privacy database, wrapped by the active master key.

Functions here work inside a caller's transaction and never commit. Data keys are not cached:
each use reads the wrapped key (so an erasure made by any process is seen at once) and
unwraps it, which costs microseconds.
"""

from __future__ import annotations

import os
from datetime import datetime

from sqlalchemy import Insert, Row, Table, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from privacy import crypto
from privacy.keyring import Keyring
from privacy.store import case_people, consents, data_keys, erasures, legal_holds
from services.kit.errors import ConflictError, NotFoundError


class PersonErasedError(ConflictError):
    pass


class PersonKeyNotFoundError(NotFoundError):
    pass


def insert_ignoring_duplicates(session: AsyncSession, table: Table) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING`` for SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(table).on_conflict_do_nothing()
    return sqlite_insert(table).on_conflict_do_nothing()


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


async def existing_key(session: AsyncSession, keyring: Keyring, person_ref: str) -> bytes | None:
    """The person's data key, or None if it was erased; PersonKeyNotFoundError if never made."""
    row = await key_row(session, person_ref)
    if row is not None:
        return unwrap(keyring, row)
    if await is_erased(session, person_ref):
        return None
    raise PersonKeyNotFoundError(f"no data key for {person_ref}; call new_person first")


async def destroy_key(session: AsyncSession, person_ref: str) -> Row | None:
    """Overwrite the wrapped key with random bytes, then delete the row. Returns the row as it
    was (for its fingerprint), or None if there was no key."""
    row = await key_row(session, person_ref, lock=True)
    if row is None:
        return None
    noise = os.urandom(len(row.wrapped_key))
    await session.execute(
        update(data_keys).where(data_keys.c.person_ref == person_ref).values(wrapped_key=noise)
    )
    await session.execute(delete(data_keys).where(data_keys.c.person_ref == person_ref))
    return row
