"""The account aggregate: the client, its contracts and its contacts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Enum, ForeignKey, Numeric, String, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenure.kit.dates import utc_now
from tenure.models.base import Base
from tenure.models.enums import ContractStatus, Seniority, Tier
from tenure.models.users import User


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    tier: Mapped[Tier] = mapped_column(Enum(Tier, native_enum=False, length=16))
    segment: Mapped[str | None] = mapped_column(String(100))
    industry: Mapped[str | None] = mapped_column(String(100))
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    customer_since: Mapped[date | None]
    lifecycle_stage: Mapped[str | None] = mapped_column(String(50))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    owner: Mapped[User | None] = relationship()
    contracts: Mapped[list[Contract]] = relationship(
        back_populates="account", order_by="Contract.start_date"
    )
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="account", order_by="Contact.name"
    )


class Contract(Base):
    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    start_date: Mapped[date]
    end_date: Mapped[date]
    arr: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    currency: Mapped[str] = mapped_column(String(3))
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    units: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[ContractStatus] = mapped_column(
        Enum(ContractStatus, native_enum=False, length=16)
    )

    account: Mapped[Account] = relationship(back_populates="contracts")

    def is_active_on(self, day: date) -> bool:
        # Active when start_date <= D < end_date (end exclusive), whatever the status says.
        return self.start_date <= day < self.end_date

    @classmethod
    def active_on(cls, day: date | ColumnElement[date]) -> ColumnElement[bool]:
        """`is_active_on` in SQL: `select(Contract).where(Contract.active_on(day))`. Every
        query that needs "active on D" uses this one expression."""
        return and_(cls.start_date <= day, cls.end_date > day)


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    title: Mapped[str | None] = mapped_column(String(200))
    seniority: Mapped[Seniority | None] = mapped_column(
        Enum(Seniority, native_enum=False, length=16)
    )
    is_sponsor: Mapped[bool] = mapped_column(default=False)
    # The contact's id in the product's own events (Segment userId).
    user_id: Mapped[str | None] = mapped_column(String(200), index=True)

    account: Mapped[Account] = relationship(back_populates="contacts")
