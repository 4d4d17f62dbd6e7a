"""surveys and goals: survey campaigns and recipients, success goals, QBR snapshots

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenure.models.base import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = sa.Enum("nps", "csat", "ces", name="surveykind", native_enum=False, length=8)


def _account_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"],
        ["accounts.id"],
        name=op.f(f"fk_{table}_account_id_accounts"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "survey_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", KINDS, nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=True),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("expires_days", sa.Integer(), nullable=False),
        sa.Column("reminder_days", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_campaigns")),
        sa.UniqueConstraint("name", name=op.f("uq_survey_campaigns_name")),
    )
    op.create_table(
        "survey_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("reminder_message_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("reminded_at", UTCDateTime(), nullable=True),
        sa.Column("token_used_at", UTCDateTime(), nullable=True),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("follow_up_answer", sa.Text(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["survey_campaigns.id"],
            name=op.f("fk_survey_recipients_campaign_id_survey_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_survey_recipients_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        _account_fk("survey_recipients"),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_responses.id"],
            name=op.f("fk_survey_recipients_response_id_survey_responses"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_survey_recipients_task_id_tasks"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_recipients")),
        sa.UniqueConstraint(
            "campaign_id", "contact_id", "wave", name=op.f("uq_survey_recipients_campaign_id")
        ),
    )
    op.create_index(op.f("ix_survey_recipients_campaign_id"), "survey_recipients", ["campaign_id"])
    op.create_index(op.f("ix_survey_recipients_account_id"), "survey_recipients", ["account_id"])

    op.create_table(
        "goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("measure", sa.String(length=300), nullable=False),
        sa.Column("metric", sa.String(length=200), nullable=True),
        sa.Column("baseline", sa.Float(), nullable=True),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=50), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _account_fk("goals"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goals")),
    )
    op.create_index(op.f("ix_goals_account_id"), "goals", ["account_id"])
    for table in ("goal_milestones", "goal_progress"):
        columns = (
            [
                sa.Column("position", sa.Integer(), nullable=False),
                sa.Column("title", sa.String(length=300), nullable=False),
                sa.Column("due_date", sa.Date(), nullable=True),
                sa.Column("reached_on", sa.Date(), nullable=True),
            ]
            if table == "goal_milestones"
            else [
                sa.Column("on", sa.Date(), nullable=False),
                sa.Column("value", sa.Float(), nullable=False),
                sa.Column("note", sa.Text(), nullable=True),
                sa.Column("recorded_by", sa.String(length=320), nullable=True),
            ]
        )
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("goal_id", sa.Integer(), nullable=False),
            *columns,
            sa.ForeignKeyConstraint(
                ["goal_id"],
                ["goals.id"],
                name=op.f(f"fk_{table}_goal_id_goals"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint(
                "goal_id",
                "position" if table == "goal_milestones" else "on",
                name=op.f(f"uq_{table}_goal_id"),
            ),
        )
        op.create_index(op.f(f"ix_{table}_goal_id"), table, ["goal_id"])

    op.create_table(
        "qbr_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("quarter_start", sa.Date(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _account_fk("qbr_snapshots"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qbr_snapshots")),
    )
    op.create_index(op.f("ix_qbr_snapshots_account_id"), "qbr_snapshots", ["account_id"])


def downgrade() -> None:
    for table in (
        "qbr_snapshots",
        "goal_progress",
        "goal_milestones",
        "goals",
        "survey_recipients",
        "survey_campaigns",
    ):
        op.drop_table(table)
