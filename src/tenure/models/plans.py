"""Plans: the tasks a saved quarterly plan becomes, and the loaded playbook libraries."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenure.kit.dates import utc_now
from tenure.models.accounts import Account
from tenure.models.base import Base
from tenure.models.users import User


class Task(Base):
    """One activity of a CSM's saved quarterly plan. Re-planning the quarter replaces the
    open tasks and keeps the done ones; `reference` is stable across plans
    (prefix-client[.step]), so a done activity is never planned twice."""

    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("owner_id", "quarter_start", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quarter_start: Mapped[date]
    reference: Mapped[str] = mapped_column(String(250))
    # The account it is for; null for a new client not in Tenure yet (a placeholder).
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    client: Mapped[str] = mapped_column(String(200))
    onboarding: Mapped[bool] = mapped_column(default=False)
    category: Mapped[str] = mapped_column(String(16))
    activity: Mapped[str] = mapped_column(String(64))
    signals: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(Text)
    results: Mapped[str] = mapped_column(Text)
    measurement: Mapped[str] = mapped_column(Text)
    duration_hours: Mapped[float]
    deadline: Mapped[date]
    start: Mapped[date]
    dependencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    # Why the planner chose it ("renewal on 2027-02-01, health 45, weakest: product; ...").
    why: Mapped[str] = mapped_column(Text, default="", server_default="")
    value: Mapped[float] = mapped_column(default=0.0)
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | done
    done_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    owner: Mapped[User] = relationship()
    account: Mapped[Account | None] = relationship()

    @property
    def is_done(self) -> bool:
        return self.status == "done"


class PlaybookLibrary(Base):
    """One loaded version of the playbook library; the latest version is the one in use.
    Without any, Tenure uses the library it ships with."""

    __tablename__ = "playbook_libraries"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    source: Mapped[str] = mapped_column(Text)
    source_file: Mapped[str | None] = mapped_column(String(500))
    loaded_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
