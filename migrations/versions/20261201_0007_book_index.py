"""book: a covering index for a CSM's own book

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A CSM's book page filters on the owner, tests the tier (current customers) and breaks
    # ties by name for every one of the CSM's accounts: answered from the index alone, not a
    # table row per account (half the look-ups at 1,000 accounts a CSM).
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index("ix_accounts_owner_book", ["owner_id", "tier", "name"])


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_owner_book")
