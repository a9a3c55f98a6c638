"""audit: hash-chained event log, chain head, signed checkpoints and read models

Revision ID: audit_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from db.migration_ops import create_messaging_tables, drop_messaging_tables

revision = "audit_0001"
down_revision = None
branch_labels = ("audit",)
depends_on = None

GENESIS = "0" * 64
TABLES = (
    "audit_attributions",
    "audit_case_categories",
    "audit_case_stages",
    "audit_cases",
    "audit_checkpoints",
    "audit_commitment_lines",
    "audit_commitments",
    "audit_contributions",
    "audit_disbursements",
    "audit_fund_shares",
    "audit_funds",
    "audit_head",
    "audit_log",
    "audit_releases",
)


def upgrade() -> None:
    create_messaging_tables("audit")
    op.create_table(
        "audit_attributions",
        sa.Column("disbursement_id", sa.Uuid(), nullable=False),
        sa.Column("member", sa.String(length=2), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("disbursement_id", "member", name=op.f("pk_audit_attributions")),
    )
    op.create_table(
        "audit_case_categories",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "category", name=op.f("pk_audit_case_categories")),
    )
    op.create_table(
        "audit_case_stages",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("office", sa.String(length=60), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_audit_case_stages")),
    )
    op.create_index(
        op.f("ix_audit_case_stages_case_id"), "audit_case_stages", ["case_id"], unique=False
    )
    op.create_table(
        "audit_cases",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("fund_period", sa.String(length=20), nullable=False),
        sa.Column("office", sa.String(length=60), nullable=False),
        sa.Column("requester_type", sa.String(length=40), nullable=False),
        sa.Column("departure_country", sa.String(length=2), nullable=False),
        sa.Column("destination_country", sa.String(length=2), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("people_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_audit_cases")),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    op.create_index(
        op.f("ix_audit_checkpoints_position"), "audit_checkpoints", ["position"], unique=False
    )
    op.create_table(
        "audit_commitment_lines",
        sa.Column("commitment_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("commitment_id", "line_no", name=op.f("pk_audit_commitment_lines")),
    )
    op.create_table(
        "audit_commitments",
        sa.Column("commitment_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("person_ref", sa.String(length=40), nullable=False),
        sa.Column("requested_cents", sa.BigInteger(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("commitment_id", name=op.f("pk_audit_commitments")),
    )
    op.create_index(
        op.f("ix_audit_commitments_case_id"), "audit_commitments", ["case_id"], unique=False
    )
    op.create_index(
        op.f("ix_audit_commitments_period"), "audit_commitments", ["period"], unique=False
    )
    op.create_index(
        op.f("ix_audit_commitments_person_ref"), "audit_commitments", ["person_ref"], unique=False
    )
    op.create_table(
        "audit_contributions",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("member", sa.String(length=2), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_audit_contributions")),
    )
    op.create_index(
        op.f("ix_audit_contributions_period"), "audit_contributions", ["period"], unique=False
    )
    op.create_table(
        "audit_disbursements",
        sa.Column("disbursement_id", sa.Uuid(), nullable=False),
        sa.Column("commitment_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("person_ref", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("disbursement_id", name=op.f("pk_audit_disbursements")),
    )
    op.create_index(
        op.f("ix_audit_disbursements_case_id"), "audit_disbursements", ["case_id"], unique=False
    )
    op.create_index(
        op.f("ix_audit_disbursements_period"), "audit_disbursements", ["period"], unique=False
    )
    op.create_index(
        op.f("ix_audit_disbursements_person_ref"),
        "audit_disbursements",
        ["person_ref"],
        unique=False,
    )
    op.create_table(
        "audit_fund_shares",
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("member", sa.String(length=2), nullable=False),
        sa.Column("share_percent", sa.String(length=40), nullable=False),
        sa.Column("expected_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("period", "member", name=op.f("pk_audit_fund_shares")),
    )
    op.create_table(
        "audit_funds",
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("per_person_cap_cents", sa.BigInteger(), nullable=False),
        sa.Column("target_cents", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_audit_funds")),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_log",
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=10), nullable=False),
        sa.Column("actor_id", sa.String(length=120), nullable=False),
        sa.Column("actor_role", sa.String(length=40), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("person_ref", sa.String(length=40), nullable=True),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("event_id", name=op.f("uq_audit_log_event_id")),
    )
    op.create_index(op.f("ix_audit_log_actor_id"), "audit_log", ["actor_id"], unique=False)
    op.create_index(op.f("ix_audit_log_case_id"), "audit_log", ["case_id"], unique=False)
    op.create_index(op.f("ix_audit_log_occurred_at"), "audit_log", ["occurred_at"], unique=False)
    op.create_index(op.f("ix_audit_log_person_ref"), "audit_log", ["person_ref"], unique=False)
    op.create_index(op.f("ix_audit_log_type"), "audit_log", ["type"], unique=False)
    op.create_table(
        "audit_releases",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("commitment_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("person_ref", sa.String(length=40), nullable=False),
        sa.Column("released_cents", sa.BigInteger(), nullable=False),
        sa.Column("reason_code", sa.String(length=60), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_audit_releases")),
    )
    op.create_index(
        op.f("ix_audit_releases_commitment_id"), "audit_releases", ["commitment_id"], unique=False
    )
    head = sa.table("audit_head", sa.column("id"), sa.column("position"), sa.column("hash"))
    op.bulk_insert(head, [{"id": 1, "position": 0, "hash": GENESIS}])


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
    drop_messaging_tables("audit")
