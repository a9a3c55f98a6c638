"""Table conventions shared by every service: naming, the outbox and the inbox.

Each service owns a ``MetaData`` whose tables are prefixed with the service name, so the
services can live in one database (PostgreSQL in a small deployment) or one each
(the SQLite default), and constraint names are the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime in UTC on every backend. SQLite keeps no offset and hands
    back naive datetimes; these come back in UTC, and values are stored converted to UTC
    (a naive value is taken as UTC), so stored times compare correctly as text."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL wants BIGINT identity.
AutoId = BigInteger().with_variant(Integer(), "sqlite")


def service_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def outbox_table(metadata: MetaData, service: str) -> Table:
    """Events committed with the state change that caused them, waiting to be published."""
    return Table(
        f"{service}_outbox",
        metadata,
        Column("seq", AutoId, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("subject", String(200), nullable=False),
        Column("body", LargeBinary, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("published_at", UtcDateTime(), nullable=True, index=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text, nullable=True),
    )


def inbox_table(metadata: MetaData, service: str) -> Table:
    """Ids of the events this service has applied: a redelivered event is applied once."""
    return Table(
        f"{service}_inbox",
        metadata,
        Column("event_id", Uuid, primary_key=True),
        Column("type", String(120), nullable=False),
        Column("stream_seq", BigInteger, nullable=True),
        Column("applied_at", UtcDateTime(), nullable=False),
    )


def dead_letter_table(metadata: MetaData, service: str) -> Table:
    """Events this service gave up on after its maximum deliveries, with the error."""
    return Table(
        f"{service}_dead_letter",
        metadata,
        Column("event_id", Uuid, primary_key=True),
        Column("type", String(120), nullable=False),
        Column("stream_seq", BigInteger, nullable=True),
        Column("deliveries", Integer, nullable=False),
        Column("error", Text, nullable=False),
        Column("failed_at", UtcDateTime(), nullable=False),
    )


def parked_table(metadata: MetaData, service: str) -> Table:
    """Events that arrived before an event they depend on (say, a case's screening before its
    registration, redelivered late after a crash). Each waits here, acknowledged on the
    broker, under the key of what it waits for, and is applied as soon as an event with that
    key has been applied. Waiting does not count as a failed delivery."""
    return Table(
        f"{service}_parked",
        metadata,
        Column("event_id", Uuid, primary_key=True),
        Column("type", String(120), nullable=False),
        Column("subject", String(200), nullable=False),
        Column("stream_seq", BigInteger, nullable=True),
        Column("body", LargeBinary, nullable=False),
        Column("wait_key", String(200), nullable=False, index=True),
        Column("reason", Text, nullable=False),
        # failed retries (errors other than waiting); dead-lettered at the maximum
        Column("failures", Integer, nullable=False, default=0),
        Column("parked_at", UtcDateTime(), nullable=False),
        Column("retried_at", UtcDateTime(), nullable=True),
    )


class MessagingTables:
    """The outbox, inbox, dead-letter and parked tables of one service."""

    def __init__(self, metadata: MetaData, service: str) -> None:
        self.service = service
        self.outbox = outbox_table(metadata, service)
        self.inbox = inbox_table(metadata, service)
        self.dead_letter = dead_letter_table(metadata, service)
        self.parked = parked_table(metadata, service)
