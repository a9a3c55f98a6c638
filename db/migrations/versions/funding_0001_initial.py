"""funding: funds, shares, contributions, cases, ledger, commitments, disbursements

Revision ID: funding_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from db.migration_ops import create_messaging_tables, drop_messaging_tables

revision = "funding_0001"
down_revision = None
branch_labels = ("funding",)
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _period(table: str) -> sa.Column:
    return sa.Column(
        "period",
        sa.String(20),
        sa.ForeignKey("funding_funds.period", name=f"fk_{table}_period_funding_funds"),
        nullable=False,
    )


def _money(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger, nullable=False)


def upgrade() -> None:
    create_messaging_tables("funding")
    op.create_table(
        "funding_funds",
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        _money("per_person_cap_cents"),
        _money("target_cents"),
        _money("received_cents"),
        _money("committed_cents"),
        _money("disbursed_cents"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.PrimaryKeyConstraint("period", name="pk_funding_funds"),
    )
    op.create_table(
        "funding_member_shares",
        _period("funding_member_shares"),
        sa.Column("member", sa.String(2), nullable=False),
        sa.Column("share_percent", sa.String(40), nullable=False),
        _money("expected_cents"),
        sa.PrimaryKeyConstraint("period", "member", name="pk_funding_member_shares"),
    )
    for name in ("funding_pledges", "funding_receipts"):
        op.create_table(
            name,
            sa.Column("id", AutoId, autoincrement=True, nullable=False),
            _period(name),
            sa.Column("member", sa.String(2), nullable=False),
            _money("amount_cents"),
            sa.Column("on_date", sa.Date, nullable=False),
            sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("recorded_by", sa.String(120), nullable=False),
            sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
        )
    op.create_table(
        "funding_cases",
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("office", sa.String(60), nullable=False),
        sa.Column("destination_country", sa.String(2), nullable=False),
        sa.Column("allow_partial", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_funding_cases"),
    )
    case_fk = sa.ForeignKey("funding_cases.case_id", name="fk_{}_case_id_funding_cases")
    op.create_table(
        "funding_case_people",
        sa.Column("case_id", sa.Uuid, _named(case_fk, "funding_case_people"), nullable=False),
        sa.Column("person_ref", sa.String(34), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "person_ref", name="pk_funding_case_people"),
    )
    op.create_table(
        "funding_case_lines",
        sa.Column("case_id", sa.Uuid, _named(case_fk, "funding_case_lines"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("person_ref", sa.String(34), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        _money("amount_cents"),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "position", name="pk_funding_case_lines"),
    )
    op.create_table(
        "funding_person_ledger",
        _period("funding_person_ledger"),
        sa.Column("person_ref", sa.String(34), nullable=False),
        _money("committed_cents"),
        _money("disbursed_cents"),
        sa.PrimaryKeyConstraint("period", "person_ref", name="pk_funding_person_ledger"),
    )
    op.create_table(
        "funding_commitments",
        sa.Column("commitment_id", sa.Uuid, nullable=False),
        _period("funding_commitments"),
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("person_ref", sa.String(34), nullable=False),
        _money("requested_cents"),
        _money("amount_cents"),
        _money("disbursed_cents"),
        _money("released_cents"),
        sa.Column("partial", sa.Boolean, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.PrimaryKeyConstraint("commitment_id", name="pk_funding_commitments"),
    )
    op.create_index("ix_funding_commitments_case_id", "funding_commitments", ["case_id"])
    op.create_index("ix_funding_commitments_person_ref", "funding_commitments", ["person_ref"])
    commitment_fk = sa.ForeignKey(
        "funding_commitments.commitment_id", name="fk_{}_commitment_id_funding_commitments"
    )
    op.create_table(
        "funding_commitment_lines",
        sa.Column(
            "commitment_id",
            sa.Uuid,
            _named(commitment_fk, "funding_commitment_lines"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        _money("amount_cents"),
        sa.PrimaryKeyConstraint("commitment_id", "position", name="pk_funding_commitment_lines"),
    )
    op.create_table(
        "funding_disbursements",
        sa.Column("disbursement_id", sa.Uuid, nullable=False),
        sa.Column(
            "commitment_id",
            sa.Uuid,
            _named(commitment_fk, "funding_disbursements"),
            nullable=False,
        ),
        _period("funding_disbursements"),
        sa.Column("category", sa.String(40), nullable=False),
        _money("amount_cents"),
        sa.Column("paid_on", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        sa.PrimaryKeyConstraint("disbursement_id", name="pk_funding_disbursements"),
    )
    op.create_table(
        "funding_attributions",
        sa.Column(
            "disbursement_id",
            sa.Uuid,
            sa.ForeignKey(
                "funding_disbursements.disbursement_id",
                name="fk_funding_attributions_disbursement_id_funding_disbursements",
            ),
            nullable=False,
        ),
        sa.Column("member", sa.String(2), nullable=False),
        _money("amount_cents"),
        sa.PrimaryKeyConstraint("disbursement_id", "member", name="pk_funding_attributions"),
    )


def _named(fk: sa.ForeignKey, table: str) -> sa.ForeignKey:
    return sa.ForeignKey(fk.target_fullname, name=str(fk.name).format(table))


def downgrade() -> None:
    for name in (
        "funding_attributions",
        "funding_disbursements",
        "funding_commitment_lines",
        "funding_commitments",
        "funding_person_ledger",
        "funding_case_lines",
        "funding_case_people",
        "funding_cases",
        "funding_receipts",
        "funding_pledges",
        "funding_member_shares",
        "funding_funds",
    ):
        op.drop_table(name)
    drop_messaging_tables("funding")
