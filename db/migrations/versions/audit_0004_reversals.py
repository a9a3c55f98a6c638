"""audit: reversals of pledges, receipts and payments in the money read models

Revision ID: audit_0004
Revises: audit_0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "audit_0004"
down_revision = "audit_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_contributions", sa.Column("entry_id", sa.Uuid(), nullable=True))
    for table in ("audit_contributions", "audit_disbursements"):
        op.add_column(table, sa.Column("reversal_of", sa.Uuid(), nullable=True))
        op.add_column(table, sa.Column("reason_code", sa.String(length=60), nullable=True))


def downgrade() -> None:
    for table in ("audit_disbursements", "audit_contributions"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("reason_code")
            batch.drop_column("reversal_of")
    with op.batch_alter_table("audit_contributions") as batch:
        batch.drop_column("entry_id")
