"""A QBR meeting logged on the account's timeline, its agreed actions made tasks for the
account's CSM. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenure.kit.dates import quarter_bounds
from tenure.kit.errors import TenureError
from tenure.models import Account, Task, TimelineEntry, TimelineKind

# Tasks the planner did not make carry these activities (a plan's own come from playbooks).
QBR_ACTIVITY = "qbr_action"


@dataclass(frozen=True)
class AgreedAction:
    text: str
    due: date


@dataclass(frozen=True)
class MeetingLogged:
    entry: TimelineEntry
    tasks: list[Task]


def log_meeting(
    session: Session,
    account: Account,
    on: date,
    summary: str,
    actions: list[AgreedAction],
    author: str | None,
) -> MeetingLogged:
    if account.owner is None:
        raise TenureError(
            f"account {account.external_id!r} has no CSM: its agreed actions have nobody to "
            "be tasks for (set csm_email in an accounts import)",
            409,
        )
    if not actions:
        raise TenureError("a QBR meeting needs at least one agreed action (--action)", 422)
    lines = [f"QBR meeting: {summary}".rstrip(": ") if summary else "QBR meeting"]
    lines += ["Agreed actions:"] + [f"- {a.text} (by {a.due.isoformat()})" for a in actions]
    entry = TimelineEntry(
        account_id=account.id,
        kind=TimelineKind.meeting,
        author=author,
        at=datetime.combine(on, time(12), tzinfo=UTC),
        text="\n".join(lines),
    )
    session.add(entry)
    # A second meeting on the same day gets its own references.
    earlier = session.scalar(
        select(func.count())
        .select_from(Task)
        .where(
            Task.account_id == account.id,
            Task.activity == QBR_ACTIVITY,
            Task.reference.startswith(f"qbr-{account.external_id}-{on.isoformat()}"),
        )
    )
    tasks = []
    for number, action in enumerate(actions, start=1 + int(earlier or 0)):
        if action.due < on:
            raise TenureError(f"--action {action.text!r}: due {action.due} is before the meeting")
        task = Task(
            owner_id=account.owner.id,
            quarter_start=quarter_bounds(action.due)[0],
            reference=f"qbr-{account.external_id}-{on.isoformat()}.{number}",
            account_id=account.id,
            client=account.external_id,
            category="retention",
            activity=QBR_ACTIVITY,
            signals=[],
            description=action.text,
            purpose="Agreed with the client at the quarterly business review",
            results="The action is done and the client sees it done",
            measurement="Confirmed with the client",
            duration_hours=1.0,
            deadline=action.due,
            start=on,
            dependencies=[],
            notes=summary,
            value=0.0,
            status="open",
        )
        session.add(task)
        tasks.append(task)
    session.flush()
    return MeetingLogged(entry, tasks)
