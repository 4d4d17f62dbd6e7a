"""The outbox: templates stored and versioned, drafting, approval, consent. Never commits.

See `tenure.messaging` for the states and the API other domains use; sending lives in
`tenure.messaging.sender` because it owns its own units of work.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from tenure.accounts.service import contract_facts
from tenure.config import Settings
from tenure.kit.dates import utc_now, utc_today
from tenure.kit.errors import Forbidden, NotFound, TenureError
from tenure.messaging import templates as core
from tenure.messaging.incidents import Incident as Incident
from tenure.messaging.incidents import brief_markdown as brief_markdown
from tenure.messaging.mime import domain_of
from tenure.messaging.tokens import read_report_token as read_report_token
from tenure.messaging.tokens import read_unsubscribe_token as read_unsubscribe_token
from tenure.messaging.tokens import unsubscribe_url
from tenure.models import (
    Account,
    AccountHealth,
    Contact,
    Message,
    MessageTemplate,
    Role,
    Suppression,
    TimelineEntry,
    TimelineKind,
    User,
)
from tenure.warehouse import Warehouse

# States (tenure.messaging docstring has the diagram).
DRAFT = "draft"
PENDING = "pending_approval"
APPROVED = "approved"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
BOUNCED = "bounced"
SUPPRESSED = "suppressed"
CANCELLED = "cancelled"
STATUSES = (DRAFT, PENDING, APPROVED, SENDING, SENT, FAILED, BOUNCED, SUPPRESSED, CANCELLED)
# Who approved a message that Tenure itself approved (no person: `approver=None`).
TENURE_APPROVER = "tenure"
EDITABLE = (DRAFT, PENDING)
SUPPRESSION_REASONS = ("unsubscribed", "hard_bounce", "manual")


# -- templates -------------------------------------------------------------------------------
@dataclass(frozen=True)
class TemplateVersion:
    """A template with where it comes from: a stored version, or version 0 = shipped."""

    template: core.TemplateDef
    version: int
    source: str
    source_file: str | None


def shipped_sources() -> dict[str, tuple[str, str]]:
    """Name -> (file name, TOML text) of the default library shipped with Tenure."""
    folder = resources.files("tenure.messaging") / "library"
    found: dict[str, tuple[str, str]] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            found[entry.name.removesuffix(".toml")] = (entry.name, entry.read_text())
    return found


def shipped(name: str) -> TemplateVersion | None:
    source = shipped_sources().get(name)
    if source is None:
        return None
    filename, text = source
    return TemplateVersion(core.parse(text, filename), 0, text, filename)


def load_template(
    session: Session, source: str, filename: str, loaded_by: str | None
) -> MessageTemplate:
    """Check a template and store it as the next version of its name (the same text as the
    latest version is not stored again)."""
    checked = core.parse(source, filename)
    latest = _latest_row(session, checked.name)
    if latest is not None and latest.source == source:
        return latest
    row = MessageTemplate(
        name=checked.name,
        version=(latest.version if latest else 0) + 1,
        audience=checked.audience,
        description=checked.description,
        subject=checked.subject,
        text=checked.text,
        html=checked.html,
        variables=list(checked.variables),
        source=source,
        source_file=filename,
        loaded_by=loaded_by,
    )
    session.add(row)
    session.flush()
    return row


def _latest_row(session: Session, name: str) -> MessageTemplate | None:
    return session.scalar(
        select(MessageTemplate)
        .where(MessageTemplate.name == name)
        .order_by(MessageTemplate.version.desc())
        .limit(1)
    )


def _from_row(row: MessageTemplate) -> TemplateVersion:
    definition = core.TemplateDef(
        name=row.name,
        audience=row.audience,
        description=row.description,
        subject=row.subject,
        text=row.text,
        html=row.html,
        variables=tuple(row.variables),
    )
    return TemplateVersion(definition, row.version, row.source, row.source_file)


def get_template(session: Session, name: str, version: int | None = None) -> TemplateVersion:
    """The latest stored version of a template (or the one asked for), else the shipped one."""
    if version is not None and version > 0:
        row = session.scalar(
            select(MessageTemplate).where(
                MessageTemplate.name == name, MessageTemplate.version == version
            )
        )
        if row is None:
            raise NotFound(f"no template {name!r} version {version}")
        return _from_row(row)
    row = _latest_row(session, name) if version is None else None
    if row is not None:
        return _from_row(row)
    found = shipped(name)
    if found is None:
        known = sorted({*shipped_sources(), *session.scalars(select(MessageTemplate.name))})
        raise NotFound(f"no template {name!r} (templates: {', '.join(known)})")
    return found


def list_templates(session: Session) -> list[TemplateVersion]:
    """The template in use under every name: the latest stored version, else the shipped."""
    names = {*shipped_sources(), *session.scalars(select(MessageTemplate.name).distinct())}
    return [get_template(session, name) for name in sorted(names)]


# -- variables -------------------------------------------------------------------------------
def _person(name: str | None, email: str | None) -> dict[str, Any]:
    name = name or email or ""
    return {"name": name, "first_name": name.split(" ")[0] if name else "", "email": email or ""}


def account_variables(
    session: Session,
    settings: Settings,
    account: Account,
    as_of: date | None = None,
    warehouse: Warehouse | None = None,
) -> dict[str, Any]:
    """The account, its CSM, health and usage, as templates see them."""
    day = as_of or utc_today()
    facts = contract_facts(account.contracts, day, settings)
    arr = float(facts.arr) if facts.arr is not None else None
    health = session.get(AccountHealth, account.id)
    usage: dict[str, Any] = {}
    if warehouse is not None:
        rows = warehouse.metrics.latest_rows(day, 365, [account.external_id])
        usage = {row["metric"]: row["value"] for row in rows}
    owner = account.owner
    return {
        "account": {
            "external_id": account.external_id,
            "name": account.name,
            "tier": account.tier.value,
            "segment": account.segment or "",
            "industry": account.industry or "",
            "lifecycle_stage": account.lifecycle_stage or "",
            "customer_since": account.customer_since.isoformat() if account.customer_since else "",
            "arr": arr,
            "arr_text": f"{arr:,.0f} {facts.currency}" if arr is not None else "no",
            "currency": facts.currency or "",
            "renewal_date": facts.renewal_date.isoformat() if facts.renewal_date else "",
            "renewal_months": facts.renewal_months,
            "attributes": dict(account.attributes or {}),
            "url": f"{settings.public_url.rstrip('/')}/accounts/{account.external_id}",
        },
        "csm": _person(owner.name if owner else None, owner.email if owner else None),
        "health": {
            "score": health.health if health else None,
            "band": health.band if health else None,
            "trend": health.trend if health else None,
            "date": health.date.isoformat() if health else None,
        },
        "usage": usage,
        "today": day.isoformat(),
    }


def contact_variables(contact: Contact | None, email: str) -> dict[str, Any]:
    person = _person(contact.name if contact else None, email)
    return {
        **person,
        "title": (contact.title if contact else None) or "",
        "seniority": contact.seniority.value if contact and contact.seniority else "",
        "is_sponsor": bool(contact and contact.is_sponsor),
        "external_id": contact.external_id if contact else "",
    }


# -- consent ---------------------------------------------------------------------------------
def normalise(email: str) -> str:
    return email.strip().lower()


def hashed_address(email: str) -> str:
    """What the suppression list keeps of an erased person: a one-way hash of the address."""
    return "sha256:" + hashlib.sha256(normalise(email).encode()).hexdigest()


def suppression_of(session: Session, email: str) -> Suppression | None:
    # The hashed form is the opt-out of a person erased since: it still holds if they come
    # back (re-imported as a contact) without keeping their address.
    forms = (normalise(email), hashed_address(email))
    return session.scalar(select(Suppression).where(Suppression.email.in_(forms)).limit(1))


def suppress(
    session: Session, email: str, reason: str, note: str | None = None, by: str | None = None
) -> Suppression:
    """Put an address on the suppression list (kept as it is when already there, except that
    a hard bounce replaces a softer reason). Messages to it not sent yet become suppressed."""
    if reason not in SUPPRESSION_REASONS:
        raise TenureError(f"reason {reason!r}: use {', '.join(SUPPRESSION_REASONS)}")
    if "@" not in email:
        raise TenureError(f"{email!r}: not an email address")
    row = suppression_of(session, email)
    if row is None:
        row = Suppression(email=normalise(email), reason=reason, note=note, created_by=by)
        session.add(row)
    elif reason == "hard_bounce":
        row.reason = reason
    waiting = session.scalars(
        select(Message).where(
            Message.to_email == normalise(email),
            Message.status.in_((DRAFT, PENDING, APPROVED)),
            Message.audience == "client",
        )
    )
    for message in waiting:
        message.status = SUPPRESSED
        message.last_answer = f"not sent: {normalise(email)} is suppressed ({row.reason})"
    session.flush()
    return row


def unsuppress(session: Session, email: str) -> bool:
    """Take an address off the list (opt back in); False when it was not on it."""
    row = suppression_of(session, email)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


# -- drafting --------------------------------------------------------------------------------
def new_message_id(settings: Settings) -> str:
    return f"<{uuid.uuid4().hex}@{domain_of(settings.mail_from)}>"


def draft_message(
    session: Session,
    settings: Settings,
    *,
    account: Account | None,
    template: str | TemplateVersion,
    to_email: str | None = None,
    contact: Contact | None = None,
    variables: dict[str, Any] | None = None,
    author: User | None = None,
    reason: str,
    source: str = "csm",
    batch: str | None = None,
    idempotency_key: str | None = None,
    images: dict[str, str] | None = None,
    signal: dict[str, Any] | None = None,
    warehouse: Warehouse | None = None,
    as_of: date | None = None,
    status: str = DRAFT,
) -> Message:
    """Render a template for one recipient and put it in the outbox as a draft.

    The recipient is `contact` (its email), or `to_email` (internal messages, or an address
    that is not a contact). A suppressed client address gets a message in state `suppressed`
    (kept, never sent). With an `idempotency_key` already used, the message drafted then is
    returned and nothing new is drafted. `status` may be `pending_approval` for senders that
    submit at once.
    """
    if idempotency_key is not None:
        existing = session.scalar(select(Message).where(Message.idempotency_key == idempotency_key))
        if existing is not None:
            return existing
    if status not in (DRAFT, PENDING):
        raise TenureError(f"a new message is a draft or pending_approval, not {status!r}")
    chosen = template if isinstance(template, TemplateVersion) else get_template(session, template)
    if contact is not None and account is not None and contact.account_id != account.id:
        raise TenureError(f"contact {contact.email} is not a contact of {account.external_id}")
    email = to_email or (contact.email if contact else None)
    if not email:
        who = f"contact {contact.name}" if contact else "the message"
        raise TenureError(f"{who} has no email address")
    email = normalise(email)
    audience = chosen.template.audience
    if audience == "client" and account is None:
        raise TenureError(f"template {chosen.template.name} is for clients: name the account")
    message_id = new_message_id(settings)
    context: dict[str, Any] = {}
    if account is not None:
        context.update(account_variables(session, settings, account, as_of, warehouse))
    else:
        context.update(
            {
                "account": {},
                "csm": _person(None, None),
                "health": {},
                "usage": {},
                "today": (as_of or utc_today()).isoformat(),
            }
        )
    context["contact"] = contact_variables(contact, email)
    context["sender"] = _person(author.name if author else None, author.email if author else None)
    context["signal"] = {"name": "", "reason": "", **(signal or {})}
    context["unsubscribe_url"] = (
        unsubscribe_url(settings, email, message_id) if audience == "client" else ""
    )
    context.update(variables or {})
    rendered = core.render(chosen.template, context)
    suppressed = suppression_of(session, email) if audience == "client" else None
    message = Message(
        message_id=message_id,
        status=SUPPRESSED if suppressed else status,
        audience=audience,
        account_id=account.id if account else None,
        contact_id=contact.id if contact else None,
        to_email=email,
        to_name=contact.name if contact else None,
        template_name=chosen.template.name,
        template_version=chosen.version,
        source=source,
        reason=reason,
        batch=batch,
        idempotency_key=idempotency_key,
        variables=_plain(variables or {}),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        images=images or {},
        author_id=author.id if author else None,
        author=author.email if author else None,
        last_answer=f"not sent: {email} is suppressed ({suppressed.reason})"
        if suppressed
        else None,
    )
    session.add(message)
    session.flush()
    return message


def _plain(value: Any) -> Any:
    """Variables as JSON (dates as ISO text), kept with the message for the record."""
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value, fallback=str)


def get_message(session: Session, message_id: int) -> Message:
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound(f"no message {message_id}")
    return message


def can_manage(user: User, message: Message) -> bool:
    """Admins and managers act on the team's queue; a CSM on messages it wrote or that are
    for its own accounts."""
    if user.role in (Role.admin, Role.manager):
        return True
    if user.role is not Role.csm:
        return False
    if message.author_id == user.id:
        return True
    return message.account is not None and message.account.owner_id == user.id


def _check_manage(user: User | None, message: Message) -> None:
    if user is not None and not can_manage(user, message):
        raise Forbidden(f"message {message.id}: not yours, nor for one of your accounts")


def require_visible(user: User, message: Message) -> None:
    """Viewers read every message; others read those they may act on."""
    if user.role is not Role.viewer:
        _check_manage(user, message)


def edit_message(
    session: Session,
    message: Message,
    editor: User | None,
    *,
    subject: str | None = None,
    text: str | None = None,
    html: str | None = None,
) -> Message:
    """Change a draft's text before approval. Edited HTML is sanitised (no script, no
    event handler, no foreign frames); an edit sends a pending message back to draft."""
    _check_manage(editor, message)
    if message.status not in EDITABLE:
        raise TenureError(f"message {message.id} is {message.status}: only drafts can be edited")
    if subject is not None:
        if not subject.strip():
            raise TenureError("subject: must not be empty")
        message.subject = " ".join(subject.split())
    if text is not None:
        message.text = text.strip() + "\n"
    if html is not None:
        import nh3

        message.html = nh3.clean(html).strip() + "\n"
    message.status = DRAFT
    session.flush()
    return message


def submit(session: Session, message: Message, user: User | None) -> Message:
    """Ask for approval (draft -> pending_approval)."""
    _check_manage(user, message)
    if message.status == PENDING:
        return message
    if message.status != DRAFT:
        raise TenureError(f"message {message.id} is {message.status}: only a draft is submitted")
    message.status = PENDING
    session.flush()
    return message


def approve(
    session: Session, settings: Settings, message: Message, approver: User | None
) -> Message:
    """Approve a draft or pending message for sending. The author of a client message cannot
    approve it unless `mail_self_approval` is on; `approver=None` is Tenure itself (a CLI
    run by the operator without --as, or a policy that allows it) and is refused for a client
    message that has an author."""
    if message.status == APPROVED:
        return message
    if message.status not in EDITABLE:
        raise TenureError(f"message {message.id} is {message.status}: only a draft is approved")
    if approver is not None:
        _check_manage(approver, message)
        if approver.role is Role.viewer:
            raise Forbidden("a viewer cannot approve messages")
    own = approver is not None and message.author_id == approver.id
    if message.audience == "client" and not settings.mail_self_approval:
        if own:
            raise Forbidden(
                f"message {message.id}: its author cannot approve a client message; another "
                "person approves it (or set TENURE_MAIL_SELF_APPROVAL)"
            )
        if approver is None and message.author_id is not None:
            raise Forbidden(
                f"message {message.id}: a client message is approved by a person (--as EMAIL)"
            )
    message.status = APPROVED
    message.approved_by = approver.email if approver else TENURE_APPROVER
    message.approved_at = utc_now()
    message.next_attempt_at = None
    session.flush()
    return message


def cancel(session: Session, message: Message, user: User | None) -> Message:
    _check_manage(user, message)
    if message.status == CANCELLED:
        return message
    if message.status not in (DRAFT, PENDING, APPROVED, FAILED):
        raise TenureError(f"message {message.id} is {message.status}: it cannot be cancelled")
    message.status = CANCELLED
    session.flush()
    return message


def list_messages(
    session: Session,
    *,
    statuses: list[str] | None = None,
    account: Account | None = None,
    user: User | None = None,
    batch: str | None = None,
    limit: int = 500,
) -> list[Message]:
    """The outbox, newest first. With `user` a CSM sees its own messages and those for its
    accounts; managers and admins see the team's queue."""
    for status in statuses or []:
        if status not in STATUSES:
            raise TenureError(f"--status {status!r}: use {', '.join(STATUSES)}")
    query = select(Message).options(selectinload(Message.account), selectinload(Message.contact))
    if statuses:
        query = query.where(Message.status.in_(statuses))
    if account is not None:
        query = query.where(Message.account_id == account.id)
    if batch is not None:
        query = query.where(Message.batch == batch)
    if user is not None and user.role not in (Role.admin, Role.manager):
        owned = select(Account.id).where(Account.owner_id == user.id)
        query = query.where((Message.author_id == user.id) | Message.account_id.in_(owned))
    query = query.order_by(Message.id.desc()).limit(limit)
    return list(session.scalars(query))


# -- after sending ---------------------------------------------------------------------------
def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def sent_today(session: Session, now: datetime) -> int:
    """Messages sent, or being sent, since the start of `now`'s UTC day."""
    start = day_start(now.date())
    sent = session.scalar(select(func.count()).select_from(Message).where(Message.sent_at >= start))
    sending = session.scalar(
        select(func.count()).select_from(Message).where(Message.status == SENDING)
    )
    return int(sent or 0) + int(sending or 0)


def record_sent(session: Session, message: Message, at: datetime, answer: str) -> None:
    """Mark a message sent and put it on its account's timeline, tied to its contact."""
    message.status = SENT
    message.sent_at = at
    message.phase = None
    message.last_answer = answer
    if message.account_id is not None:
        who = f"{message.to_name} <{message.to_email}>" if message.to_name else message.to_email
        session.add(
            TimelineEntry(
                account_id=message.account_id,
                kind=TimelineKind.message,
                author=message.author or message.approved_by,
                at=at,
                text=f"Sent {message.subject!r} to {who}: {message.reason}",
                contact_id=message.contact_id,
                message_id=message.id,
            )
        )
    session.flush()


def retry_at(settings: Settings, attempts: int, now: datetime) -> datetime:
    """Back-off: mail_retry_seconds after the first failure, doubled after each further."""
    return now + timedelta(seconds=settings.mail_retry_seconds * 2 ** max(attempts - 1, 0))
