"""Health: versioned scorecards, and each account's latest score for fast pages.

The history of scores (one snapshot per account per day) is a time series and lives in the
warehouse (tenure.health.snapshots), never here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenure.kit.dates import utc_now
from tenure.models.accounts import Account
from tenure.models.base import Base


class Scorecard(Base):
    """One version of a scorecard. Loading under an existing name adds a version; snapshots
    name the version that scored them, so old versions are never changed or deleted."""

    __tablename__ = "scorecards"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int]
    # The checked definition (tenure.health.scorecards.Scorecard.to_dict()).
    definition: Mapped[dict[str, Any]]
    source: Mapped[str] = mapped_column(Text)
    source_file: Mapped[str | None] = mapped_column(String(500))
    loaded_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class AccountHealth(Base):
    """An account's most recent health snapshot, kept for pages that list many accounts."""

    __tablename__ = "account_health"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    date: Mapped[date]
    scorecard_id: Mapped[int | None] = mapped_column(
        ForeignKey("scorecards.id", ondelete="SET NULL"), index=True
    )
    health: Mapped[int | None]
    health_exact: Mapped[float | None]
    band: Mapped[str | None] = mapped_column(String(8))
    trend: Mapped[str | None] = mapped_column(String(8))
    # Component key -> integer score or null (no data).
    components: Mapped[dict[str, Any]]
    computed_at: Mapped[datetime] = mapped_column(default=utc_now)

    account: Mapped[Account] = relationship()
    scorecard: Mapped[Scorecard | None] = relationship()
