"""reintegration: cash grants asked of funding and funding's answer

Revision ID: reintegration_0002
Revises: reintegration_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "reintegration_0002"
down_revision = "reintegration_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reintegration_grants",
        sa.Column("grant_id", sa.Uuid, nullable=False),
        sa.Column("plan_id", sa.Uuid, nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("requested_cents", sa.BigInteger, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("committed_cents", sa.BigInteger, nullable=True),
        sa.Column("refusal_reason", sa.String(40), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["reintegration_plans.plan_id"],
            name="fk_reintegration_grants_plan_id_reintegration_plans",
        ),
        sa.PrimaryKeyConstraint("grant_id", name="pk_reintegration_grants"),
    )
    op.create_index("ix_reintegration_grants_plan_id", "reintegration_grants", ["plan_id"])


def downgrade() -> None:
    op.drop_index("ix_reintegration_grants_plan_id", "reintegration_grants")
    op.drop_table("reintegration_grants")
