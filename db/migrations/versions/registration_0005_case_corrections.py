"""registration: corrections of a case before screening

``registration_corrections`` lists each correction of a registered case: the version it made,
the names of the fields corrected (never values), who and when, and its event.

Revision ID: registration_0005
Revises: registration_0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "registration_0005"
down_revision = "registration_0004"
branch_labels = None
depends_on = None

TABLE = "registration_corrections"
AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", AutoId, autoincrement=True, nullable=False),
        sa.Column(
            "case_id",
            sa.Uuid(),
            sa.ForeignKey(
                "registration_cases.case_id", name=f"fk_{TABLE}_case_id_registration_cases"
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("actor_kind", sa.String(10), nullable=False),
        sa.Column("actor_id", sa.String(120), nullable=False),
        sa.Column("actor_role", sa.String(40), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{TABLE}"),
    )
    op.create_index(f"ix_{TABLE}_case_id", TABLE, ["case_id"])


def downgrade() -> None:
    op.drop_index(f"ix_{TABLE}_case_id", table_name=TABLE)
    op.drop_table(TABLE)
