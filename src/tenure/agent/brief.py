"""The account brief: what the next touch starts from. Goals, stakeholders and their stance,
promises made and their dates, the last touches, open risks and what is being done about
them, open hand-offs; every line names its source (a note, a task, a message, a contact, a
survey answer, an agent action, a hand-off). Built from the stored facts, so it is current
whenever it is read; each agent run also keeps a copy (`AccountBrief`). Never commits."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.agent import llm
from tenure.audit.service import record_change
from tenure.config import Settings
from tenure.kit.dates import utc_now
from tenure.kit.errors import NotFound, TenureError
from tenure.models import (
    Account,
    AccountBrief,
    AgentAction,
    BriefItem,
    Contact,
    Handoff,
    SurveyResponse,
    Task,
    TimelineEntry,
    TimelineKind,
    User,
)

SECTIONS = ("goals", "stakeholders", "promises", "last_touches", "risks", "handoffs")
ITEM_SECTIONS = {"goal": "goals", "promise": "promises", "stance": "stakeholders", "note": "risks"}
TOUCH_KINDS = (
    TimelineKind.note,
    TimelineKind.email,
    TimelineKind.call,
    TimelineKind.meeting,
    TimelineKind.message,
)
LAST_TOUCHES = 5
RISK_DAYS = 45  # agent triggers this recent are open risks
HANDOFF_DAYS = 90


@dataclass(frozen=True)
class Line:
    section: str
    text: str
    source: str  # kind:id, e.g. task:12, timeline:5, contact:3
    day: str | None = None


def _end(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def account_of(session: Session, external_id: str) -> Account:
    account = session.scalar(select(Account).where(Account.external_id == external_id))
    if account is None:
        raise NotFound(f"no account with external_id {external_id!r}")
    return account


def build(session: Session, account: Account, day: date) -> list[Line]:
    """The brief as of a day, in SECTIONS order."""
    end = _end(day)
    lines: list[Line] = []
    items = list(
        session.scalars(
            select(BriefItem)
            .where(BriefItem.account_id == account.id, BriefItem.created_at < end)
            .order_by(BriefItem.due, BriefItem.id)
        )
    )
    for item in items:
        if item.section == "goal":
            state = "met" if item.done else (f"due {item.due}" if item.due else "open")
            lines.append(
                Line("goals", f"{item.text} ({state})", f"brief:{item.id}", _iso(item.due))
            )
    lines += _goals(session, account, day)
    lines += _stakeholders(session, account, end, items)
    for item in items:
        if item.section == "promise":
            state = "kept" if item.done else (f"due {item.due}" if item.due else "no date")
            overdue = not item.done and item.due is not None and item.due < day
            text = f"{item.text} ({state}{', overdue' if overdue else ''})"
            lines.append(Line("promises", text, f"brief:{item.id}", _iso(item.due)))
    touches = session.scalars(
        select(TimelineEntry)
        .where(
            TimelineEntry.account_id == account.id,
            TimelineEntry.kind.in_(TOUCH_KINDS),
            TimelineEntry.at < end,
        )
        .order_by(TimelineEntry.at.desc(), TimelineEntry.id.desc())
        .limit(LAST_TOUCHES)
    )
    for entry in touches:
        who = f" by {entry.author}" if entry.author else ""
        text = f"{entry.kind.value}{who}: {_short(entry.text)}"
        lines.append(Line("last_touches", text, f"timeline:{entry.id}", _iso(entry.at.date())))
    lines += _risks(session, account, day, items)
    handoffs = session.scalars(
        select(Handoff)
        .where(
            Handoff.account_id == account.id,
            Handoff.created_at < end,
            Handoff.created_at >= end - timedelta(days=HANDOFF_DAYS),
        )
        .order_by(Handoff.id)
    )
    for handoff in handoffs:
        lines.append(
            Line(
                "handoffs",
                f"to {handoff.lane}: {_short(handoff.summary)}",
                f"handoff:{handoff.id}",
                _iso(handoff.created_at.date()),
            )
        )
    return lines


def _goals(session: Session, account: Account, day: date) -> list[Line]:
    """The account's success goals from the goals domain, the earliest first (its first
    milestone is the first-value milestone), each with where its progress comes from."""
    from tenure.goals import service as goals

    lines = []
    for i, goal in enumerate(goals.account_goals(session, account)):
        if goal.created_at.date() > day:
            continue
        read = goals.goal_read(goal, None, day, first_goal=i == 0)
        unit = f" {read.unit}" if read.unit else ""
        measured = f"metric {read.metric}" if read.metric else "recorded by the CSM"
        text = (
            f"{read.title}: {read.measure}, target {read.target:g}{unit} by "
            f"{read.due_date.isoformat()} ({read.status}, {measured})"
        )
        first = next((m for m in read.milestones if m.first_value), None)
        if first is not None:
            state = (
                f"reached {first.reached_on.isoformat()}"
                if first.reached_on and first.reached_on <= day
                else (f"due {first.due_date.isoformat()}" if first.due_date else "open")
            )
            text += f"; first-value milestone: {first.title} ({state})"
        lines.append(Line("goals", text, f"goal:{goal.id}", read.due_date.isoformat()))
    return lines


def _stakeholders(
    session: Session, account: Account, end: datetime, items: list[BriefItem]
) -> list[Line]:
    out = []
    answers: dict[str, SurveyResponse] = {}
    for response in session.scalars(
        select(SurveyResponse)
        .where(
            SurveyResponse.account_id == account.id,
            SurveyResponse.score.is_not(None),
            SurveyResponse.responded_at < end,
        )
        .order_by(SurveyResponse.responded_at)
    ):
        if response.contact_email:
            answers[response.contact_email.lower()] = response
    contacts = session.scalars(
        select(Contact).where(Contact.account_id == account.id).order_by(Contact.name)
    )
    for contact in contacts:
        role = ", ".join(
            part
            for part in (
                contact.title,
                "sponsor" if contact.is_sponsor else None,
            )
            if part
        )
        answer = answers.get((contact.email or "").lower())
        if answer is not None and answer.score is not None:
            stance = _stance(answer.kind.value, answer.score)
            day = answer.responded_at.date() if answer.responded_at else None
            # One person's answer, not a score over many: "NPS answer 9", never "NPS 9".
            said = f"{answer.kind.value.upper()} answer {answer.score} on {day}"
            text = f"{contact.name} ({role or 'contact'}): {stance}, {said}"
            out.append(Line("stakeholders", text, f"survey:{answer.external_id}", _iso(day)))
        elif contact.is_sponsor or contact.seniority is not None:
            out.append(
                Line(
                    "stakeholders",
                    f"{contact.name} ({role or 'contact'}): stance unknown",
                    f"contact:{contact.id}",
                )
            )
    for item in items:
        if item.section == "stance":
            out.append(Line("stakeholders", item.text, f"brief:{item.id}", _iso(item.due)))
    return out


def _stance(kind: str, score: int) -> str:
    if kind == "nps":
        return "promoter" if score >= 9 else ("passive" if score >= 7 else "detractor")
    if kind == "csat":
        return "satisfied" if score >= 4 else ("neutral" if score == 3 else "unhappy")
    return "answered"


def _risks(session: Session, account: Account, day: date, items: list[BriefItem]) -> list[Line]:
    out = []
    seen_tasks: set[int] = set()
    actions = session.scalars(
        select(AgentAction)
        .where(
            AgentAction.account_id == account.id,
            AgentAction.day <= day,
            AgentAction.day > day - timedelta(days=RISK_DAYS),
            AgentAction.status.not_in(("rejected", "undone", "refused", "forbidden")),
        )
        .order_by(AgentAction.day, AgentAction.id)
    )
    for action in actions:
        if action.kind.startswith("handoff_"):
            continue
        doing = ""
        if action.task is not None:
            seen_tasks.add(action.task.id)
            task = action.task
            doing = f" -> task {task.reference} ({task.status}, due {task.deadline})"
        elif action.kind == "draft":
            doing = f" -> draft to {action.payload.get('to')} ({action.status})"
        else:
            doing = f" ({action.status})"
        text = f"{action.trigger}: {'; '.join(action.evidence)}{doing}"
        out.append(Line("risks", text, f"agent_action:{action.id}", action.day.isoformat()))
    for task in session.scalars(
        select(Task)
        .where(Task.account_id == account.id, Task.status == "open")
        .order_by(Task.deadline, Task.id)
    ):
        if task.id in seen_tasks:
            continue
        text = f"planned: {task.reference}: {_short(task.description)} (due {task.deadline})"
        out.append(Line("risks", text, f"task:{task.id}", task.deadline.isoformat()))
    for item in items:
        if item.section == "note":
            out.append(Line("risks", item.text, f"brief:{item.id}", _iso(item.due)))
    return out


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _short(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def store(
    session: Session, account: Account, day: date, settings: Settings | None = None
) -> AccountBrief:
    """Keep the brief as of a day (changed only when a line changed, so a rerun is a
    no-op), with a language model's summary of it when one is set."""
    built = build(session, account, day)
    lines = [asdict(line) for line in built]
    row = session.scalar(select(AccountBrief).where(AccountBrief.account_id == account.id))
    # A replay of an earlier day leaves the brief of a later one as it is.
    if row is not None and (row.lines == lines or row.as_of > day):
        return row
    if row is None:
        row = AccountBrief(account_id=account.id, as_of=day, lines=lines)
        session.add(row)
    row.lines = lines
    row.as_of = day
    row.updated_at = utc_now()
    if settings is not None:
        # Only the brief's own lines go to the model (allow-listed by construction).
        row.summary, _ = llm.summary(settings, [f"{x.section}: {x.text}" for x in built])
    return row


def add_item(
    session: Session,
    account: Account,
    section: str,
    text: str,
    due: date | None,
    by: User | None,
    via: str,
) -> BriefItem:
    """A CSM's line: a goal, a promise (with its date), a stakeholder's stance, or a note."""
    if section not in ITEM_SECTIONS:
        raise TenureError(f"--add {section!r}: one of {', '.join(ITEM_SECTIONS)}")
    if not text.strip():
        raise TenureError("the brief line is empty")
    item = BriefItem(
        account_id=account.id,
        section=section,
        text=" ".join(text.split()),
        due=due,
        author=by.email if by else None,
    )
    session.add(item)
    session.flush()
    record_change(
        session,
        by,
        "brief.add",
        f"account:{account.external_id}",
        None,
        {"id": item.id, "section": section, "text": item.text, "due": due},
        via=via,
    )
    return item


def records(lines: list[Line]) -> list[dict[str, Any]]:
    return [asdict(line) for line in lines]
