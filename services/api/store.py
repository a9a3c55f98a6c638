"""The API service's tables: users (name, role, offices) and their API tokens (hashes only)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Uuid

from db.schema import MessagingTables, UtcDateTime, service_metadata

metadata = service_metadata()
messaging = MessagingTables(metadata, "api")

users = Table(
    "api_users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(40), nullable=False),
    Column("offices", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("api_users.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
)
