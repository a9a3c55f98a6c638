"""The privacy service's tables; their SQL is in this package's modules (``datakeys``,
``records``, ``registrations``, ``search``), the master keys in ``keyring`` and the search key
in ``searchkey``, never in the database.

Its own database: a backup of the registration database holds ciphertexts but no data keys,
and this one holds wrapped data keys but no master key.

No table here holds personal data in plaintext: wrapped keys, pseudonymous ``person_ref``s,
field names, purposes, user ids, dates; a legal hold's reason is encrypted under the person's
data key.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Index,
    Insert,
    LargeBinary,
    String,
    Table,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.schema import AutoId, MessagingTables, UtcDateTime, service_metadata

metadata = service_metadata()
messaging = MessagingTables(metadata, "privacy")

REF = 40

data_keys = Table(
    "privacy_data_keys",
    metadata,
    Column("person_ref", String(REF), primary_key=True),
    Column("key_id", String(64), nullable=False, index=True),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("wrapped_at", UtcDateTime(), nullable=False),
)

erasures = Table(
    "privacy_erasures",
    metadata,
    Column("person_ref", String(REF), primary_key=True),
    Column("erased_at", UtcDateTime(), nullable=False),
    Column("trigger", String(20), nullable=False),
    Column("erased_by", String(120), nullable=False),
    Column("key_fingerprint", String(64), nullable=False),
)

consents = Table(
    "privacy_consents",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("person_ref", String(REF), nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("partner", String(120), nullable=True),
    Column("granted", Boolean, nullable=False),
    Column("recorded_by", String(120), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Index("ix_privacy_consents_person_purpose", "person_ref", "purpose"),
)

access_log = Table(
    "privacy_access_log",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("person_ref", String(REF), nullable=False, index=True),
    Column("actor_id", String(120), nullable=False),
    Column("role", String(60), nullable=False),
    Column("purpose", String(200), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("accessed_at", UtcDateTime(), nullable=False),
)

case_people = Table(
    "privacy_case_people",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("person_ref", String(REF), primary_key=True),
    Index("ix_privacy_case_people_person_ref", "person_ref"),
)

cases = Table(
    "privacy_cases",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("ended_on", Date, nullable=True),
    Column("end_status", String(20), nullable=True),
    Column("office", String(60), nullable=True),  # from return_registered (privacy_0003)
)

legal_holds = Table(
    "privacy_legal_holds",
    metadata,
    Column("hold_id", Uuid, primary_key=True),
    Column("person_ref", String(REF), nullable=False, index=True),
    Column("reason_token", LargeBinary, nullable=False),
    Column("placed_by", String(120), nullable=False),
    Column("placed_at", UtcDateTime(), nullable=False),
    Column("lifted_by", String(120), nullable=True),
    Column("lifted_at", UtcDateTime(), nullable=True),
)


search_index = Table(
    "privacy_search_index",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("person_ref", String(REF), nullable=False, index=True),
    Column("record_office", String(60), nullable=True),  # None: the owning office's record
    Column("field", String(80), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("key_id", String(64), nullable=False),
    Index("ix_privacy_search_index_digest", "digest"),
)
"""The blind index (privacy_0004): keyed HMAC digests of normalized name tokens and document
numbers, never plaintext; deleted with the person's data key (``datakeys.destroy_key``)."""


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def insert_ignoring_duplicates(session: AsyncSession, table: Table) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING`` for SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(table).on_conflict_do_nothing()
    return sqlite_insert(table).on_conflict_do_nothing()


async def secure_delete(session: AsyncSession) -> None:
    """On SQLite, overwrite deleted content with zeros (for destroyed data keys)."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("PRAGMA secure_delete = ON"))
