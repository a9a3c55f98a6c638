"""registration: offices' own records of a returning person, and record transfers

``registration_office_personal_data`` holds what an office other than the person's owning
office entered itself when it registered the person again; ``registration_transfers`` the
requests of an office to read the owning office's record, and their decisions;
``registration_emergency_reads`` the break-the-glass reads, for the DPO's review.

Revision ID: registration_0004
Revises: registration_0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "registration_0004"
down_revision = "registration_0003"
branch_labels = None
depends_on = None

TRANSFERS = "registration_transfers"
READS = "registration_emergency_reads"
AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "registration_office_personal_data",
        sa.Column("person_ref", sa.String(34), nullable=False),
        sa.Column("office", sa.String(60), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint(
            "person_ref", "office", "field", name="pk_registration_office_personal_data"
        ),
    )
    op.create_table(
        TRANSFERS,
        sa.Column("transfer_id", sa.Uuid(), nullable=False),
        sa.Column("person_ref", sa.String(34), nullable=False),
        sa.Column("from_office", sa.String(60), nullable=False),
        sa.Column("to_office", sa.String(60), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason_code", sa.String(60), nullable=False),
        sa.Column("requested_by", sa.String(120), nullable=False),
        sa.Column("requested_role", sa.String(40), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision_reason_code", sa.String(60), nullable=True),
        sa.Column("decided_by", sa.String(120), nullable=True),
        sa.Column("decided_role", sa.String(40), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("transfer_id", name="pk_registration_transfers"),
    )
    for column in ("person_ref", "from_office", "to_office"):
        op.create_index(f"ix_{TRANSFERS}_{column}", TRANSFERS, [column])
    op.create_table(
        READS,
        sa.Column("id", AutoId, autoincrement=True, nullable=False),
        sa.Column("person_ref", sa.String(34), nullable=False),
        sa.Column("office", sa.String(60), nullable=False),
        sa.Column("owning_office", sa.String(60), nullable=False),
        sa.Column("actor_id", sa.String(120), nullable=False),
        sa.Column("actor_role", sa.String(40), nullable=False),
        sa.Column("reason_code", sa.String(60), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{READS}"),
    )
    op.create_index(f"ix_{READS}_person_ref", READS, ["person_ref"])


def downgrade() -> None:
    op.drop_index(f"ix_{READS}_person_ref", table_name=READS)
    op.drop_table(READS)
    for column in ("person_ref", "from_office", "to_office"):
        op.drop_index(f"ix_{TRANSFERS}_{column}", table_name=TRANSFERS)
    op.drop_table(TRANSFERS)
    op.drop_table("registration_office_personal_data")
