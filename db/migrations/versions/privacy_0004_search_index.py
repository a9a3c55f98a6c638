"""privacy: the blind index (keyed HMAC digests of names and document numbers, no plaintext)

People registered before this revision are not in the index until ``retorno search reindex``
runs (a migration cannot decrypt: the keys are not available at migrate time).

Revision ID: privacy_0004
Revises: privacy_0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "privacy_0004"
down_revision = "privacy_0003"
branch_labels = None
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "privacy_search_index",
        sa.Column("id", AutoId, autoincrement=True, nullable=False),
        sa.Column("person_ref", sa.String(40), nullable=False),
        sa.Column("record_office", sa.String(60), nullable=True),
        sa.Column("field", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_privacy_search_index"),
    )
    op.create_index("ix_privacy_search_index_digest", "privacy_search_index", ["digest"])
    op.create_index("ix_privacy_search_index_person_ref", "privacy_search_index", ["person_ref"])


def downgrade() -> None:
    op.drop_index("ix_privacy_search_index_person_ref", "privacy_search_index")
    op.drop_index("ix_privacy_search_index_digest", "privacy_search_index")
    op.drop_table("privacy_search_index")
