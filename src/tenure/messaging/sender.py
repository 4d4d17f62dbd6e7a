"""Sending the approved messages over SMTP, each exactly once.

The sender owns its units of work (one per step) so that what it did survives a crash:

1. claim: `approved -> sending` by a conditional update (two senders never take the same
   message), attempts + 1, phase `connect`; committed before any connection is made;
2. the SMTP conversation (EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA); when the server has said
   354 the phase becomes `data` and is committed *before* the text is transmitted;
3. the server's answer: 250 -> `sent` (and the timeline); 5xx to RCPT -> `bounced` and a hard
   bounce on the suppression list; other 5xx -> `failed`; 4xx or a lost connection before the
   text left -> back to `approved` with a back-off, `failed` after mail_max_attempts.

A sender killed mid-send leaves its message in `sending`; the next sender, once the claim is
older than mail_sending_lease_seconds, recovers it: a message whose phase never reached
`data` is sent again (the server cannot have it: the text never left), one that reached
`data` is never sent again and is recorded as sent, unconfirmed. So a message reaches the
server at most once, and exactly once unless the sender dies in the instant between the
commit of `data` and the end of the text.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from tenure.config import Settings
from tenure.db import Database
from tenure.kit.dates import utc_now
from tenure.messaging import service
from tenure.messaging.mime import Envelope, build
from tenure.messaging.tokens import unsubscribe_url
from tenure.models import Message, User


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    bounced: list[int] = field(default_factory=list)
    suppressed: list[int] = field(default_factory=list)
    recovered: list[int] = field(default_factory=list)
    # Set when the daily limit stopped the run: how many approved messages still wait.
    limit_reached: int | None = None

    def summary(self) -> str:
        parts = [
            f"{len(self.sent)} sent",
            f"{len(self.retrying)} to retry",
            f"{len(self.failed)} failed",
            f"{len(self.bounced)} bounced",
            f"{len(self.suppressed)} suppressed",
        ]
        if self.recovered:
            parts.append(f"{len(self.recovered)} recovered from a stopped sender")
        return ", ".join(parts)


class _Outcome(Exception):
    """How one attempt ended, when not with a 250."""

    def __init__(self, kind: str, answer: str):
        super().__init__(answer)
        self.kind = kind  # retry | failed | bounced | unconfirmed
        self.answer = answer


def envelope_of(settings: Settings, message: Message, author: User | None) -> Envelope:
    reply_to = author.email if author else settings.mail_reply_to
    return Envelope(
        message_id=message.message_id,
        from_address=settings.mail_from,
        to_email=message.to_email,
        to_name=message.to_name,
        reply_to=reply_to,
        subject=message.subject,
        text=message.text,
        html=message.html,
        date=message.approved_at or utc_now(),
        unsubscribe_url=unsubscribe_url(settings, message.to_email, message.message_id)
        if message.audience == "client"
        else None,
        images=dict(message.images or {}),
    )


def email_bytes(settings: Settings, message: Message, author: User | None) -> bytes:
    return build(envelope_of(settings, message, author)).as_bytes()


def recover(session: Session, settings: Settings, now: datetime) -> list[int]:
    """Messages left in `sending` by a sender that stopped (claim older than the lease)."""
    stale = now - timedelta(seconds=settings.mail_sending_lease_seconds)
    recovered: list[int] = []
    rows = session.scalars(
        select(Message).where(Message.status == service.SENDING, Message.claimed_at < stale)
    )
    for message in rows:
        recovered.append(message.id)
        if message.phase == "data":
            service.record_sent(
                session,
                message,
                message.claimed_at or now,
                "unconfirmed: the sender stopped after transmitting the text; not sent again "
                f"(Message-ID {message.message_id})",
            )
        else:
            message.last_answer = (
                f"the sender stopped at {message.phase or 'connect'} before the text left; "
                "sent again"
            )
            message.status = service.APPROVED
            message.phase = None
            message.next_attempt_at = None
    session.flush()
    return recovered


def _claim(session: Session, now: datetime) -> int | None:
    due = session.scalars(
        select(Message.id)
        .where(
            Message.status == service.APPROVED,
            or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
        )
        .order_by(Message.id)
        .limit(5)
    ).all()
    for message_id in due:
        claimed = session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status == service.APPROVED)
            .values(
                status=service.SENDING,
                claimed_at=now,
                phase="connect",
                attempts=Message.attempts + 1,
            )
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            return message_id
    return None


def _waiting(session: Session) -> int:
    from sqlalchemy import func

    count = session.scalar(
        select(func.count()).select_from(Message).where(Message.status == service.APPROVED)
    )
    return int(count or 0)


def send_approved(
    database: Database,
    settings: Settings,
    *,
    limit: int | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> SendReport:
    """Send every approved message that is due (at most `limit`), within the daily limit."""
    report = SendReport()
    with database.unit_of_work() as session:
        report.recovered = recover(session, settings, clock())
    while limit is None or len(report.sent) + len(report.failed) + len(report.bounced) < limit:
        with database.unit_of_work() as session:
            now = clock()
            if service.sent_today(session, now) >= settings.mail_daily_limit:
                waiting = _waiting(session)
                if waiting:
                    report.limit_reached = waiting
                break
            message_id = _claim(session, now)
        if message_id is None:
            break
        _attempt(database, settings, message_id, report, clock)
    return report


def _attempt(
    database: Database,
    settings: Settings,
    message_id: int,
    report: SendReport,
    clock: Callable[[], datetime],
) -> None:
    with database.unit_of_work() as session:
        message = session.get_one(Message, message_id)
        suppressed = (
            service.suppression_of(session, message.to_email)
            if message.audience == "client"
            else None
        )
        if suppressed is not None:
            message.status = service.SUPPRESSED
            message.phase = None
            message.last_answer = (
                f"not sent: {message.to_email} is suppressed ({suppressed.reason})"
            )
            report.suppressed.append(message_id)
            return
        author = message.author_user
        payload = email_bytes(settings, message, author)
        to_email = message.to_email
        attempts = message.attempts

    def mark_data() -> None:
        with database.unit_of_work() as session:
            session.execute(update(Message).where(Message.id == message_id).values(phase="data"))

    try:
        answer = _converse(settings, to_email, payload, mark_data)
    except _Outcome as outcome:
        with database.unit_of_work() as session:
            message = session.get_one(Message, message_id)
            message.phase = None
            message.last_answer = outcome.answer
            now = clock()
            if outcome.kind == "unconfirmed":
                service.record_sent(session, message, now, f"unconfirmed: {outcome.answer}")
                report.sent.append(message_id)
            elif outcome.kind == "bounced":
                service.suppress(session, to_email, "hard_bounce", outcome.answer, "smtp")
                message.status = service.BOUNCED
                report.bounced.append(message_id)
            elif outcome.kind == "retry" and attempts < settings.mail_max_attempts:
                message.status = service.APPROVED
                message.next_attempt_at = service.retry_at(settings, attempts, now)
                report.retrying.append(message_id)
            else:
                message.status = service.FAILED
                report.failed.append(message_id)
        return
    with database.unit_of_work() as session:
        message = session.get_one(Message, message_id)
        service.record_sent(session, message, clock(), answer)
    report.sent.append(message_id)


def _answer(code: int, text: bytes | str) -> str:
    body = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {body}".strip()


def _dot_stuffed(payload: bytes) -> bytes:
    lines = payload.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    body = b"\r\n".join(b"." + line if line.startswith(b".") else line for line in lines)
    return body + b"\r\n.\r\n"


def _connect(settings: Settings) -> smtplib.SMTP:
    timeout = settings.smtp_timeout_seconds
    if settings.smtp_tls == "tls":
        return smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
    smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    if settings.smtp_tls == "starttls":
        smtp.starttls(context=ssl.create_default_context())
    return smtp


def _converse(
    settings: Settings, to_email: str, payload: bytes, mark_data: Callable[[], None]
) -> str:
    """One SMTP conversation for one message; the 250 answer, or an _Outcome."""
    text_left = False
    try:
        smtp = _connect(settings)
    except (OSError, smtplib.SMTPException) as error:
        raise _Outcome(
            "retry", f"cannot reach {settings.smtp_host}:{settings.smtp_port}: {error}"
        ) from None
    try:
        smtp.ehlo_or_helo_if_needed()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        from email.utils import parseaddr

        sender = parseaddr(settings.mail_from)[1]
        code, text = smtp.mail(sender)
        if code != 250:
            raise _Outcome("retry" if code < 500 else "failed", "MAIL: " + _answer(code, text))
        code, text = smtp.rcpt(to_email)
        if code not in (250, 251):
            kind = "bounced" if code >= 500 else "retry"
            raise _Outcome(kind, "RCPT: " + _answer(code, text))
        code, text = smtp.docmd("DATA")
        if code != 354:
            raise _Outcome("retry" if code < 500 else "failed", "DATA: " + _answer(code, text))
        mark_data()
        text_left = True
        smtp.send(_dot_stuffed(payload))
        code, text = smtp.getreply()
        if code != 250:
            # The server refused the text it received: it does not have the message.
            raise _Outcome("retry" if code < 500 else "failed", "DATA: " + _answer(code, text))
        answer = _answer(code, text)
    except smtplib.SMTPAuthenticationError as error:
        raise _Outcome("failed", f"AUTH: {_answer(error.smtp_code, error.smtp_error)}") from None
    except (TimeoutError, OSError, smtplib.SMTPException) as error:
        if text_left:
            raise _Outcome(
                "unconfirmed", f"no answer after the text was transmitted ({error})"
            ) from None
        raise _Outcome("retry", f"{type(error).__name__}: {error}") from None
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return answer
