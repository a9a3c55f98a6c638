"""evaluation: messaging and parked tables, the read model, exports and the release ledger

Revision ID: evaluation_0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from db.migration_ops import (
    create_messaging_tables,
    create_parked_table,
    drop_messaging_tables,
    drop_parked_table,
)

revision = "evaluation_0001"
down_revision = None
branch_labels = ("evaluation",)
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    create_messaging_tables("evaluation")
    create_parked_table("evaluation")
    op.create_table(
        "evaluation_cases",
        sa.Column("case_key", sa.String(32), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("office", sa.String(60), nullable=False),
        sa.Column("departure_country", sa.String(2), nullable=False),
        sa.Column("destination_country", sa.String(2), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(12), nullable=True),
        sa.PrimaryKeyConstraint("case_key", name="pk_evaluation_cases"),
    )
    op.create_table(
        "evaluation_people",
        sa.Column("case_key", sa.String(32), nullable=False),
        sa.Column("person_key", sa.String(32), nullable=False),
        sa.Column("sex", sa.String(10), nullable=False),
        sa.Column("age_band", sa.String(12), nullable=False),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("case_key", "person_key", name="pk_evaluation_people"),
    )
    op.create_table(
        "evaluation_amounts",
        sa.Column("case_key", sa.String(32), nullable=False),
        sa.Column("person_key", sa.String(32), nullable=False),
        sa.Column("cost_category", sa.String(40), nullable=False),
        sa.Column("committed_cents", sa.BigInteger, nullable=False),
        sa.Column("paid_cents", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint(
            "case_key", "person_key", "cost_category", name="pk_evaluation_amounts"
        ),
    )
    op.create_table(
        "evaluation_exports",
        sa.Column("export_id", sa.Uuid, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("trigger", sa.String(10), nullable=False),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("first_month", sa.String(7), nullable=False),
        sa.Column("last_month", sa.String(7), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("tables", sa.JSON, nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("row_counts", sa.JSON, nullable=False),
        sa.Column("suppressed", sa.JSON, nullable=False),
        sa.Column("files", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("export_id", name="pk_evaluation_exports"),
    )
    op.create_table(
        "evaluation_releases",
        sa.Column("id", AutoId, autoincrement=True, nullable=False),
        sa.Column("export_id", sa.Uuid, nullable=False),
        sa.Column("population", sa.String(60), nullable=False),
        sa.Column("table_key", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("release", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evaluation_releases"),
    )
    op.create_index("ix_evaluation_releases_export_id", "evaluation_releases", ["export_id"])


def downgrade() -> None:
    for name in (
        "evaluation_releases",
        "evaluation_exports",
        "evaluation_amounts",
        "evaluation_people",
        "evaluation_cases",
    ):
        op.drop_table(name)
    drop_parked_table("evaluation")
    drop_messaging_tables("evaluation")
