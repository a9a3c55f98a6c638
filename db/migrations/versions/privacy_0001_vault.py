"""privacy: data keys, erasures, consents, access log, case closures, legal holds

Revision ID: privacy_0001
Revises:
Create Date: 2025-01-01
"""

import sqlalchemy as sa
from alembic import op

from db.migration_ops import create_messaging_tables, drop_messaging_tables

revision = "privacy_0001"
down_revision = None
branch_labels = ("privacy",)
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = sa.DateTime(timezone=True)
REF = 40


def upgrade() -> None:
    create_messaging_tables("privacy")
    op.create_table(
        "privacy_data_keys",
        sa.Column("person_ref", sa.String(REF), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("wrapped_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("person_ref", name="pk_privacy_data_keys"),
    )
    op.create_index("ix_privacy_data_keys_key_id", "privacy_data_keys", ["key_id"])
    op.create_table(
        "privacy_erasures",
        sa.Column("person_ref", sa.String(REF), nullable=False),
        sa.Column("erased_at", UTC, nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("erased_by", sa.String(120), nullable=False),
        sa.Column("key_fingerprint", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("person_ref", name="pk_privacy_erasures"),
    )
    op.create_table(
        "privacy_consents",
        sa.Column("id", AutoId, autoincrement=True, nullable=False),
        sa.Column("person_ref", sa.String(REF), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("partner", sa.String(120), nullable=True),
        sa.Column("granted", sa.Boolean, nullable=False),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_privacy_consents"),
    )
    op.create_index(
        "ix_privacy_consents_person_purpose", "privacy_consents", ["person_ref", "purpose"]
    )
    op.create_table(
        "privacy_access_log",
        sa.Column("id", AutoId, autoincrement=True, nullable=False),
        sa.Column("person_ref", sa.String(REF), nullable=False),
        sa.Column("actor_id", sa.String(120), nullable=False),
        sa.Column("role", sa.String(60), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("accessed_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_privacy_access_log"),
    )
    op.create_index("ix_privacy_access_log_person_ref", "privacy_access_log", ["person_ref"])
    op.create_table(
        "privacy_case_people",
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("person_ref", sa.String(REF), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "person_ref", name="pk_privacy_case_people"),
    )
    op.create_index("ix_privacy_case_people_person_ref", "privacy_case_people", ["person_ref"])
    op.create_table(
        "privacy_cases",
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("ended_on", sa.Date, nullable=True),
        sa.Column("end_status", sa.String(20), nullable=True),
        sa.PrimaryKeyConstraint("case_id", name="pk_privacy_cases"),
    )
    op.create_table(
        "privacy_legal_holds",
        sa.Column("hold_id", sa.Uuid, nullable=False),
        sa.Column("person_ref", sa.String(REF), nullable=False),
        sa.Column("reason_token", sa.LargeBinary, nullable=False),
        sa.Column("placed_by", sa.String(120), nullable=False),
        sa.Column("placed_at", UTC, nullable=False),
        sa.Column("lifted_by", sa.String(120), nullable=True),
        sa.Column("lifted_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("hold_id", name="pk_privacy_legal_holds"),
    )
    op.create_index("ix_privacy_legal_holds_person_ref", "privacy_legal_holds", ["person_ref"])


def downgrade() -> None:
    for table in (
        "privacy_legal_holds",
        "privacy_cases",
        "privacy_case_people",
        "privacy_access_log",
        "privacy_consents",
        "privacy_erasures",
        "privacy_data_keys",
    ):
        op.drop_table(table)
    drop_messaging_tables("privacy")
