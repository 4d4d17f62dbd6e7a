"""The audit log: every change made through the web app or the API, with who, what, when,
and the record before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tenure.kit.dates import utc_now
from tenure.models.base import Base


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_target_at", "target", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    # Kept when the user is deleted: the email below still says who it was.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str | None] = mapped_column(String(320))
    via: Mapped[str] = mapped_column(String(16))  # web | api
    action: Mapped[str] = mapped_column(String(100))  # e.g. timeline.add, user.role
    target: Mapped[str] = mapped_column(String(500))  # e.g. account:acme, user:ana@x.com
    before: Mapped[Any | None] = mapped_column(JSON)
    after: Mapped[Any | None] = mapped_column(JSON)
