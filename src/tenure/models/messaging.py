"""Messaging: versioned templates, the outbox, the suppression list and hand-offs.

Every message any part of Tenure sends (a CSM, an announcement, an incident notice, a value
report, a survey, the agent) is one row of `messages`, whatever its audience; the row keeps
what was sent, to whom, why and what the SMTP server answered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenure.kit.dates import utc_now
from tenure.models.accounts import Account, Contact
from tenure.models.base import Base
from tenure.models.users import User


class MessageTemplate(Base):
    """One version of a message template. Loading under an existing name adds a version;
    a message names the version it was drafted from, so versions are never changed."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int]
    # client (carries an unsubscribe link) or internal (to colleagues).
    audience: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    # Extra variables the caller must pass (beyond account, contact, csm, ...).
    variables: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(Text)
    source_file: Mapped[str | None] = mapped_column(String(500))
    loaded_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class Message(Base):
    """One email in the outbox (see tenure.messaging for its states)."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The RFC 5322 Message-ID, fixed when drafted: the same message keeps it on every attempt.
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    audience: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    to_email: Mapped[str] = mapped_column(String(320), index=True)
    to_name: Mapped[str | None] = mapped_column(String(200))
    template_name: Mapped[str | None] = mapped_column(String(100))
    template_version: Mapped[int | None]
    # Who asked for it: csm, announcement, incident, report, survey, agent, handoff, ...
    source: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    # Groups the messages of one announcement or incident; the audience frozen when drafted.
    batch: Mapped[str | None] = mapped_column(String(200), index=True)
    # Set by a caller that must never draft the same message twice (the agent, surveys).
    idempotency_key: Mapped[str | None] = mapped_column(String(250), unique=True)
    variables: Mapped[dict[str, Any]] = mapped_column(default=dict)
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    # Inline images of the HTML part: content id -> base64 PNG.
    images: Mapped[dict[str, Any]] = mapped_column(default=dict)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author: Mapped[str | None] = mapped_column(String(320))
    approved_by: Mapped[str | None] = mapped_column(String(320))
    approved_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    # How far the current attempt got: connect, envelope, data (the text left: never again).
    phase: Mapped[str | None] = mapped_column(String(16))
    claimed_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    last_answer: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    account: Mapped[Account | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    author_user: Mapped[User | None] = relationship()


class Suppression(Base):
    """An address Tenure never sends to: unsubscribed, hard_bounce or manual."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class Handoff(Base):
    """A problem, an opportunity or a request carried to support, sales or product."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    lane: Mapped[str] = mapped_column(String(16))  # support | sales | product
    summary: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    author: Mapped[str | None] = mapped_column(String(320))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    webhook_url: Mapped[str | None] = mapped_column(String(1000))
    # pending | delivered | failed; null without a webhook.
    webhook_status: Mapped[str | None] = mapped_column(String(16))
    webhook_attempts: Mapped[int] = mapped_column(default=0)
    webhook_answer: Mapped[str | None] = mapped_column(Text)
    webhook_next_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    account: Mapped[Account] = relationship()
    message: Mapped[Message | None] = relationship()
