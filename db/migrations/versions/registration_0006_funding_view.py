"""registration: the funds it knows, and the funding decisions shown on a case

``registration_funds`` projects ``funding.fund_created`` (period, currency) so registration
can refuse a case for a period without a fund, or cost lines in another currency;
``registration_funding_decisions`` keeps each case's latest ``case_funding_decided`` and
``registration_funding_outcomes`` the latest commitment decision per person of a case.

Revision ID: registration_0006
Revises: registration_0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "registration_0006"
down_revision = "registration_0005"
branch_labels = None
depends_on = None

FUNDS = "registration_funds"
DECISIONS = "registration_funding_decisions"
OUTCOMES = "registration_funding_outcomes"
CASES = "registration_cases"


def upgrade() -> None:
    op.create_table(
        FUNDS,
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("period", name=f"pk_{FUNDS}"),
    )
    op.create_table(
        DECISIONS,
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("committed_cents", sa.BigInteger(), nullable=False),
        sa.Column("requested_cents", sa.BigInteger(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=f"pk_{DECISIONS}"),
        sa.ForeignKeyConstraint(
            ["case_id"], [f"{CASES}.case_id"], name=f"fk_{DECISIONS}_case_id_{CASES}"
        ),
    )
    op.create_table(
        OUTCOMES,
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("person_ref", sa.String(34), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("requested_cents", sa.BigInteger(), nullable=False),
        sa.Column("committed_cents", sa.BigInteger(), nullable=False),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.Column("remaining_cap_cents", sa.BigInteger(), nullable=False),
        sa.Column("available_cents", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "person_ref", name=f"pk_{OUTCOMES}"),
        sa.ForeignKeyConstraint(
            ["case_id"], [f"{CASES}.case_id"], name=f"fk_{OUTCOMES}_case_id_{CASES}"
        ),
    )


def downgrade() -> None:
    for table in (OUTCOMES, DECISIONS, FUNDS):
        op.drop_table(table)
