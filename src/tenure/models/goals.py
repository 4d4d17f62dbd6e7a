"""Success goals per account (the client's desired outcomes, with milestones and progress)
and the frozen snapshots QBR packs render from."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenure.kit.dates import utc_now
from tenure.models.accounts import Account
from tenure.models.base import Base


class Goal(Base):
    """An outcome the client wants ("save 2 hours a week per sales rep by Q3"): a measure, a
    target by a date, and milestones. Progress is read from `metric` (the account's value in
    the metrics series) when set, else recorded by the CSM."""

    __tablename__ = "goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    measure: Mapped[str] = mapped_column(String(300))
    metric: Mapped[str | None] = mapped_column(String(200))
    baseline: Mapped[float | None]
    target: Mapped[float]
    unit: Mapped[str | None] = mapped_column(String(50))
    due_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|achieved|dropped
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    account: Mapped[Account] = relationship()
    milestones: Mapped[list[GoalMilestone]] = relationship(
        back_populates="goal", order_by="GoalMilestone.position", cascade="all, delete-orphan"
    )
    progress: Mapped[list[GoalProgress]] = relationship(
        back_populates="goal", order_by="GoalProgress.on", cascade="all, delete-orphan"
    )


class GoalMilestone(Base):
    """A step towards a goal; an account's first milestone (of its earliest goal) is its
    first-value milestone, the moment behind time to first value."""

    __tablename__ = "goal_milestones"
    __table_args__ = (UniqueConstraint("goal_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    due_date: Mapped[date | None]
    reached_on: Mapped[date | None]

    goal: Mapped[Goal] = relationship(back_populates="milestones")


class GoalProgress(Base):
    """A value of the goal's measure recorded by a CSM on a day."""

    __tablename__ = "goal_progress"
    __table_args__ = (UniqueConstraint("goal_id", "on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    on: Mapped[date]
    value: Mapped[float]
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str | None] = mapped_column(String(320))

    goal: Mapped[Goal] = relationship(back_populates="progress")


class QbrSnapshot(Base):
    """Every figure of one QBR pack, frozen when it was made: HTML and PDF render from it, so
    both show the same numbers, and the next QBR can be compared with it."""

    __tablename__ = "qbr_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    quarter_start: Mapped[date]
    as_of: Mapped[date]
    figures: Mapped[dict[str, Any]]
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    account: Mapped[Account] = relationship()
