"""survey_recipients.contact_id nullable, SET NULL: an erased person's invitation stays

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = "fk_survey_recipients_contact_id_contacts"


def _contact_fk(nullable: bool, ondelete: str) -> None:
    with op.batch_alter_table("survey_recipients", schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")
        batch_op.alter_column("contact_id", existing_type=sa.Integer(), nullable=nullable)
        batch_op.create_foreign_key(FK, "contacts", ["contact_id"], ["id"], ondelete=ondelete)


def upgrade() -> None:
    # The invitation of an erased person stays (without them) so response rates stay.
    _contact_fk(True, "SET NULL")


def downgrade() -> None:
    op.execute("DELETE FROM survey_recipients WHERE contact_id IS NULL")
    _contact_fk(False, "CASCADE")
