"""registration: cases, people, encrypted personal data, cost lines, transitions

Revision ID: registration_0001
Revises:
Create Date: 2025-11-23
"""

import sqlalchemy as sa
from alembic import op

from db.migration_ops import create_messaging_tables, drop_messaging_tables

revision = "registration_0001"
down_revision = None
branch_labels = ("registration",)
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey(
        "registration_cases.case_id", name=f"fk_{table}_case_id_registration_cases"
    )


def upgrade() -> None:
    create_messaging_tables("registration")
    op.create_table(
        "registration_cases",
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("office", sa.String(60), nullable=False),
        sa.Column("fund_period", sa.String(20), nullable=False),
        sa.Column("requester_type", sa.String(40), nullable=False),
        sa.Column("requester_name", sa.String(200), nullable=False),
        sa.Column("departure_country", sa.String(2), nullable=False),
        sa.Column("destination_country", sa.String(2), nullable=False),
        sa.Column("registered_on", sa.Date, nullable=False),
        sa.Column("allow_partial", sa.Boolean, nullable=False),
        sa.Column("eligibility_exception", sa.String(60), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_registration_cases"),
    )
    op.create_index("ix_registration_cases_status", "registration_cases", ["status"])
    op.create_index("ix_registration_cases_office", "registration_cases", ["office"])
    op.create_table(
        "registration_people",
        sa.Column("person_ref", sa.String(34), nullable=False),
        sa.Column("case_id", sa.Uuid, _fk("registration_people"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("sex", sa.String(10), nullable=False),
        sa.Column("nationality", sa.String(2), nullable=False),
        sa.Column("age_years", sa.Integer, nullable=False),
        sa.Column("age_band", sa.String(8), nullable=False),
        sa.Column("vulnerability_categories", sa.JSON, nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("person_ref", name="pk_registration_people"),
    )
    op.create_index("ix_registration_people_case_id", "registration_people", ["case_id"])
    op.create_table(
        "registration_personal_data",
        sa.Column(
            "person_ref",
            sa.String(34),
            sa.ForeignKey(
                "registration_people.person_ref",
                name="fk_registration_personal_data_person_ref_registration_people",
            ),
            nullable=False,
        ),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("person_ref", "field", name="pk_registration_personal_data"),
    )
    op.create_table(
        "registration_cost_lines",
        sa.Column("id", AutoId, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Uuid, _fk("registration_cost_lines"), nullable=False),
        sa.Column("person_ref", sa.String(34), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registration_cost_lines"),
    )
    op.create_index("ix_registration_cost_lines_case_id", "registration_cost_lines", ["case_id"])
    op.create_table(
        "registration_transitions",
        sa.Column("id", AutoId, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Uuid, _fk("registration_transitions"), nullable=False),
        sa.Column("from_status", sa.String(20), nullable=False),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("reason_code", sa.String(60), nullable=True),
        sa.Column("failed_checks", sa.JSON, nullable=True),
        sa.Column("detail_person_ref", sa.String(34), nullable=True),
        sa.Column("detail_field", sa.String(60), nullable=True),
        sa.Column("reason_detail", sa.LargeBinary, nullable=True),
        sa.Column("actor_kind", sa.String(10), nullable=False),
        sa.Column("actor_id", sa.String(120), nullable=False),
        sa.Column("actor_role", sa.String(40), nullable=True),
        sa.Column("event_id", sa.Uuid, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registration_transitions"),
    )
    op.create_index("ix_registration_transitions_case_id", "registration_transitions", ["case_id"])
    op.create_index(
        "ix_registration_transitions_detail_person_ref",
        "registration_transitions",
        ["detail_person_ref"],
    )


def downgrade() -> None:
    op.drop_table("registration_transitions")
    op.drop_table("registration_cost_lines")
    op.drop_table("registration_personal_data")
    op.drop_table("registration_people")
    op.drop_table("registration_cases")
    drop_messaging_tables("registration")
