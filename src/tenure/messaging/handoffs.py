"""Hand-offs to colleagues in their lane: a support problem to support, a qualified
expansion to sales, a feature request to product, each with its evidence, sent as an
internal email and/or a signed webhook, and shown on the account's timeline.

A webhook is a POST of the hand-off as JSON with `X-Tenure-Signature: sha256=HEX`, the
HMAC-SHA256 of the exact body under `webhook_secret` (default the secret key), and
`X-Tenure-Delivery: ID`, the same on every retry so the receiver can ignore a repeat.
A non-2xx answer or no answer is retried with the outbox's back-off, up to
mail_max_attempts; the last answer is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tenure.config import Settings
from tenure.db import Database
from tenure.kit.dates import utc_now
from tenure.kit.errors import TenureError
from tenure.messaging import service
from tenure.models import Account, Handoff, TimelineEntry, TimelineKind, User
from tenure.models.messaging import Message

LANES = {
    "support": "A support problem",
    "sales": "A qualified expansion",
    "product": "A feature request",
}


def _targets(settings: Settings, lane: str) -> tuple[str | None, str | None]:
    email = {
        "support": settings.mail_support_to,
        "sales": settings.mail_sales_to,
        "product": settings.mail_product_to,
    }[lane]
    url = {
        "support": settings.webhook_support_url,
        "sales": settings.webhook_sales_url,
        "product": settings.webhook_product_url,
    }[lane]
    return email, url


def hand_off(
    session: Session,
    settings: Settings,
    *,
    account: Account,
    lane: str,
    summary: str,
    evidence: list[str],
    author: User | None,
) -> Handoff:
    """Record a hand-off, draft its email (approved: it goes to colleagues) and queue its
    webhook. Never commits."""
    if lane not in LANES:
        raise TenureError(f"lane {lane!r}: use {', '.join(LANES)}")
    if not summary.strip():
        raise TenureError("summary: say what is handed off")
    email, url = _targets(settings, lane)
    if email is None and url is None:
        upper = lane.upper()
        raise TenureError(
            f"nowhere to hand {lane} work to: set TENURE_MAIL_{upper}_TO and/or "
            f"TENURE_WEBHOOK_{upper}_URL"
        )
    row = Handoff(
        account_id=account.id,
        lane=lane,
        summary=" ".join(summary.split()),
        evidence=[e.strip() for e in evidence if e.strip()],
        author=author.email if author else None,
        webhook_url=url,
        webhook_status="pending" if url else None,
    )
    session.add(row)
    session.flush()
    if email is not None:
        message = service.draft_message(
            session,
            settings,
            account=account,
            to_email=email,
            template="handoff",
            variables={
                "handoff": {
                    "lane_title": LANES[lane],
                    "summary": row.summary,
                    "evidence": row.evidence,
                }
            },
            author=author,
            reason=f"hand-off to {lane}: {row.summary}",
            source="handoff",
            idempotency_key=f"handoff:{row.id}",
        )
        service.approve(session, settings, message, author)
        row.message_id = message.id
    where = " and ".join(x for x in (email, url and "webhook") if x)
    session.add(
        TimelineEntry(
            account_id=account.id,
            kind=TimelineKind.system,
            author=row.author,
            at=row.created_at or utc_now(),
            text=f"Handed to {lane} ({where}): {row.summary}",
            message_id=row.message_id,
        )
    )
    session.flush()
    return row


def body_of(handoff: Handoff, account: Account, settings: Settings) -> bytes:
    """The webhook body: fixed at the first attempt by the hand-off's own fields."""
    data = {
        "id": handoff.id,
        "lane": handoff.lane,
        "summary": handoff.summary,
        "evidence": handoff.evidence,
        "author": handoff.author,
        "created_at": handoff.created_at.isoformat(),
        "account": {
            "external_id": account.external_id,
            "name": account.name,
            "tier": account.tier.value,
            "url": f"{settings.public_url.rstrip('/')}/accounts/{account.external_id}",
        },
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class WebhookReport:
    delivered: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"webhooks: {len(self.delivered)} delivered, {len(self.retrying)} to retry, "
            f"{len(self.failed)} failed"
        )


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (configured URL)
            return int(answer.status), answer.read(2000).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return int(error.code), error.read(2000).decode(errors="replace")


def deliver_webhooks(
    database: Database, settings: Settings, now: datetime | None = None
) -> WebhookReport:
    """Post every pending hand-off webhook that is due; one unit of work per delivery."""
    report = WebhookReport()
    secret = settings.webhook_secret or settings.resolved_secret_key()
    moment = now or utc_now()
    with database.unit_of_work() as session:
        due = session.scalars(
            select(Handoff.id)
            .where(
                Handoff.webhook_status == "pending",
                or_(Handoff.webhook_next_at.is_(None), Handoff.webhook_next_at <= moment),
            )
            .order_by(Handoff.id)
        ).all()
    for handoff_id in due:
        with database.unit_of_work() as session:
            row = session.get_one(Handoff, handoff_id)
            body = body_of(row, row.account, settings)
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "Tenure",
                "X-Tenure-Signature": signature(secret, body),
                "X-Tenure-Delivery": str(row.id),
            }
            assert row.webhook_url is not None  # pending means it has one
            try:
                code, text = _post(row.webhook_url, body, headers, settings.smtp_timeout_seconds)
                answer = f"{code} {text}".strip()
            except (OSError, ValueError) as error:
                code, answer = 0, f"{type(error).__name__}: {error}"
            row.webhook_attempts += 1
            row.webhook_answer = answer[:2000]
            if 200 <= code < 300:
                row.webhook_status = "delivered"
                row.webhook_next_at = None
                report.delivered.append(row.id)
            elif row.webhook_attempts >= settings.mail_max_attempts:
                row.webhook_status = "failed"
                report.failed.append(row.id)
            else:
                row.webhook_next_at = service.retry_at(settings, row.webhook_attempts, utc_now())
                report.retrying.append(row.id)
    return report


def list_handoffs(session: Session, account: Account | None = None) -> list[Handoff]:
    query = select(Handoff).order_by(Handoff.id.desc()).limit(500)
    if account is not None:
        query = query.where(Handoff.account_id == account.id)
    return list(session.scalars(query))


def handoff_record(row: Handoff) -> dict[str, object]:
    message: Message | None = row.message
    return {
        "id": row.id,
        "account_external_id": row.account.external_id,
        "lane": row.lane,
        "summary": row.summary,
        "evidence": row.evidence,
        "author": row.author,
        "message_id": row.message_id,
        "message_status": message.status if message else None,
        "webhook_status": row.webhook_status,
        "webhook_attempts": row.webhook_attempts,
        "webhook_answer": row.webhook_answer,
        "created_at": row.created_at,
    }
