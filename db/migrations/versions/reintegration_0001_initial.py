"""reintegration: cases, offices by transfer, plans, schedule slots, contacts, assistance, surveys, scores

Revision ID: reintegration_0001
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

revision = "reintegration_0001"
down_revision = None
branch_labels = ("reintegration",)
depends_on = None


def _plan_fk(table: str) -> sa.Column:
    return sa.Column(
        "plan_id",
        sa.Uuid,
        sa.ForeignKey(
            "reintegration_plans.plan_id", name=f"fk_{table}_plan_id_reintegration_plans"
        ),
        nullable=False,
    )


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    create_messaging_tables("reintegration")
    create_parked_table("reintegration")
    op.create_table(
        "reintegration_cases",
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("office", sa.String(60), nullable=False),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("case_id", name="pk_reintegration_cases"),
    )
    op.create_table(
        "reintegration_case_people",
        sa.Column(
            "case_id",
            sa.Uuid,
            sa.ForeignKey(
                "reintegration_cases.case_id",
                name="fk_reintegration_case_people_case_id_reintegration_cases",
            ),
            nullable=False,
        ),
        sa.Column("person_ref", sa.String(34), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "person_ref", name="pk_reintegration_case_people"),
    )
    op.create_table(
        "reintegration_person_offices",
        sa.Column("person_ref", sa.String(34), nullable=False),
        sa.Column("office", sa.String(60), nullable=False),
        _when("granted_at"),
        sa.PrimaryKeyConstraint("person_ref", "office", name="pk_reintegration_person_offices"),
    )
    op.create_table(
        "reintegration_plans",
        sa.Column("plan_id", sa.Uuid, nullable=False),
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("person_ref", sa.String(34), nullable=False),
        sa.Column("office", sa.String(60), nullable=False),
        sa.Column("arrived_on", sa.Date, nullable=False),
        sa.Column("plan_due_on", sa.Date, nullable=False),
        sa.Column("drawn_up_on", sa.Date, nullable=True),
        sa.Column("closed_on", sa.Date, nullable=True),
        sa.Column("closure_reason", sa.String(40), nullable=True),
        _when("created_at"),
        sa.PrimaryKeyConstraint("plan_id", name="pk_reintegration_plans"),
        sa.UniqueConstraint(
            "case_id", "person_ref", name="uq_reintegration_plans_case_id_person_ref"
        ),
    )
    op.create_index("ix_reintegration_plans_person_ref", "reintegration_plans", ["person_ref"])
    op.create_index("ix_reintegration_plans_office", "reintegration_plans", ["office"])
    op.create_table(
        "reintegration_slots",
        _plan_fk("reintegration_slots"),
        sa.Column("slot", sa.Integer, nullable=False),
        sa.Column("offset_months", sa.Integer, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("opens_on", sa.Date, nullable=False),
        sa.Column("closes_on", sa.Date, nullable=False),
        _when("overdue_checked_at", nullable=True),
        sa.PrimaryKeyConstraint("plan_id", "slot", name="pk_reintegration_slots"),
    )
    op.create_index("ix_reintegration_slots_closes_on", "reintegration_slots", ["closes_on"])
    op.create_table(
        "reintegration_contacts",
        sa.Column("contact_id", sa.Uuid, nullable=False),
        _plan_fk("reintegration_contacts"),
        sa.Column("slot", sa.Integer, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("contacted_on", sa.Date, nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("residence", sa.String(30), nullable=True),
        sa.Column("remigration_intention", sa.String(30), nullable=True),
        sa.Column("note_sealed", sa.LargeBinary, nullable=True),
        _when("recorded_at"),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", name="pk_reintegration_contacts"),
    )
    op.create_index("ix_reintegration_contacts_plan_id", "reintegration_contacts", ["plan_id"])
    op.create_table(
        "reintegration_assistance",
        sa.Column("item_id", sa.Uuid, nullable=False),
        _plan_fk("reintegration_assistance"),
        sa.Column("stage", sa.String(10), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("amount_cents", sa.BigInteger, nullable=True),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("contact_id", sa.Uuid, nullable=True),
        _when("recorded_at"),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        sa.PrimaryKeyConstraint("item_id", name="pk_reintegration_assistance"),
    )
    op.create_index("ix_reintegration_assistance_plan_id", "reintegration_assistance", ["plan_id"])
    op.create_table(
        "reintegration_surveys",
        sa.Column("survey_id", sa.Uuid, nullable=False),
        _plan_fk("reintegration_surveys"),
        sa.Column("contact_id", sa.Uuid, nullable=True),
        sa.Column("surveyed_on", sa.Date, nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
        _when("recorded_at"),
        sa.PrimaryKeyConstraint("survey_id", name="pk_reintegration_surveys"),
    )
    op.create_index("ix_reintegration_surveys_plan_id", "reintegration_surveys", ["plan_id"])
    op.create_table(
        "reintegration_scores",
        sa.Column("score_id", sa.Uuid, nullable=False),
        sa.Column(
            "survey_id",
            sa.Uuid,
            sa.ForeignKey(
                "reintegration_surveys.survey_id",
                name="fk_reintegration_scores_survey_id_reintegration_surveys",
            ),
            nullable=False,
        ),
        sa.Column("plan_id", sa.Uuid, nullable=False),
        sa.Column("instrument_version", sa.String(40), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("economic", sa.String(6), nullable=True),
        sa.Column("social", sa.String(6), nullable=True),
        sa.Column("psychosocial", sa.String(6), nullable=True),
        sa.Column("composite", sa.String(6), nullable=True),
        sa.Column("above_threshold", sa.Boolean, nullable=True),
        sa.Column("answered", sa.Integer, nullable=False),
        sa.Column("missing", sa.Integer, nullable=False),
        _when("scored_at"),
        sa.PrimaryKeyConstraint("score_id", name="pk_reintegration_scores"),
        sa.UniqueConstraint(
            "survey_id",
            "instrument_version",
            name="uq_reintegration_scores_survey_id_instrument_version",
        ),
    )
    op.create_index("ix_reintegration_scores_plan_id", "reintegration_scores", ["plan_id"])


def downgrade() -> None:
    for name in (
        "reintegration_scores",
        "reintegration_surveys",
        "reintegration_assistance",
        "reintegration_contacts",
        "reintegration_slots",
        "reintegration_plans",
        "reintegration_person_offices",
        "reintegration_case_people",
        "reintegration_cases",
    ):
        op.drop_table(name)
    drop_parked_table("reintegration")
    drop_messaging_tables("reintegration")
