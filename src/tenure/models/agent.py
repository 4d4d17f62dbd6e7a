"""The agent: its mandates, its daily runs, what it saw, what it did, and the account briefs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenure.kit.dates import utc_now
from tenure.models.accounts import Account
from tenure.models.base import Base
from tenure.models.plans import Task


class AgentMandate(Base):
    """One loaded version of the mandate; the latest is in force. Without any, the agent
    works under the mandate shipped with Tenure (shadow mode: it only proposes)."""

    __tablename__ = "agent_mandates"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    source: Mapped[str] = mapped_column(Text)
    source_file: Mapped[str | None] = mapped_column(String(500))
    loaded_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class AgentRun(Base):
    """One day's run over a scope (a CSM's book, or `*` for every book)."""

    __tablename__ = "agent_runs"
    __table_args__ = (UniqueConstraint("day", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    scope: Mapped[str] = mapped_column(String(320))
    mandate_version: Mapped[int]  # 0: the shipped mandate
    started_at: Mapped[datetime] = mapped_column(default=utc_now)
    finished_at: Mapped[datetime | None]
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AgentState(Base):
    """What the agent saw of an account on a run's day: the next run's changes are
    measured against it."""

    __tablename__ = "agent_states"
    __table_args__ = (UniqueConstraint("account_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    day: Mapped[date]
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AgentAction(Base):
    """One thing the agent did or proposed. `key` is (account, play, window): a rerun or a
    crash never acts twice on it. Status moves forward only through the service, each move
    with its audit entry."""

    __tablename__ = "agent_actions"
    __table_args__ = (Index("ix_agent_actions_day_csm", "day", "csm_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(500), unique=True)
    day: Mapped[date]
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    account_external_id: Mapped[str] = mapped_column(String(200))
    csm_email: Mapped[str | None] = mapped_column(String(320))
    trigger: Mapped[str] = mapped_column(String(64))
    play: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(16))  # auto | approve | forbid | shadow
    status: Mapped[str] = mapped_column(String(24))
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    rule: Mapped[str] = mapped_column(String(300))
    policy_version: Mapped[int]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    message_ref: Mapped[str | None] = mapped_column(String(100))
    approver: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[datetime | None]
    expires_on: Mapped[date | None]
    llm: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    account: Mapped[Account | None] = relationship()
    task: Mapped[Task | None] = relationship()


class BriefItem(Base):
    """A line of an account's brief that a CSM wrote: a goal, a promise made (with its date),
    a stakeholder's stance, or a note."""

    __tablename__ = "brief_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    section: Mapped[str] = mapped_column(String(16))  # goal | promise | stance | note
    text: Mapped[str] = mapped_column(Text)
    due: Mapped[date | None]
    done: Mapped[bool] = mapped_column(default=False)
    author: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class AccountBrief(Base):
    """The brief the latest run wrote for an account: the lines, each with its source."""

    __tablename__ = "account_briefs"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
    as_of: Mapped[date]
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    summary: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)
