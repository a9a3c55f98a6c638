"""audit: parked events (events that wait for an event they depend on)

Revision ID: audit_0002
Revises: audit_0001
Create Date: 2026-12-01
"""

from db.migration_ops import create_parked_table, drop_parked_table

revision = "audit_0002"
down_revision = "audit_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_parked_table("audit")


def downgrade() -> None:
    drop_parked_table("audit")
