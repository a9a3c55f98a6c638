"""The audit service's tables: the hash-chained log, checkpoints and the read models.

Everything here is built from events, which hold no personal data: people appear only as
pseudonymous ``person_ref``s, reasons only as codes.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
)

from db.schema import AutoId, MessagingTables, UtcDateTime, service_metadata

metadata = service_metadata()
NAME = "audit"
messaging = MessagingTables(metadata, NAME)


def _money(name: str) -> Column:
    return Column(name, BigInteger, nullable=False)


log = Table(
    "audit_log",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("type", String(120), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False, index=True),
    Column("actor_kind", String(10), nullable=False),
    Column("actor_id", String(120), nullable=False, index=True),
    Column("actor_role", String(40), nullable=True),
    Column("case_id", Uuid, nullable=True, index=True),
    Column("person_ref", String(40), nullable=True, index=True),
    Column("envelope", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    # Which chain rule hashed the record (services.audit.domain.chain.RULE_*): 1 before audit_0003,
    # 2 (envelope and every stored column) since.
    Column("hash_rule", Integer, nullable=False, server_default="1"),
)

# One row (id 1): the log's last position and hash. Appenders lock it, so positions are
# assigned one writer at a time; verification also uses it to notice a truncated log.
head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("position", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    # Ed25519 signature of (position, hash, signed_at), renewed by every batch that appends:
    # the database's writer cannot move the head without the audit key.
    Column("signed_at", UtcDateTime(), nullable=True),
    Column("key_id", String(64), nullable=True),
    Column("signature", String(200), nullable=True),
)

# One row (id 1): the outcome of the audit service's last periodic verification, for /health.
verification = Table(
    "audit_verification",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("ok", Boolean, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("verified_at", UtcDateTime(), nullable=False),
    Column("problem_position", BigInteger, nullable=True),
    Column("problem_kind", String(40), nullable=True),
    Column("detail", Text, nullable=True),
    Column("broker_checked", Boolean, nullable=False),
)

checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("position", BigInteger, nullable=False, index=True),
    Column("hash", String(64), nullable=False),
    Column("signed_at", UtcDateTime(), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", String(200), nullable=False),
)

funds = Table(
    "audit_funds",
    metadata,
    Column("period", String(20), primary_key=True),
    Column("currency", String(3), nullable=False),
    _money("per_person_cap_cents"),
    _money("target_cents"),
    Column("created_at", UtcDateTime(), nullable=False),
)

fund_shares = Table(
    "audit_fund_shares",
    metadata,
    Column("period", String(20), nullable=False),
    Column("member", String(2), nullable=False),
    Column("share_percent", String(40), nullable=False),
    _money("expected_cents"),
    PrimaryKeyConstraint("period", "member"),
)

contributions = Table(
    "audit_contributions",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("period", String(20), nullable=False, index=True),
    Column("member", String(2), nullable=False),
    Column("kind", String(10), nullable=False),  # pledged | received
    _money("amount_cents"),  # a reversal's row is negative, dated the day of the reversal
    Column("on_date", Date, nullable=False),
    # Since audit_0004: the pledge's or receipt's id (a reversal's row: the reversal's id), and
    # on a reversal's row the entry it reverses and why.
    Column("entry_id", Uuid, nullable=True),
    Column("reversal_of", Uuid, nullable=True),
    Column("reason_code", String(60), nullable=True),
)

cases = Table(
    "audit_cases",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("fund_period", String(20), nullable=False),
    Column("office", String(60), nullable=False),
    Column("requester_type", String(40), nullable=False),
    Column("departure_country", String(2), nullable=False),
    Column("destination_country", String(2), nullable=False),
    Column("registered_on", Date, nullable=False),
    Column("registered_at", UtcDateTime(), nullable=False),
    Column("people_count", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("status_at", UtcDateTime(), nullable=False),
)

case_categories = Table(
    "audit_case_categories",
    metadata,
    Column("case_id", Uuid, nullable=False),
    Column("category", String(40), nullable=False),
    PrimaryKeyConstraint("case_id", "category"),
)

# Each stay of a case in a stage: entered by one event, left by the next transition.
case_stages = Table(
    "audit_case_stages",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("case_id", Uuid, nullable=False, index=True),
    Column("stage", String(20), nullable=False),
    Column("office", String(60), nullable=False),
    Column("entered_at", UtcDateTime(), nullable=False),
    Column("left_at", UtcDateTime(), nullable=True),
)

commitments = Table(
    "audit_commitments",
    metadata,
    Column("commitment_id", Uuid, primary_key=True),
    Column("period", String(20), nullable=False, index=True),
    Column("case_id", Uuid, nullable=False, index=True),
    Column("person_ref", String(40), nullable=False, index=True),
    _money("requested_cents"),
    _money("amount_cents"),
    Column("partial", Boolean, nullable=False),
    Column("approved_at", UtcDateTime(), nullable=False),
)

commitment_lines = Table(
    "audit_commitment_lines",
    metadata,
    Column("commitment_id", Uuid, nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("category", String(40), nullable=False),
    _money("amount_cents"),
    PrimaryKeyConstraint("commitment_id", "line_no"),
)

releases = Table(
    "audit_releases",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("commitment_id", Uuid, nullable=False, index=True),
    Column("period", String(20), nullable=False),
    Column("case_id", Uuid, nullable=False),
    Column("person_ref", String(40), nullable=False),
    _money("released_cents"),
    Column("reason_code", String(60), nullable=False),
    Column("released_at", UtcDateTime(), nullable=False),
)

disbursements = Table(
    "audit_disbursements",
    metadata,
    Column("disbursement_id", Uuid, primary_key=True),
    Column("commitment_id", Uuid, nullable=False),
    Column("period", String(20), nullable=False, index=True),
    Column("case_id", Uuid, nullable=False, index=True),
    Column("person_ref", String(40), nullable=False, index=True),
    Column("category", String(40), nullable=False),
    _money("amount_cents"),  # a reversal's row (id = the reversal's) is negative
    Column("paid_on", Date, nullable=False),  # a reversal's row: the day of the reversal
    # Since audit_0004, on a reversal's row: the payment it reverses and why.
    Column("reversal_of", Uuid, nullable=True),
    Column("reason_code", String(60), nullable=True),
)

# A reversed payment's attributions are rows of the reversal's id, negative: the parts of a
# fund add up to its net disbursements.
attributions = Table(
    "audit_attributions",
    metadata,
    Column("disbursement_id", Uuid, nullable=False),
    Column("member", String(2), nullable=False),
    _money("amount_cents"),
    PrimaryKeyConstraint("disbursement_id", "member"),
)
