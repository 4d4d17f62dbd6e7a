"""What the outbox reads and accepts through the CLI and the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tenure.models import Message, Suppression


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    message_id: str
    status: str
    audience: str
    account_external_id: str | None
    contact_external_id: str | None
    to_email: str
    to_name: str | None
    template: str | None
    template_version: int | None
    source: str
    reason: str
    batch: str | None
    subject: str
    author: str | None
    approved_by: str | None
    attempts: int
    last_answer: str | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    created_at: datetime


class MessageText(MessageRead):
    text: str
    html: str
    variables: dict[str, Any]


class MessageDraft(BaseModel):
    """A draft for one account's contact (or every contact of the account)."""

    template: str = Field(min_length=1, max_length=100)
    account_external_id: str = Field(min_length=1)
    contact_email: str | None = None
    variables: dict[str, Any] = Field(default_factory=dict)
    reason: str = Field(default="written by its CSM", min_length=1, max_length=2000)


class MessageUpdate(BaseModel):
    subject: str | None = Field(default=None, max_length=998)
    text: str | None = Field(default=None, max_length=200_000)
    html: str | None = Field(default=None, max_length=500_000)


class SuppressionCreate(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    reason: str = "manual"
    note: str | None = None


class SuppressionRead(BaseModel):
    email: str
    reason: str
    note: str | None
    created_by: str | None
    created_at: datetime


def message_read(message: Message) -> MessageRead:
    return MessageRead(**_fields(message))


def message_text(message: Message) -> MessageText:
    return MessageText(
        **_fields(message), text=message.text, html=message.html, variables=message.variables
    )


def _fields(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "message_id": message.message_id,
        "status": message.status,
        "audience": message.audience,
        "account_external_id": message.account.external_id if message.account else None,
        "contact_external_id": message.contact.external_id if message.contact else None,
        "to_email": message.to_email,
        "to_name": message.to_name,
        "template": message.template_name,
        "template_version": message.template_version,
        "source": message.source,
        "reason": message.reason,
        "batch": message.batch,
        "subject": message.subject,
        "author": message.author,
        "approved_by": message.approved_by,
        "attempts": message.attempts,
        "last_answer": message.last_answer,
        "next_attempt_at": message.next_attempt_at,
        "sent_at": message.sent_at,
        "created_at": message.created_at,
    }


def suppression_read(row: Suppression) -> SuppressionRead:
    return SuppressionRead(
        email=row.email,
        reason=row.reason,
        note=row.note,
        created_by=row.created_by,
        created_at=row.created_at,
    )
