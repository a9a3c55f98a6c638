"""Helpers for migrations: every service's first revision creates its messaging tables."""

from __future__ import annotations

from alembic import op

from db.schema import MessagingTables, service_metadata


def create_messaging_tables(service: str) -> None:
    tables = MessagingTables(service_metadata(), service)
    bind = op.get_bind()
    for table in (tables.outbox, tables.inbox, tables.dead_letter):
        table.create(bind)


def drop_messaging_tables(service: str) -> None:
    for suffix in ("dead_letter", "inbox", "outbox"):
        op.drop_table(f"{service}_{suffix}")
