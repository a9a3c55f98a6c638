"""The funding service's tables. Running totals live on the fund row and the person's ledger
row; those are the rows locked (fund first, then people by reference) before a rule is checked."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Uuid,
)

from db.schema import AutoId, MessagingTables, UtcDateTime, service_metadata

metadata = service_metadata()
messaging = MessagingTables(metadata, "funding")

funds = Table(
    "funding_funds",
    metadata,
    Column("period", String(20), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("per_person_cap_cents", BigInteger, nullable=False),
    Column("target_cents", BigInteger, nullable=False),
    Column("received_cents", BigInteger, nullable=False, default=0),
    Column("committed_cents", BigInteger, nullable=False, default=0),
    Column("disbursed_cents", BigInteger, nullable=False, default=0),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(120), nullable=False),
)

member_shares = Table(
    "funding_member_shares",
    metadata,
    Column("period", String(20), ForeignKey("funding_funds.period"), nullable=False),
    Column("member", String(2), nullable=False),
    Column("share_percent", String(40), nullable=False),
    Column("expected_cents", BigInteger, nullable=False),
    PrimaryKeyConstraint("period", "member"),
)


def _contribution_table(name: str) -> Table:
    return Table(
        f"funding_{name}",
        metadata,
        Column("id", AutoId, primary_key=True, autoincrement=True),
        # The entry's stable id (in its event, its listing and its reversal); since funding_0003.
        Column("entry_id", Uuid, nullable=False, unique=True),
        Column("period", String(20), ForeignKey("funding_funds.period"), nullable=False),
        Column("member", String(2), nullable=False),
        Column("amount_cents", BigInteger, nullable=False),
        Column("on_date", Date, nullable=False),
        Column("recorded_at", UtcDateTime(), nullable=False),
        Column("recorded_by", String(120), nullable=False),
    )


pledges = _contribution_table("pledges")
receipts = _contribution_table("receipts")

# Cases as learned from registration events. status: registered, eligible, ineligible,
# funded, unfunded, withdrawn, cancelled.
cases = Table(
    "funding_cases",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("period", String(20), nullable=False),
    Column("office", String(60), nullable=False),
    Column("destination_country", String(2), nullable=False),
    Column("allow_partial", Boolean, nullable=False),
    Column("status", String(20), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

case_people = Table(
    "funding_case_people",
    metadata,
    Column("case_id", Uuid, ForeignKey("funding_cases.case_id"), nullable=False),
    Column("person_ref", String(34), nullable=False),
    PrimaryKeyConstraint("case_id", "person_ref"),
)

case_lines = Table(
    "funding_case_lines",
    metadata,
    Column("case_id", Uuid, ForeignKey("funding_cases.case_id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("person_ref", String(34), nullable=False),
    Column("category", String(40), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    PrimaryKeyConstraint("case_id", "position"),
)

person_ledger = Table(
    "funding_person_ledger",
    metadata,
    Column("period", String(20), ForeignKey("funding_funds.period"), nullable=False),
    Column("person_ref", String(34), nullable=False),
    Column("committed_cents", BigInteger, nullable=False, default=0),
    Column("disbursed_cents", BigInteger, nullable=False, default=0),
    PrimaryKeyConstraint("period", "person_ref"),
)

commitments = Table(
    "funding_commitments",
    metadata,
    Column("commitment_id", Uuid, primary_key=True),
    Column("period", String(20), ForeignKey("funding_funds.period"), nullable=False),
    Column("case_id", Uuid, nullable=False, index=True),
    Column("person_ref", String(34), nullable=False, index=True),
    Column("requested_cents", BigInteger, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("disbursed_cents", BigInteger, nullable=False, default=0),
    Column("released_cents", BigInteger, nullable=False, default=0),
    Column("partial", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("origin", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(120), nullable=False),
)

commitment_lines = Table(
    "funding_commitment_lines",
    metadata,
    Column("commitment_id", Uuid, ForeignKey("funding_commitments.commitment_id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("category", String(40), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    PrimaryKeyConstraint("commitment_id", "position"),
)

disbursements = Table(
    "funding_disbursements",
    metadata,
    Column("disbursement_id", Uuid, primary_key=True),
    Column("commitment_id", Uuid, ForeignKey("funding_commitments.commitment_id"), nullable=False),
    Column("period", String(20), ForeignKey("funding_funds.period"), nullable=False),
    Column("category", String(40), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(120), nullable=False),
)

attributions = Table(
    "funding_attributions",
    metadata,
    Column(
        "disbursement_id",
        Uuid,
        ForeignKey("funding_disbursements.disbursement_id"),
        nullable=False,
    ),
    Column("member", String(2), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    PrimaryKeyConstraint("disbursement_id", "member"),
)

# Compensating entries: a pledge, receipt or payment is never edited or deleted; a mistaken one
# is reversed by one row here (its whole amount, once: entry_id is unique), with a reason code.
reversals = Table(
    "funding_reversals",
    metadata,
    Column("reversal_id", Uuid, primary_key=True),
    Column("kind", String(10), nullable=False),  # pledge | receipt | payment
    Column("entry_id", Uuid, nullable=False, unique=True),
    Column("period", String(20), ForeignKey("funding_funds.period"), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("reason_code", String(40), nullable=False),
    Column("reversed_on", Date, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(120), nullable=False),
)
