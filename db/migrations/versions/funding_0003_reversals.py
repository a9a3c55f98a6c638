"""funding: stable ids of pledges and receipts; reversals (compensating entries)

Revision ID: funding_0003
Revises: funding_0002
Create Date: 2026-12-02
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "funding_0003"
down_revision = "funding_0002"
branch_labels = None
depends_on = None

ENTRY_TABLES = ("funding_pledges", "funding_receipts")


def upgrade() -> None:
    bind = op.get_bind()
    for name in ENTRY_TABLES:
        op.add_column(name, sa.Column("entry_id", sa.Uuid(), nullable=True))
        table = sa.table(name, sa.column("id", sa.BigInteger()), sa.column("entry_id", sa.Uuid()))
        for (row_id,) in bind.execute(sa.select(table.c.id).order_by(table.c.id)).all():
            bind.execute(table.update().where(table.c.id == row_id).values(entry_id=uuid.uuid4()))
        with op.batch_alter_table(name) as batch:
            batch.alter_column("entry_id", existing_type=sa.Uuid(), nullable=False)
            batch.create_unique_constraint(f"uq_{name}_entry_id", ["entry_id"])
    op.create_table(
        "funding_reversals",
        sa.Column("reversal_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column(
            "period",
            sa.String(20),
            sa.ForeignKey("funding_funds.period", name="fk_funding_reversals_period_funding_funds"),
            nullable=False,
        ),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("reason_code", sa.String(40), nullable=False),
        sa.Column("reversed_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        sa.PrimaryKeyConstraint("reversal_id", name="pk_funding_reversals"),
        sa.UniqueConstraint("entry_id", name="uq_funding_reversals_entry_id"),
    )


def downgrade() -> None:
    op.drop_table("funding_reversals")
    for name in ENTRY_TABLES:
        with op.batch_alter_table(name) as batch:
            batch.drop_constraint(f"uq_{name}_entry_id", type_="unique")
            batch.drop_column("entry_id")
