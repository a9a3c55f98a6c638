"""privacy: the office of each case (from return_registered), to scope privacy's routes

Cases registered before this revision have no office here, so privacy refuses caseworkers and
supervisors (409) for those people until their registration events are replayed; the DPO is
not scoped.

Revision ID: privacy_0003
Revises: privacy_0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "privacy_0003"
down_revision = "privacy_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("privacy_cases") as batch:
        batch.add_column(sa.Column("office", sa.String(60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("privacy_cases") as batch:
        batch.drop_column("office")
