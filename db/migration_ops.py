"""Helpers for migrations: every service's first revision creates its messaging tables."""

from __future__ import annotations

from alembic import op

from db.schema import MessagingTables, parked_table, service_metadata


def create_messaging_tables(service: str) -> None:
    tables = MessagingTables(service_metadata(), service)
    bind = op.get_bind()
    for table in (tables.outbox, tables.inbox, tables.dead_letter):
        table.create(bind)


def drop_messaging_tables(service: str) -> None:
    for suffix in ("dead_letter", "inbox", "outbox"):
        op.drop_table(f"{service}_{suffix}")


def create_parked_table(service: str) -> None:
    """Added after the first revisions: events waiting for an event they depend on."""
    parked_table(service_metadata(), service).create(op.get_bind())


def drop_parked_table(service: str) -> None:
    op.drop_table(f"{service}_parked")
