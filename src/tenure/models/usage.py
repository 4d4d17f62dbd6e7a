"""Write keys: what a product's own services authenticate with when they send usage events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from tenure.kit.dates import utc_now
from tenure.models.base import Base


class WriteKey(Base):
    """A Segment-style write key. Only its SHA-256 is kept: keys are long random strings, so a
    fast hash is safe and lets the intake check every request with one look-up."""

    __tablename__ = "write_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    revoked_at: Mapped[datetime | None]
