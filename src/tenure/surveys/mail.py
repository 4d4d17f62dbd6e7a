"""Survey emails through the outbox: one invitation per recipient with its one-click score
links, the one reminder to those who have not answered, and what the outbox says became of
each (sent, bounced, ...), which decides what counts as delivered. Never commits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.config import Settings
from tenure.kit.errors import Forbidden, NotFound
from tenure.messaging import service as outbox
from tenure.messaging import templates
from tenure.models import Message, SurveyCampaign, SurveyRecipient, User
from tenure.surveys import core, service

INVITATION = "survey_scores"
REMINDER = "survey_reminder"


def template(session: Session, name: str) -> outbox.TemplateVersion:
    """A version loaded with `tenure template load` wins over the one shipped here."""
    try:
        return outbox.get_template(session, name)
    except NotFound:
        source = (resources.files("tenure.surveys") / "templates" / f"{name}.toml").read_text()
        return outbox.TemplateVersion(templates.parse(source, f"{name}.toml"), 0, source, None)


@dataclass
class Mailed:
    recipients: int = 0
    approved: int = 0
    suppressed: list[str] = field(default_factory=list)


def _variables(
    settings: Settings, campaign: SurveyCampaign, recipient: SurveyRecipient
) -> dict[str, object]:
    token = service.answer_token(settings, recipient)
    low, high = core.LABELS[campaign.kind]
    return {
        "question": campaign.question,
        "scores": [
            {"score": s, "url": url}
            for s, url in service.score_urls(settings.public_url, campaign.kind, token)
        ],
        "survey_url": service.survey_url(settings.public_url, token),
        "low_label": low,
        "high_label": high,
        "expires_on": recipient.expires_at.date().isoformat(),
        "follow_up": campaign.follow_up or "",
    }


def _check_approver(settings: Settings, campaign: SurveyCampaign, approver: User | None) -> None:
    # Four eyes on a campaign: whoever created it does not also approve its emails.
    if (
        approver is not None
        and campaign.created_by
        and approver.email == campaign.created_by.lower()
        and not settings.mail_self_approval
    ):
        raise Forbidden(
            f"{approver.email} created survey {campaign.name!r}: another person approves its "
            "emails (or set TENURE_MAIL_SELF_APPROVAL)"
        )


def _draft(
    session: Session,
    settings: Settings,
    campaign: SurveyCampaign,
    recipient: SurveyRecipient,
    name: str,
    key: str,
    approver: User | None,
    approve: bool,
) -> Message:
    message = outbox.draft_message(
        session,
        settings,
        account=recipient.account,
        template=template(session, name),
        contact=recipient.contact,
        variables=_variables(settings, campaign, recipient),
        reason=f"survey {campaign.name}" + (" (reminder)" if name == REMINDER else ""),
        source="survey",
        batch=f"survey:{campaign.name}:{recipient.wave}",
        idempotency_key=key,
        status=outbox.PENDING,
    )
    if approve and message.status == outbox.PENDING:
        outbox.approve(session, settings, message, approver)
    return message


def invite(
    session: Session,
    settings: Settings,
    campaign: SurveyCampaign,
    now: datetime,
    approver: User | None = None,
    approve: bool = True,
    new_wave: bool = False,
) -> Mailed:
    """Enlist the audience and put an invitation per recipient in the outbox (approved by
    `approver`, or Tenure itself, unless `approve` is off: then they wait for approval)."""
    _check_approver(settings, campaign, approver)
    recipients = service.enlist(session, campaign, now, new_wave)
    mailed = Mailed(len(recipients))
    for recipient in recipients:
        message = _draft(
            session,
            settings,
            campaign,
            recipient,
            INVITATION,
            f"survey:{recipient.id}",
            approver,
            approve,
        )
        recipient.message_id = message.id
        if message.status == outbox.SUPPRESSED:
            service.mark_undelivered(session, recipient, "suppressed")
            mailed.suppressed.append(recipient.email)
        elif message.status == outbox.APPROVED:
            mailed.approved += 1
    session.flush()
    return mailed


def sync(session: Session, campaign: SurveyCampaign) -> dict[str, int]:
    """Bring each recipient in line with its invitation's state in the outbox: a sent email
    makes an invitation in the survey store; a bounced, failed, suppressed or cancelled one
    takes it out (response rate = answered over delivered)."""
    counts: dict[str, int] = {}
    recipients = session.scalars(
        select(SurveyRecipient).where(
            SurveyRecipient.campaign_id == campaign.id, SurveyRecipient.message_id.is_not(None)
        )
    ).all()
    for recipient in recipients:
        message = session.get(Message, recipient.message_id)
        if message is None:
            continue
        if message.status == outbox.SENT and recipient.status != service.DELIVERED:
            service.mark_delivered(session, recipient, message.sent_at or message.updated_at)
        elif message.status in service.UNDELIVERED and recipient.status == service.DELIVERED:
            service.mark_undelivered(session, recipient, message.status)
        elif message.status in service.UNDELIVERED and recipient.status == service.PENDING:
            service.mark_undelivered(session, recipient, message.status)
        counts[recipient.status] = counts.get(recipient.status, 0) + 1
    return counts


def remind(
    session: Session,
    settings: Settings,
    campaign: SurveyCampaign,
    now: datetime,
    approver: User | None = None,
    approve: bool = True,
) -> Mailed:
    """The one reminder to each recipient who has not answered `reminder_days` after the
    invitation was sent (the same link: it is still unused)."""
    _check_approver(settings, campaign, approver)
    sync(session, campaign)
    return _remind(session, settings, campaign, now, approver, lambda _recipient: approve)


def remind_due(
    session: Session, settings: Settings, campaign: SurveyCampaign, now: datetime
) -> Mailed:
    """What `tenure serve` (or `tenure survey sync`) does for a campaign nobody watches, once
    `sync` has brought it in line with the outbox: draft the reminders due. No person stands
    behind this run, so Tenure approves a reminder only where it approved that recipient's
    invitation itself; a reminder whose invitation a person approved (or held) waits in the
    outbox for a person's approval, as every client message does."""

    def approved_by_tenure(recipient: SurveyRecipient) -> bool:
        invitation = session.get(Message, recipient.message_id) if recipient.message_id else None
        return invitation is not None and invitation.approved_by == outbox.TENURE_APPROVER

    return _remind(session, settings, campaign, now, None, approved_by_tenure)


def _remind(
    session: Session,
    settings: Settings,
    campaign: SurveyCampaign,
    now: datetime,
    approver: User | None,
    approve: Callable[[SurveyRecipient], bool],
) -> Mailed:
    due = service.due_reminders(session, campaign, now)
    mailed = Mailed(len(due))
    for recipient in due:
        message = _draft(
            session,
            settings,
            campaign,
            recipient,
            REMINDER,
            f"survey-reminder:{recipient.id}",
            approver,
            approve(recipient),
        )
        recipient.reminder_message_id = message.id
        recipient.reminded_at = now
        if message.status == outbox.SUPPRESSED:
            mailed.suppressed.append(recipient.email)
        elif message.status == outbox.APPROVED:
            mailed.approved += 1
    session.flush()
    return mailed
