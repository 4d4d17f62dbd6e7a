"""agent: mandates, daily runs, account states, actions, account briefs and brief items

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenure.models.base import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _account(table: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"],
        ["accounts.id"],
        name=op.f(f"fk_{table}_account_id_accounts"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "agent_mandates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_file", sa.String(length=500), nullable=True),
        sa.Column("loaded_by", sa.String(length=320), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_mandates")),
        sa.UniqueConstraint("version", name=op.f("uq_agent_mandates_version")),
    )
    op.create_table(
        "agent_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(length=320), nullable=False),
        sa.Column("mandate_version", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_runs")),
        sa.UniqueConstraint("day", "scope", name=op.f("uq_agent_runs_day")),
    )
    with op.batch_alter_table("agent_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_runs_day"), ["day"], unique=False)
    op.create_table(
        "agent_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        _account("agent_states"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_states")),
        sa.UniqueConstraint("account_id", "day", name=op.f("uq_agent_states_account_id")),
    )
    op.create_table(
        "agent_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("account_external_id", sa.String(length=200), nullable=False),
        sa.Column("csm_email", sa.String(length=320), nullable=True),
        sa.Column("trigger", sa.String(length=64), nullable=False),
        sa.Column("play", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("rule", sa.String(length=300), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("message_ref", sa.String(length=100), nullable=True),
        sa.Column("approver", sa.String(length=320), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("llm", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _account("agent_actions"),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_agent_actions_task_id_tasks"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_actions")),
        sa.UniqueConstraint("key", name=op.f("uq_agent_actions_key")),
    )
    with op.batch_alter_table("agent_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agent_actions_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index("ix_agent_actions_day_csm", ["day", "csm_email"], unique=False)
    op.create_table(
        "brief_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("author", sa.String(length=320), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _account("brief_items"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brief_items")),
    )
    with op.batch_alter_table("brief_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_brief_items_account_id"), ["account_id"], unique=False)
    op.create_table(
        "account_briefs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        _account("account_briefs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_briefs")),
        sa.UniqueConstraint("account_id", name=op.f("uq_account_briefs_account_id")),
    )


def downgrade() -> None:
    op.drop_table("account_briefs")
    op.drop_table("brief_items")
    op.drop_table("agent_actions")
    op.drop_table("agent_states")
    op.drop_table("agent_runs")
    op.drop_table("agent_mandates")
