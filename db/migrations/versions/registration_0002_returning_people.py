"""registration: returning people, one row per person per case

A person registered again in a later case keeps their person_ref: ``registration_people``
is keyed by (case_id, person_ref), and ``registration_personal_data`` (per person, shared by
all their cases) no longer references it.

Revision ID: registration_0002
Revises: registration_0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "registration_0002"
down_revision = "registration_0001"
branch_labels = None
depends_on = None

PEOPLE = "registration_people"
DATA = "registration_personal_data"
DATA_FK = "fk_registration_personal_data_person_ref_registration_people"


def upgrade() -> None:
    with op.batch_alter_table(DATA) as batch:
        batch.drop_constraint(DATA_FK, type_="foreignkey")
    with op.batch_alter_table(PEOPLE) as batch:
        batch.drop_constraint("pk_registration_people", type_="primary")
        batch.create_primary_key("pk_registration_people", ["case_id", "person_ref"])
    op.create_index("ix_registration_people_person_ref", PEOPLE, ["person_ref"])


def downgrade() -> None:
    repeated = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT person_ref FROM registration_people GROUP BY person_ref "
                "HAVING COUNT(*) > 1 ORDER BY person_ref"
            )
        )
        .scalars()
        .all()
    )
    if repeated:
        shown = ", ".join(repeated[:5]) + (" ..." if len(repeated) > 5 else "")
        raise RuntimeError(
            f"cannot downgrade registration below registration_0002: {len(repeated)} person(s) "
            f"are in more than one case ({shown}); registration_0001 allows one case per person"
        )
    op.drop_index("ix_registration_people_person_ref", table_name=PEOPLE)
    with op.batch_alter_table(PEOPLE) as batch:
        batch.drop_constraint("pk_registration_people", type_="primary")
        batch.create_primary_key("pk_registration_people", ["person_ref"])
    with op.batch_alter_table(DATA) as batch:
        batch.create_foreign_key(DATA_FK, PEOPLE, ["person_ref"], ["person_ref"])
