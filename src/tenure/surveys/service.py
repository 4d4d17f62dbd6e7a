"""Survey campaigns: audiences, recipients and their signed links, answers, follow-up tasks,
response rates. Never commits.

An invitation lands in the survey store (`SurveyResponse`, the rows health scoring and the
KPIs read) once its email has been sent, and leaves it again if it bounces: response rate is
answered over delivered. An answer is recorded on the invitation itself, so there is at most
one answer per recipient and wave, however often the contact clicks or edits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from tenure.config import Settings
from tenure.kit.dates import quarter_bounds
from tenure.kit.errors import NotFound, TenureError
from tenure.models import (
    Account,
    Contact,
    Contract,
    SurveyCampaign,
    SurveyKind,
    SurveyRecipient,
    SurveyResponse,
    Task,
    User,
)
from tenure.surveys import core, tokens
from tenure.surveys.core import LABELS as LABELS
from tenure.surveys.core import response_rates as response_rates
from tenure.surveys.core import scale as scale
from tenure.surveys.schemas import AnswerEdit, Audience, CampaignCreate, CampaignRead

# How long the answer page may change the score or add a comment after the click.
EDIT_HOURS = 24
FOLLOW_UP_ACTIVITY = "detractor_follow_up"
DRAFT, SENT, CLOSED = "draft", "sent", "closed"
# Recipient states: pending (link made, email not sent yet), sent, then bounced or failed
# (never delivered: out of the response rate), suppressed or cancelled.
PENDING, DELIVERED = "pending", "sent"
UNDELIVERED = ("bounced", "failed", "suppressed", "cancelled")


class SurveyRefused(TenureError):
    """A link that cannot be answered: `reason` is forged, expired, used or closed."""

    def __init__(self, reason: str, message: str, status: int):
        super().__init__(message, status)
        self.reason = reason


REFUSALS = {
    "forged": ("This survey link is not valid: it may have been cut short or altered.", 400),
    "expired": ("This survey link has expired.", 410),
    "used": ("This survey link has already been used to answer. Thank you!", 409),
    "closed": ("This survey is closed: answers are no longer taken.", 410),
}


def refused(reason: str) -> SurveyRefused:
    message, status = REFUSALS[reason]
    return SurveyRefused(reason, message, status)


def signing_key(settings: Settings) -> bytes:
    """The installation's secret key; survey signatures are salted apart from the other
    links it signs (an unsubscribe token is never a survey token)."""
    return settings.resolved_secret_key().encode()


# -- campaigns --------------------------------------------------------------------------------
def create_campaign(session: Session, data: CampaignCreate, author: str | None) -> SurveyCampaign:
    if session.scalar(select(SurveyCampaign.id).where(SurveyCampaign.name == data.name)):
        raise TenureError(f"a survey campaign named {data.name!r} already exists", 409)
    campaign = SurveyCampaign(
        name=data.name,
        kind=data.kind,
        question=data.question or core.QUESTIONS[data.kind],
        follow_up=data.follow_up,
        audience=data.audience.model_dump(mode="json"),
        expires_days=data.expires_days,
        reminder_days=data.reminder_days,
        status=DRAFT,
        created_by=author,
    )
    session.add(campaign)
    session.flush()
    return campaign


def get_campaign(session: Session, name: str) -> SurveyCampaign:
    """A campaign by its name (or its id)."""
    query = select(SurveyCampaign).where(
        or_(SurveyCampaign.name == name, SurveyCampaign.id == (int(name) if name.isdigit() else -1))
    )
    campaign = session.scalar(query)
    if campaign is None:
        raise NotFound(f"no survey campaign named {name!r}")
    return campaign


def list_campaigns(session: Session) -> list[SurveyCampaign]:
    return list(session.scalars(select(SurveyCampaign).order_by(SurveyCampaign.created_at)))


def audience_contacts(session: Session, audience: Audience, day: date) -> list[Contact]:
    """The contacts the audience names on `day`, each once, by account then name."""
    query = (
        select(Contact)
        .join(Account, Contact.account_id == Account.id)
        .where(Contact.email.is_not(None), Contact.email != "")
        .options(selectinload(Contact.account))
        .order_by(Account.name, Contact.name, Contact.id)
    )
    if audience.role == "sponsor":
        query = query.where(Contact.is_sponsor.is_(True))
    if audience.seniority:
        query = query.where(Contact.seniority.in_(audience.seniority))
    if audience.tier:
        query = query.where(Account.tier == audience.tier)
    if audience.segment:
        query = query.where(Account.segment == audience.segment)
    if audience.accounts:
        query = query.where(Account.external_id.in_(audience.accounts))
    if audience.csm_email:
        owner = session.scalar(select(User.id).where(User.email == audience.csm_email))
        if owner is None:
            raise NotFound(f"audience: no user with email {audience.csm_email!r}")
        query = query.where(Account.owner_id == owner)
    if audience.active_only:
        active = select(Contract.account_id).where(
            Contract.start_date <= day, Contract.end_date > day
        )
        query = query.where(Account.id.in_(active))
    return list(session.scalars(query))


def enlist(
    session: Session, campaign: SurveyCampaign, now: datetime, new_wave: bool = False
) -> list[SurveyRecipient]:
    """The recipients of the campaign's next wave, each with the nonce of its own link."""
    if campaign.status == CLOSED:
        raise TenureError(f"survey {campaign.name!r} is closed", 409)
    last = session.scalar(
        select(func.max(SurveyRecipient.wave)).where(SurveyRecipient.campaign_id == campaign.id)
    )
    if last is not None and not new_wave:
        raise TenureError(
            f"survey {campaign.name!r} was sent on {campaign.sent_at:%Y-%m-%d}: "
            "send a new wave with --new-wave, or remind non-responders with `tenure survey remind`",
            409,
        )
    wave = (last or 0) + 1
    contacts = audience_contacts(session, Audience.model_validate(campaign.audience), now.date())
    if not contacts:
        raise TenureError(f"survey {campaign.name!r}: its audience has no contact with an email")
    recipients = []
    for contact in contacts:
        assert contact.email is not None
        recipient = SurveyRecipient(
            campaign_id=campaign.id,
            contact_id=contact.id,
            account_id=contact.account_id,
            email=contact.email,
            wave=wave,
            nonce=secrets.token_urlsafe(9),
            expires_at=now + timedelta(days=campaign.expires_days),
            status=PENDING,
        )
        session.add(recipient)
        recipients.append(recipient)
    campaign.status = SENT
    campaign.sent_at = campaign.sent_at or now
    session.flush()
    return recipients


def close_campaign(session: Session, campaign: SurveyCampaign, now: datetime) -> SurveyCampaign:
    if campaign.status == CLOSED:
        raise TenureError(f"survey {campaign.name!r} is already closed", 409)
    campaign.status = CLOSED
    campaign.closed_at = now
    session.flush()
    return campaign


# -- links ------------------------------------------------------------------------------------
def answer_token(settings: Settings, recipient: SurveyRecipient) -> str:
    return tokens.sign(
        signing_key(settings),
        tokens.ANSWER,
        recipient.id,
        recipient.wave,
        recipient.expires_at,
        recipient.nonce,
    )


def edit_token(settings: Settings, recipient: SurveyRecipient, now: datetime) -> str:
    until = min(now + timedelta(hours=EDIT_HOURS), recipient.expires_at)
    return tokens.sign(
        signing_key(settings), tokens.EDIT, recipient.id, recipient.wave, until, recipient.nonce
    )


def survey_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/s/{token}"


def score_urls(base_url: str, kind: SurveyKind, token: str) -> list[tuple[int, str]]:
    """The one-click links of the email: each records its score when followed."""
    return [(s, f"{survey_url(base_url, token)}?score={s}") for s in core.scale(kind)]


# -- delivery ---------------------------------------------------------------------------------
def response_external_id(recipient: SurveyRecipient) -> str:
    return f"tenure-survey-{recipient.campaign_id}-{recipient.id}"


def mark_delivered(session: Session, recipient: SurveyRecipient, at: datetime) -> SurveyResponse:
    """The email left: the invitation counts from now on (in the store the KPIs read)."""
    recipient.status = DELIVERED
    recipient.sent_at = recipient.sent_at or at
    if recipient.response is None:
        recipient.response = SurveyResponse(
            external_id=response_external_id(recipient),
            account_id=recipient.account_id,
            contact_email=recipient.email,
            kind=recipient.campaign.kind,
            sent_at=recipient.sent_at,
        )
        session.add(recipient.response)
    session.flush()
    return recipient.response


def mark_undelivered(session: Session, recipient: SurveyRecipient, status: str) -> None:
    """The email bounced or never left: not an invitation after all (unless answered)."""
    if status not in UNDELIVERED:
        raise ValueError(f"not an undelivered state: {status}")
    response = recipient.response
    if response is not None and response.score is not None:
        return  # an answer proves it arrived
    recipient.status = status
    if response is not None:
        recipient.response = None
        session.delete(response)
    session.flush()


# -- answers ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Answered:
    recipient: SurveyRecipient
    response: SurveyResponse
    edit_token: str
    task: Task | None


def _recipient(
    session: Session, settings: Settings, token: str, kind: str, now: datetime
) -> SurveyRecipient:
    try:
        claims = tokens.read(signing_key(settings), token, kind, now)
    except tokens.TokenRefused as refusal:
        raise refused(refusal.reason) from None
    recipient = session.get(SurveyRecipient, claims.recipient_id)
    if recipient is None or recipient.nonce != claims.nonce or recipient.wave != claims.wave:
        raise refused("forged")
    if recipient.campaign.status == CLOSED:
        raise refused("closed")
    return recipient


def _check(recipient: SurveyRecipient, score: int) -> None:
    why = core.check_score(recipient.campaign.kind, score)
    if why:
        raise TenureError(f"score {score}: {why}", 422)


def landing(session: Session, settings: Settings, token: str, now: datetime) -> SurveyRecipient:
    """The recipient of a link that may still be answered (the page that asks the question)."""
    recipient = _recipient(session, settings, token, tokens.ANSWER, now)
    if recipient.token_used_at is not None:
        raise refused("used")
    return recipient


def answer(session: Session, settings: Settings, token: str, score: int, now: datetime) -> Answered:
    """Record the score of a one-click link and use the link up."""
    recipient = landing(session, settings, token, now)
    _check(recipient, score)
    response = mark_delivered(session, recipient, now)
    response.score = score
    response.responded_at = now
    recipient.token_used_at = now
    task = follow_up(session, recipient, now)
    session.flush()
    return Answered(recipient, response, edit_token(settings, recipient, now), task)


def edit(
    session: Session, settings: Settings, token: str, data: AnswerEdit, now: datetime
) -> Answered:
    """Change the score, or add a comment or the follow-up answer, from the answer page."""
    recipient = _recipient(session, settings, token, tokens.EDIT, now)
    response = recipient.response
    if response is None or response.score is None:
        raise refused("forged")  # an edit link exists only once the score is in
    if data.score is not None:
        _check(recipient, data.score)
        response.score = data.score
    if data.comment is not None:
        response.comment = data.comment
    if data.follow_up_answer is not None:
        recipient.follow_up_answer = data.follow_up_answer
    response.responded_at = now
    task = follow_up(session, recipient, now)
    session.flush()
    return Answered(recipient, response, edit_token(settings, recipient, now), task)


def follow_up(session: Session, recipient: SurveyRecipient, now: datetime) -> Task | None:
    """A task for the account's CSM, due the next day, when the answer is a detractor's (or an
    unhappy CSAT/CES); kept up to date with the comment. None when not needed or nobody owns
    the account."""
    response = recipient.response
    if response is None or response.score is None:
        return None
    task = session.get(Task, recipient.task_id) if recipient.task_id else None
    kind = recipient.campaign.kind
    if task is None and not core.needs_follow_up(kind, response.score):
        return None
    account = recipient.account
    if account.owner_id is None:
        return None
    contact = recipient.contact
    if contact is None:
        return task  # the person was erased: nobody left to call, nothing to quote
    said = f' They wrote: "{response.comment}"' if response.comment else ""
    also = (
        f' To "{recipient.campaign.follow_up}": "{recipient.follow_up_answer}"'
        if recipient.follow_up_answer
        else ""
    )
    description = (
        f"Call {contact.name} ({contact.email}) about their {kind.value.upper()} answer "
        f"of {response.score} in survey {recipient.campaign.name!r}.{said}{also}"
    )
    if task is None:
        today = now.date()
        task = Task(
            owner_id=account.owner_id,
            quarter_start=quarter_bounds(today)[0],
            reference=f"survey-{recipient.campaign_id}-{recipient.id}",
            account_id=account.id,
            client=account.external_id,
            category="retention",
            activity=FOLLOW_UP_ACTIVITY,
            signals=["detractor"],
            description=description,
            purpose="Hear out an unhappy client within a day and agree what will change",
            results="The client's concern is understood and an action is agreed",
            measurement="The client's next survey answer",
            duration_hours=0.5,
            deadline=today + timedelta(days=1),
            start=today,
            dependencies=[],
            notes="",
            value=0.0,
            status="open",
        )
        session.add(task)
        session.flush()
        recipient.task_id = task.id
    elif task.status == "open":
        task.description = description
    return task


# -- figures ----------------------------------------------------------------------------------
def recipient_rows(
    session: Session, campaign: SurveyCampaign | None = None
) -> list[core.RecipientRow]:
    query = (
        select(
            SurveyCampaign.name,
            SurveyCampaign.kind,
            Account.external_id,
            Account.segment,
            SurveyRecipient.status,
            SurveyResponse.score,
        )
        .join(SurveyCampaign, SurveyRecipient.campaign_id == SurveyCampaign.id)
        .join(Account, SurveyRecipient.account_id == Account.id)
        .outerjoin(SurveyResponse, SurveyRecipient.response_id == SurveyResponse.id)
    )
    if campaign is not None:
        query = query.where(SurveyRecipient.campaign_id == campaign.id)
    return [
        core.RecipientRow(name, kind.value, account, segment, status == DELIVERED, score)
        for name, kind, account, segment, status, score in session.execute(query)
    ]


def campaign_read(session: Session, campaign: SurveyCampaign) -> CampaignRead:
    rows = core.response_rates(recipient_rows(session, campaign), "campaign")
    figures: dict[str, Any] = rows[0] if rows else {}
    return CampaignRead(
        id=campaign.id,
        name=campaign.name,
        kind=campaign.kind,
        question=campaign.question,
        follow_up=campaign.follow_up,
        audience=Audience.model_validate(campaign.audience),
        expires_days=campaign.expires_days,
        reminder_days=campaign.reminder_days,
        status=campaign.status,
        created_by=campaign.created_by,
        created_at=campaign.created_at,
        sent_at=campaign.sent_at,
        closed_at=campaign.closed_at,
        invited=figures.get("invited", 0),
        delivered=figures.get("delivered", 0),
        answered=figures.get("answered", 0),
        response_rate=figures.get("response_rate"),
        nps=figures.get("nps"),
        csat=figures.get("csat"),
        ces=figures.get("ces"),
    )


def due_reminders(
    session: Session, campaign: SurveyCampaign, now: datetime
) -> list[SurveyRecipient]:
    """Delivered, unanswered recipients sent at least `reminder_days` ago and never reminded."""
    if campaign.reminder_days is None or campaign.status != SENT:
        return []
    before = now - timedelta(days=campaign.reminder_days)
    query = (
        select(SurveyRecipient)
        .outerjoin(SurveyResponse, SurveyRecipient.response_id == SurveyResponse.id)
        .where(
            SurveyRecipient.campaign_id == campaign.id,
            SurveyRecipient.status == DELIVERED,
            SurveyRecipient.contact_id.is_not(None),  # an erased person is never reminded
            SurveyRecipient.reminded_at.is_(None),
            SurveyRecipient.token_used_at.is_(None),
            SurveyRecipient.sent_at <= before,
            SurveyRecipient.expires_at > now,
            or_(SurveyResponse.id.is_(None), SurveyResponse.score.is_(None)),
        )
        .order_by(SurveyRecipient.id)
    )
    return list(session.scalars(query))
