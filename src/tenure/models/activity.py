"""What happens around an account: support tickets, surveys and the timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenure.models.accounts import Account
from tenure.models.base import Base
from tenure.models.enums import Sentiment, SurveyKind, TicketKind, TimelineKind


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    kind: Mapped[TicketKind] = mapped_column(Enum(TicketKind, native_enum=False, length=16))
    priority: Mapped[str | None] = mapped_column(String(20))
    satisfied: Mapped[bool | None]
    subject: Mapped[str | None] = mapped_column(String(500))

    account: Mapped[Account] = relationship()


class SurveyResponse(Base):
    """One survey invitation; score and responded_at stay empty until it is answered."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    contact_email: Mapped[str | None] = mapped_column(String(320))
    kind: Mapped[SurveyKind] = mapped_column(Enum(SurveyKind, native_enum=False, length=8))
    sent_at: Mapped[datetime]
    score: Mapped[int | None]
    responded_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)

    account: Mapped[Account] = relationship()


class TimelineEntry(Base):
    __tablename__ = "timeline_entries"
    __table_args__ = (Index("ix_timeline_entries_account_at", "account_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[TimelineKind] = mapped_column(Enum(TimelineKind, native_enum=False, length=16))
    author: Mapped[str | None] = mapped_column(String(320))
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)
    # Set on a CSM's own judgement of the account (kind = sentiment), read by health scoring.
    sentiment: Mapped[Sentiment | None] = mapped_column(
        Enum(Sentiment, native_enum=False, length=8)
    )
    # Set on a sent message (kind = message): who it went to and the outbox row with its text.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))

    account: Mapped[Account] = relationship()
