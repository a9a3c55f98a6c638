"""audit: chain rule per record, signed head, last periodic verification

Revision ID: audit_0003
Revises: audit_0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "audit_0003"
down_revision = "audit_0002"
branch_labels = None
depends_on = None

HEAD_SIGNATURE = ("signed_at", "key_id", "signature")


def upgrade() -> None:
    # Existing records keep rule 1 (the hash covers the envelope only); new ones use rule 2.
    op.add_column(
        "audit_log", sa.Column("hash_rule", sa.Integer(), nullable=False, server_default="1")
    )
    op.add_column("audit_head", sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("audit_head", sa.Column("key_id", sa.String(length=64), nullable=True))
    op.add_column("audit_head", sa.Column("signature", sa.String(length=200), nullable=True))
    op.create_table(
        "audit_verification",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("problem_position", sa.BigInteger(), nullable=True),
        sa.Column("problem_kind", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("broker_checked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_verification")),
    )


def downgrade() -> None:
    op.drop_table("audit_verification")
    with op.batch_alter_table("audit_head") as batch:
        for name in HEAD_SIGNATURE:
            batch.drop_column(name)
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("hash_rule")
