"""evaluation: the reintegration follow-up of each person (scores, residence, contacts, closure)

Revision ID: evaluation_0002
Revises: evaluation_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "evaluation_0002"
down_revision = "evaluation_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evaluation_followups",
        sa.Column("case_key", sa.String(32), nullable=False),
        sa.Column("person_key", sa.String(32), nullable=False),
        sa.Column("instrument_version", sa.String(40), nullable=True),
        sa.Column("surveyed_on", sa.Date, nullable=True),
        sa.Column("economic", sa.Float, nullable=True),
        sa.Column("social", sa.Float, nullable=True),
        sa.Column("psychosocial", sa.Float, nullable=True),
        sa.Column("composite", sa.Float, nullable=True),
        sa.Column("residence", sa.String(20), nullable=True),
        sa.Column("remigration_intention", sa.String(20), nullable=True),
        sa.Column("slots", sa.JSON, nullable=False),
        sa.Column("closure", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("case_key", "person_key", name="pk_evaluation_followups"),
    )


def downgrade() -> None:
    op.drop_table("evaluation_followups")
