"""registration: the follow-ups closed by reintegration, per person of a case

``registration_follow_ups`` keeps each ``reintegration.case_closed`` (one per person of a
case); when every person of an arrived case has one, registration closes the case.

Revision ID: registration_0007
Revises: registration_0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "registration_0007"
down_revision = "registration_0006"
branch_labels = None
depends_on = None

TABLE = "registration_follow_ups"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("person_ref", sa.String(34), nullable=False),
        sa.Column("reason_code", sa.String(40), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "person_ref", name=f"pk_{TABLE}"),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["registration_cases.case_id"],
            name=f"fk_{TABLE}_case_id_registration_cases",
        ),
    )


def downgrade() -> None:
    op.drop_table(TABLE)
