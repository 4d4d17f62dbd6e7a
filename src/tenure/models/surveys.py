"""Survey campaigns Tenure sends itself and their recipients (one signed link each)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenure.kit.dates import utc_now
from tenure.models.accounts import Account, Contact
from tenure.models.activity import SurveyResponse
from tenure.models.base import Base
from tenure.models.enums import SurveyKind


class SurveyCampaign(Base):
    """An NPS, CSAT or CES survey for the contacts chosen by `audience` (account filters and
    contact role). Status: draft -> sent -> closed."""

    __tablename__ = "survey_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[SurveyKind] = mapped_column(Enum(SurveyKind, native_enum=False, length=8))
    question: Mapped[str] = mapped_column(Text)
    follow_up: Mapped[str | None] = mapped_column(Text)
    audience: Mapped[dict[str, Any]]
    expires_days: Mapped[int]
    reminder_days: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(8), default="draft")
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    sent_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    recipients: Mapped[list[SurveyRecipient]] = relationship(
        back_populates="campaign", order_by="SurveyRecipient.id"
    )


class SurveyRecipient(Base):
    """One contact invited in one wave of a campaign. The link's token is signed over
    (recipient, wave, expiry); `nonce` is what makes a token single-use: answering through
    the link consumes it. The invitation itself is a SurveyResponse row, the store that
    health scoring and KPIs read, created when the email is handed over for delivery and
    removed if it bounces (response rate = answered over delivered)."""

    __tablename__ = "survey_recipients"
    __table_args__ = (UniqueConstraint("campaign_id", "contact_id", "wave"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("survey_campaigns.id", ondelete="CASCADE"), index=True
    )
    # None once the person is erased: the invitation stays, so response rates stay.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    wave: Mapped[int] = mapped_column(default=1)
    nonce: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default="pending")
    message_id: Mapped[int | None]  # the outbox message that carried the invitation
    reminder_message_id: Mapped[int | None]
    sent_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    token_used_at: Mapped[datetime | None]
    response_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="SET NULL")
    )
    follow_up_answer: Mapped[str | None] = mapped_column(Text)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))

    campaign: Mapped[SurveyCampaign] = relationship(back_populates="recipients")
    contact: Mapped[Contact | None] = relationship()
    account: Mapped[Account] = relationship()
    response: Mapped[SurveyResponse | None] = relationship()
