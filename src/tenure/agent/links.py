"""Where the agent meets the other domains it acts through: the product events (a sponsor's
last activity), the outbox (drafts, approvals, hand-offs, consent, incidents, touches) and
surveys, goals. Each function is the one place that domain's public API is called."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.agent.boundaries import check_handoff
from tenure.agent.triggers import Goal
from tenure.config import Settings
from tenure.kit.dates import utc_now
from tenure.kit.errors import TenureError
from tenure.messaging import service as outbox
from tenure.models import (
    Account,
    AgentAction,
    Contact,
    Handoff,
    Message,
    SurveyCampaign,
    SurveyKind,
    SurveyRecipient,
    SurveyResponse,
    Task,
    TimelineEntry,
    TimelineKind,
    User,
)
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
    if (action.message_ref or "").startswith("survey:"):
        cancel_survey(session, action)
        return
    message = _message(session, action)
    if message is None or message.status in (outbox.CANCELLED, outbox.SUPPRESSED):
        return
    if message.status in (outbox.SENDING, outbox.SENT, outbox.BOUNCED):
        raise TenureError(f"message {message.id} is {message.status} already: it cannot be undone")
    outbox.cancel(session, message, None)


# Each hand-off action and the one lane it may go to: the hard boundary, checked where the
# hand-off is made (support problems to support, expansion to sales, requests to product).
LANES = {
    "handoff_support": "support",
    "handoff_sales": "sales",
    "handoff_product": "product",
}


def handoff(session: Session, settings: Settings, action: AgentAction, agent: User) -> str:
    """The hand-off through the messaging domain's hand-off service: its row with the
    evidence, its internal email (approved by Tenure: it goes to colleagues) and its signed
    webhook, retried by the sender, to whatever the lane has set. With neither set the
    hand-off is still recorded on the account (its timeline and brief), for the team to see."""
    from tenure.messaging import handoffs

    check_handoff(action.kind, action.payload.get("team"), action.evidence)
    lane = LANES[action.kind]
    assert action.account_id is not None
    account = session.get_one(Account, action.account_id)
    summary = str(action.payload.get("summary", "")) or f"{account.name}: {action.trigger}"
    email = getattr(settings, f"mail_{lane}_to")
    url = getattr(settings, f"webhook_{lane}_url")
    if email or url:
        row = handoffs.hand_off(
            session,
            settings,
            account=account,
            lane=lane,
            summary=summary,
            evidence=list(action.evidence),
            # Tenure approves the internal email (the agent owns no account, so it may not
            # approve as itself); the hand-off names the agent as its author.
            author=None,
        )
        row.author = agent.email
        return f"handoff:{row.id}"
    row = Handoff(
        account_id=account.id,
        lane=lane,
        summary=" ".join(summary.split()),
        evidence=list(action.evidence),
        author=agent.email,
    )
    session.add(row)
    session.flush()
    session.add(
        TimelineEntry(
            account_id=account.id,
            kind=TimelineKind.system,
            author=agent.email,
            at=row.created_at or utc_now(),
            text=f"Handed to {lane} (no address or webhook set for it): {row.summary}",
        )
    )
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


# -- surveys ------------------------------------------------------------------------------------


def _campaign(session: Session, action: AgentAction) -> SurveyCampaign | None:
    ref = action.message_ref or ""
    if not ref.startswith("survey:"):
        return None
    return session.get(SurveyCampaign, int(ref.removeprefix("survey:")))


def schedule_survey(session: Session, settings: Settings, action: AgentAction, agent: User) -> str:
    """An NPS campaign for the account's sponsors through the surveys domain, its invitations
    drafted into the outbox waiting for approval (`approve_survey` lets them go). Once per
    action: the campaign is named after the action's key. An opted-out sponsor's invitation
    is suppressed by the outbox, never sent."""
    from tenure.surveys import mail
    from tenure.surveys import service as surveys
    from tenure.surveys.schemas import Audience, CampaignCreate

    name = f"agent:{action.key}"
    campaign = session.scalar(select(SurveyCampaign).where(SurveyCampaign.name == name))
    if campaign is None:
        campaign = surveys.create_campaign(
            session,
            CampaignCreate(
                name=name,
                kind=SurveyKind.nps,
                audience=Audience(
                    accounts=[action.account_external_id], role="sponsor", active_only=False
                ),
            ),
            agent.email,
        )
        mail.invite(session, settings, campaign, utc_now(), approve=False)
    return f"survey:{campaign.id}"


def survey_messages(session: Session, action: AgentAction) -> list[Message]:
    """The invitations of the action's campaign, in the outbox."""
    campaign = _campaign(session, action)
    if campaign is None:
        return []
    ids = session.scalars(
        select(SurveyRecipient.message_id).where(
            SurveyRecipient.campaign_id == campaign.id, SurveyRecipient.message_id.is_not(None)
        )
    ).all()
    return [m for i in ids if i is not None and (m := outbox.get_message(session, i)) is not None]


def approve_survey(
    session: Session, settings: Settings, action: AgentAction, by: User | None
) -> None:
    """A person (None: Tenure itself, when the mandate sends on its own) approves the
    invitations still waiting; suppressed ones stay suppressed."""
    for message in survey_messages(session, action):
        if message.status == outbox.PENDING:
            outbox.approve(session, settings, message, by)


def cancel_survey(session: Session, action: AgentAction) -> None:
    """The invitations not sent yet never leave and the campaign takes no more answers."""
    from tenure.surveys import mail
    from tenure.surveys import service as surveys

    campaign = _campaign(session, action)
    if campaign is None:
        return
    for message in survey_messages(session, action):
        if message.status not in (
            outbox.SENDING,
            outbox.SENT,
            outbox.BOUNCED,
            outbox.CANCELLED,
            outbox.SUPPRESSED,
        ):
            outbox.cancel(session, message, None)
    mail.sync(session, campaign)
    if campaign.status != surveys.CLOSED:
        surveys.close_campaign(session, campaign, utc_now())


def follow_up_task(session: Session, answer_ref: str) -> Task | None:
    """The open follow-up task the surveys domain made for this answer (its external id),
    None when it made none or it is closed."""
    return session.scalar(
        select(Task)
        .join(SurveyRecipient, SurveyRecipient.task_id == Task.id)
        .join(SurveyResponse, SurveyRecipient.response_id == SurveyResponse.id)
        .where(SurveyResponse.external_id == answer_ref, Task.status == "open")
        .limit(1)
    )


# -- goals --------------------------------------------------------------------------------------


def first_value_goal(session: Session, account: Account, day: date) -> list[Goal]:
    """The account's first-value milestone from the goals domain (the first milestone of its
    earliest goal; the goal itself when it has no milestone), as the trigger reads it; empty
    when the account has no goal, so the usage-based rule applies."""
    from tenure.goals import service as goals

    found = goals.account_goals(session, account)
    if not found:
        return []
    first = found[0]
    if first.milestones:
        milestone = first.milestones[0]
        reached = milestone.reached_on is not None and milestone.reached_on <= day
        return [
            Goal(
                f"milestone-{milestone.id}",
                f"{first.title}: first-value milestone {milestone.title}",
                milestone.due_date or first.due_date,
                reached,
            )
        ]
    return [Goal(f"goal-{first.id}", first.title, first.due_date, first.status == "achieved")]
