"""Where the agent meets the other domains it acts through: the product events (a sponsor's
last activity), the outbox (drafts, approvals, hand-offs, consent, incidents, touches) and
surveys. Each function is the one place that domain's public API is called."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.config import Settings
from tenure.kit.errors import TenureError
from tenure.messaging import service as outbox
from tenure.models import Account, AgentAction, Contact, Handoff, Message, User
from tenure.warehouse import Warehouse

# How far back a sponsor's last event is looked for.
ACTIVITY_DAYS = 180
# An incident notice drafted this recently means the incident is still being handled.
INCIDENT_DAYS = 7


def last_events(
    warehouse: Warehouse, settings: Settings, users: Sequence[str], day: date
) -> dict[str, date]:
    """Each of these product users' latest event day up to `day` (within ACTIVITY_DAYS);
    users with none are left out. Reads the embedded event store only: with an external
    events source nothing is known and no sponsor counts as idle."""
    if not users or settings.events_url:
        return {}
    import duckdb

    from tenure.usage.store import EventStore

    days = [day - timedelta(days=k) for k in range(ACTIVITY_DAYS)]
    files = EventStore(warehouse.root).event_files(days)
    if not files:
        return {}
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        rows = con.sql(
            "SELECT user_id, strftime(max(timestamp), '%Y-%m-%d') "
            "FROM read_parquet(?, hive_partitioning = false) "
            "WHERE list_contains(?, user_id) AND timestamp < ? GROUP BY user_id",
            params=[files, list(users), end],
        ).fetchall()
    return {user: date.fromisoformat(day) for user, day in rows if day is not None}


def opted_out(session: Session, emails: Sequence[str | None]) -> set[str]:
    """Which of these addresses are on the outbox's suppression list."""
    return {e for e in emails if e and outbox.suppression_of(session, e) is not None}


def open_incident(session: Session, account_id: int, day: date) -> bool:
    """Whether an incident touches the account: an incident notice drafted for it in the
    INCIDENT_DAYS up to the day, and not cancelled."""
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    found = session.scalar(
        select(Message.id)
        .where(
            Message.account_id == account_id,
            Message.source == "incident",
            Message.status != outbox.CANCELLED,
            Message.created_at >= end - timedelta(days=INCIDENT_DAYS),
            Message.created_at < end,
        )
        .limit(1)
    )
    return found is not None


def _contact(session: Session, account_id: int | None, email: str) -> Contact | None:
    if account_id is None:
        return None
    return session.scalar(
        select(Contact).where(Contact.account_id == account_id, Contact.email == email)
    )


def _message(session: Session, action: AgentAction) -> Message | None:
    ref = action.message_ref or ""
    if not ref.startswith("message:"):
        return None
    return outbox.get_message(session, int(ref.removeprefix("message:")))


def draft(
    session: Session,
    settings: Settings,
    action: AgentAction,
    author: User | None,
    pending: bool,
) -> str:
    """The action's draft in the outbox (once: the action's key is the message's
    idempotency key). `author` None: the mandate lets it go without a person's approval,
    and Tenure itself approves it."""
    account = session.get(Account, action.account_id) if action.account_id else None
    email = str(action.payload["to"])
    message = outbox.draft_message(
        session,
        settings,
        account=account,
        template="generic_note",
        contact=_contact(session, action.account_id, email),
        to_email=email,
        variables={"subject": action.payload["subject"], "body": action.payload["body"]},
        author=author,
        reason=f"agent: {action.trigger}: {'; '.join(action.evidence)}",
        source="agent",
        idempotency_key=f"agent:{action.key}",
        as_of=action.day,
        status=outbox.PENDING if pending else outbox.DRAFT,
    )
    return f"message:{message.id}"


def approve(session: Session, settings: Settings, action: AgentAction, by: User | None) -> None:
    """A person approves the draft for sending (None: Tenure itself, for a draft the
    mandate lets go on its own); the outbox's sender sends it."""
    message = _message(session, action)
    if message is not None:
        outbox.approve(session, settings, message, by)


def cancel(session: Session, action: AgentAction) -> None:
    """The action's draft never leaves; one already sent cannot be called back."""
    message = _message(session, action)
    if message is None or message.status in (outbox.CANCELLED, outbox.SUPPRESSED):
        return
    if message.status in (outbox.SENDING, outbox.SENT, outbox.BOUNCED):
        raise TenureError(f"message {message.id} is {message.status} already: it cannot be undone")
    outbox.cancel(session, message, None)


LANES = {
    "handoff_support": ("support", "Hand-off to support"),
    "handoff_sales": ("sales", "Expansion hand-off to sales"),
    "handoff_product": ("product", "Request for product"),
}


def handoff(session: Session, settings: Settings, action: AgentAction, agent: User) -> str:
    """A hand-off with its evidence, and its internal message to the lane's address when
    one is set (an internal message needs no client approval: Tenure approves it)."""
    lane, title = LANES[action.kind]
    assert action.account_id is not None
    row = Handoff(
        account_id=action.account_id,
        lane=lane,
        summary=str(action.payload.get("summary", "")),
        evidence=list(action.evidence),
        author=agent.email,
    )
    session.add(row)
    session.flush()
    address = getattr(settings, f"mail_{lane}_to")
    if address:
        message = outbox.draft_message(
            session,
            settings,
            account=session.get(Account, action.account_id),
            template="handoff",
            to_email=address,
            variables={
                "handoff": {
                    "lane_title": title,
                    "summary": row.summary,
                    "evidence": list(action.evidence),
                }
            },
            author=agent,
            reason=f"agent: {action.trigger}",
            source="handoff",
            idempotency_key=f"agent:{action.key}",
            as_of=action.day,
        )
        outbox.approve(session, settings, message, None)
        row.message_id = message.id
    return f"handoff:{row.id}"


def cancel_handoff(session: Session, action: AgentAction) -> None:
    ref = action.message_ref or ""
    if ref.startswith("handoff:"):
        row = session.get(Handoff, int(ref.removeprefix("handoff:")))
        if row is not None:
            if row.message is not None and row.message.status not in (
                outbox.SENT,
                outbox.SENDING,
                outbox.CANCELLED,
            ):
                outbox.cancel(session, row.message, None)
            session.delete(row)
