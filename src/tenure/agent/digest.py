"""Each CSM's daily digest: today's tasks, the agent's drafts and proposals awaiting their
approval, and what changed in their book. Sent through the outbox as an internal message
(once per CSM and day). Never commits."""

from __future__ import annotations

from datetime import date, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.agent.service import WAITING
from tenure.config import Settings
from tenure.messaging import service as outbox
from tenure.messaging.templates import parse
from tenure.models import AgentAction, Message, Role, Task, User

TEMPLATE_FILE = "digest.toml (shipped with Tenure)"
SOON_DAYS = 14  # open tasks due this soon are today's


def digest(session: Session, settings: Settings, csm: User, day: date) -> dict[str, Any]:
    base = settings.public_url.rstrip("/")
    tasks = session.scalars(
        select(Task)
        .where(
            Task.owner_id == csm.id,
            Task.status == "open",
            Task.start <= day,
            Task.deadline <= day + timedelta(days=SOON_DAYS),
        )
        .order_by(Task.deadline, Task.reference)
    )
    waiting = session.scalars(
        select(AgentAction)
        .where(AgentAction.csm_email == csm.email, AgentAction.status.in_(WAITING))
        .order_by(AgentAction.day, AgentAction.id)
    )
    changes = session.scalars(
        select(AgentAction)
        .where(AgentAction.csm_email == csm.email, AgentAction.day == day)
        .order_by(AgentAction.id)
    )
    return {
        "day": day.isoformat(),
        "csm_email": csm.email,
        "url": f"{base}/agent?day={day.isoformat()}",
        "tasks": [
            {
                "reference": t.reference,
                "client": t.client,
                "deadline": t.deadline.isoformat(),
                "description": t.description,
            }
            for t in tasks
        ],
        "waiting": [
            {
                "id": a.id,
                "account": a.account_external_id,
                "kind": a.kind.replace("_", " "),
                "trigger": a.trigger,
                "url": f"{base}/agent?day={a.day.isoformat()}",
            }
            for a in waiting
        ],
        "changes": [
            {
                "account": a.account_external_id,
                "trigger": a.trigger,
                "evidence": "; ".join(a.evidence),
                "status": a.status.replace("_", " "),
            }
            for a in changes
        ],
    }


def csms(session: Session, email: str | None) -> list[User]:
    query = select(User).where(User.role == Role.csm).order_by(User.email)
    if email is not None:
        query = select(User).where(User.email == email.lower())
    return list(session.scalars(query))


def send(session: Session, settings: Settings, csm: User, day: date) -> Message:
    """The digest into the outbox for the CSM, approved by Tenure (an internal message);
    the same CSM and day again returns the message drafted then."""
    source = resources.files("tenure.agent").joinpath("digest.toml").read_text()
    template = outbox.TemplateVersion(parse(source, TEMPLATE_FILE), 0, source, TEMPLATE_FILE)
    message = outbox.draft_message(
        session,
        settings,
        account=None,
        template=template,
        to_email=csm.email,
        variables={"digest": digest(session, settings, csm, day)},
        reason=f"the agent's digest of {day.isoformat()}",
        source="agent",
        idempotency_key=f"agent-digest:{csm.email}:{day.isoformat()}",
        as_of=day,
    )
    if message.status in (outbox.DRAFT, outbox.PENDING):
        outbox.approve(session, settings, message, None)
    return message
