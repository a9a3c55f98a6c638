"""api: people sign in to the web UI: password hashes, lock-out, server-side sessions

Revision ID: api_0003
Revises: api_0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "api_0003"
down_revision = "api_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_users") as batch:
        batch.add_column(sa.Column("password_hash", sa.String(255), nullable=True))
        batch.add_column(
            sa.Column(
                "password_must_change", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(
            sa.Column("failed_sign_ins", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))
    op.create_table(
        "api_sessions",
        sa.Column("id", sa.String(64), nullable=False),  # SHA-256 of the session token
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("csrf_secret", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_sessions"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["api_users.id"], name="fk_api_sessions_user_id_api_users"
        ),
    )
    op.create_index("ix_api_sessions_user_id", "api_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_api_sessions_user_id", table_name="api_sessions")
    op.drop_table("api_sessions")
    with op.batch_alter_table("api_users") as batch:
        for column in (
            "language",
            "locked_until",
            "failed_sign_ins",
            "password_must_change",
            "password_hash",
        ):
            batch.drop_column(column)
