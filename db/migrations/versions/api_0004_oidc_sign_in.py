"""api: OpenID Connect sign-ins under way (state, nonce, PKCE verifier; single use)

Revision ID: api_0004
Revises: api_0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "api_0004"
down_revision = "api_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_oidc_flows",
        sa.Column("state_hash", sa.String(64), nullable=False),
        sa.Column("browser_hash", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("next_path", sa.String(2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name="pk_api_oidc_flows"),
    )


def downgrade() -> None:
    op.drop_table("api_oidc_flows")
