"""registration: parked events (events that wait for an event they depend on)

Revision ID: registration_0003
Revises: registration_0002
Create Date: 2026-12-01
"""

from db.migration_ops import create_parked_table, drop_parked_table

revision = "registration_0003"
down_revision = "registration_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_parked_table("registration")


def downgrade() -> None:
    drop_parked_table("registration")
