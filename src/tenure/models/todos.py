"""Ad-hoc tasks: what a CSM adds by hand for an account (a title and a due day), apart from
the tasks of a saved quarterly plan, which re-planning replaces."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenure.kit.dates import utc_now
from tenure.models.accounts import Account
from tenure.models.base import Base
from tenure.models.users import User


class Todo(Base):
    __tablename__ = "todos"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    due: Mapped[date]
    done_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    account: Mapped[Account] = relationship()

    @property
    def is_done(self) -> bool:
        return self.done_on is not None
