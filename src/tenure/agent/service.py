"""The agent's daily run: refresh the day, see what changed, act inside the mandate, record
every action. Also its mandates and the decisions people take on what it proposed.

Never commits: the CLI command, the request or the scheduler owns the unit of work, so a run
that fails half-way leaves nothing behind (and a crash never acts twice: every action has
its idempotency key, unique in the database).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenure.agent import brief, links, llm
from tenure.agent.boundaries import (
    BoundaryError,
    check_action,
    check_handoff,
    check_recipient,
    check_text,
)
from tenure.agent.drafts import Draft
from tenure.agent.mandate import DEFAULT_FILE, Mandate, default_source, parse_mandate
from tenure.agent.plays import Proposal, Recipient, propose
from tenure.agent.triggers import Answer, Seen, Sponsor, detect, state_of
from tenure.audit.service import record_change
from tenure.config import Settings
from tenure.kit.dates import utc_now
from tenure.kit.errors import Forbidden, NotFound, TenureError
from tenure.models import (
    Account,
    AgentAction,
    AgentMandate,
    AgentRun,
    AgentState,
    Contact,
    Role,
    SurveyResponse,
    Task,
    TimelineEntry,
    TimelineKind,
    User,
)
from tenure.plans.playbooks import Library
from tenure.plans.service import active_library, load_book
from tenure.plans.signals import AccountFacts, Comparable, comparisons, compute_signals
from tenure.warehouse import Warehouse

# Statuses an action can have; the first ones wait for a person.
WAITING = ("proposed", "awaiting_approval")
DONE = ("done", "approved")
# Statuses that used the touch budget (a message drafted for the client counts once drafted).
COUNTED = (*WAITING, *DONE)
TOUCHES = (TimelineKind.email, TimelineKind.call, TimelineKind.meeting, TimelineKind.message)
ANSWERS_DAYS = 400
# A survey invitation this recent means the account is not surveyed again yet.
SURVEY_REST_DAYS = 90

# The account page's brief, read through the agent's public face.
brief_account_of = brief.account_of
build_brief = brief.build


# -- the service identity and the mandate ------------------------------------------------------


def agent_user(session: Session, settings: Settings) -> User:
    """The agent's own user: a viewer without a password, so it can never log in, and every
    change it makes is audited under its name, not an admin's."""
    email = settings.agent_email.lower()
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name="Tenure agent", role=Role.viewer, password_hash=None)
        session.add(user)
        session.flush()
    return user


def _latest_mandate(session: Session) -> AgentMandate | None:
    return session.scalar(select(AgentMandate).order_by(AgentMandate.version.desc()).limit(1))


def active_mandate(session: Session) -> Mandate:
    """The latest loaded mandate, or the one shipped with Tenure (version 0, shadow mode)."""
    row = _latest_mandate(session)
    if row is None:
        return parse_mandate(default_source(), DEFAULT_FILE)
    return parse_mandate(row.source, row.source_file or f"mandate v{row.version}", row.version)


def active_mandate_source(session: Session) -> tuple[str, str, int]:
    row = _latest_mandate(session)
    if row is None:
        return default_source(), DEFAULT_FILE, 0
    return row.source, row.source_file or f"mandate v{row.version}", row.version


@dataclass(frozen=True)
class MandateLoaded:
    mandate: Mandate
    created: bool


def load_mandate(
    session: Session, text: str, file: str, by: User | None, via: str = "cli"
) -> MandateLoaded:
    """Check a mandate and store it as the next version (the same text stores nothing)."""
    parse_mandate(text, file)
    latest = _latest_mandate(session)
    if latest is not None and latest.source == text:
        return MandateLoaded(parse_mandate(text, file, latest.version), False)
    version = latest.version + 1 if latest else 1
    session.add(
        AgentMandate(
            version=version,
            source=text,
            source_file=file,
            loaded_by=by.email if by else None,
        )
    )
    session.flush()
    mandate = parse_mandate(text, file, version)
    record_change(
        session,
        by,
        "agent.mandate",
        f"agent_mandate:{version}",
        None,
        {"version": version, "file": file, "mode": mandate.mode, "actions": mandate.actions},
        via=via,
    )
    return MandateLoaded(mandate, True)


# -- the run -----------------------------------------------------------------------------------


@dataclass
class RunResult:
    day: date
    scope: str
    mandate_version: int
    mode: str
    accounts: int = 0
    triggers: int = 0
    new: list[AgentAction] = field(default_factory=list)
    changed: list[AgentAction] = field(default_factory=list)
    already: int = 0
    covered: int = 0  # triggers an open task already answers
    expired: int = 0
    rerun: bool = False

    def summary(self) -> dict[str, Any]:
        counts: dict[str, int] = defaultdict(int)
        for action in self.new:
            counts[action.status] += 1
        return {
            "accounts": self.accounts,
            "triggers": self.triggers,
            "new_actions": len(self.new),
            "by_status": dict(sorted(counts.items())),
            "changed": len(self.changed),
            "already_done": self.already,
            "covered_by_open_tasks": self.covered,
            "expired": self.expired,
        }


def refresh(session: Session, warehouse: Warehouse, settings: Settings, day: date) -> str:
    """What `tenure daily` does for the day, skipping what is already there: load the intake
    log, compute the day's usage metrics when new events came or the day has none (health
    follows: the book computes the day's missing snapshots when it is loaded)."""
    from tenure.usage import service as usage

    loaded = usage.load_intake(warehouse, settings)
    fresh = loaded is not None and loaded.stored > 0
    known = warehouse.metrics.read(start=day, end=day) if not fresh else None
    if fresh or known is None or known.num_rows == 0:
        metrics = usage.compute_metrics(session, warehouse, settings, [day])
        return metrics.summary()
    return f"usage metrics of {day} already computed"


def run(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    day: date,
    csm: str | None = None,
    refresh_day: bool = True,
) -> RunResult:
    """One day's run over every book (or one CSM's). Running a day again acts on nothing
    already acted on; an earlier day replays it with the data as it is now."""
    mandate = active_mandate(session)
    library = active_library(session)
    agent = agent_user(session, settings)
    scope = csm.lower() if csm else "*"
    result = RunResult(day, scope, mandate.version, mandate.mode)
    if refresh_day:
        refresh(session, warehouse, settings, day)
    book = load_book(session, warehouse, settings, day, csm)
    everyone: list[Comparable] = [*book.facts, *book.others]
    compared = comparisons(everyone, library.rules)
    found = compute_signals(book.facts, day, day, library.rules, compared=compared)
    ids = {ext: account.id for ext, account in book.accounts.items()}
    extra = _extra(session, warehouse, settings, day, list(ids.values()))
    previous = _previous_states(session, day, list(ids.values()))
    existing_run = session.scalar(
        select(AgentRun).where(AgentRun.day == day, AgentRun.scope == scope)
    )
    result.rerun = existing_run is not None
    budget = _Budget(session, day)
    for facts in book.facts:
        account = book.accounts[facts.external_id]
        seen = Seen(
            facts=facts,
            signals=found.get(facts.external_id, []),
            customer_since=account.customer_since,
            answers=extra.answers.get(account.id, ()),
            sponsors=extra.sponsors.get(account.id, ()),
            goals=links.first_value_goal(session, account, day),
            last_answer=extra.last_answer.get(account.id),
        )
        before, before_day = previous.get(account.id, (None, None))
        triggers = detect(seen, day, before, before_day, mandate.triggers)
        result.accounts += 1
        result.triggers += len(triggers)
        recipient = _recipient(extra.contacts.get(account.id, []), triggers)
        for trigger in triggers:
            contact = (
                Recipient(trigger.contact_email, trigger.contact_email)
                if trigger.contact_email
                else recipient
            )
            names = extra.names.get(account.id, {})
            if trigger.contact_email and trigger.contact_email in names:
                contact = Recipient(names[trigger.contact_email], trigger.contact_email)
            for proposal in propose(
                facts.external_id,
                facts.name,
                trigger,
                mandate.plays,
                contact,
                _surveyable(extra, account.id, day),
            ):
                _handle(
                    session,
                    settings,
                    result,
                    proposal,
                    facts,
                    account,
                    mandate,
                    library,
                    agent,
                    day,
                    budget,
                )
        _store_state(session, account.id, day, state_of(seen, mandate.triggers))
    _release(session, settings, result, mandate, library, agent, day, budget)
    result.expired = _expire(session, agent, mandate, day, scope)
    session.flush()
    # Last: the briefs show every action of the day, released and expired ones included.
    for account in book.accounts.values():
        brief.store(session, account, day, settings)
    if existing_run is None:
        session.add(
            AgentRun(
                day=day,
                scope=scope,
                mandate_version=mandate.version,
                finished_at=utc_now(),
                summary=result.summary(),
            )
        )
    session.flush()
    return result


@dataclass
class _Extra:
    answers: dict[int, list[Answer]] = field(default_factory=lambda: defaultdict(list))
    last_answer: dict[int, date] = field(default_factory=dict)
    last_invited: dict[int, date] = field(default_factory=dict)
    sponsors: dict[int, list[Sponsor]] = field(default_factory=lambda: defaultdict(list))
    contacts: dict[int, list[Contact]] = field(default_factory=lambda: defaultdict(list))
    names: dict[int, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def _extra(
    session: Session, warehouse: Warehouse, settings: Settings, day: date, ids: Sequence[int]
) -> _Extra:
    """Survey answers, sponsors (with their last product event) and contacts."""
    out = _Extra()
    if not ids:
        return out
    end = _end_of(day)
    responses = session.scalars(
        select(SurveyResponse)
        .where(
            SurveyResponse.account_id.in_(list(ids)),
            SurveyResponse.score.is_not(None),
            SurveyResponse.responded_at < end,
            SurveyResponse.responded_at >= end - timedelta(days=ANSWERS_DAYS),
        )
        .order_by(SurveyResponse.responded_at)
    )
    for response in responses:
        assert response.responded_at is not None
        assert response.score is not None
        answered = response.responded_at.astimezone(UTC).date()
        out.answers[response.account_id].append(
            Answer(
                response.external_id,
                response.contact_email,
                response.kind.value,
                response.score,
                answered,
                response.comment,
            )
        )
        out.last_answer[response.account_id] = answered
    invited = session.execute(
        select(SurveyResponse.account_id, func.max(SurveyResponse.sent_at))
        .where(SurveyResponse.account_id.in_(list(ids)), SurveyResponse.sent_at < end)
        .group_by(SurveyResponse.account_id)
    )
    for account_id, sent_at in invited:
        if sent_at is not None:
            out.last_invited[account_id] = sent_at.astimezone(UTC).date()
    contacts = list(
        session.scalars(
            select(Contact).where(Contact.account_id.in_(list(ids))).order_by(Contact.id)
        )
    )
    sponsor_users = [c.user_id for c in contacts if c.is_sponsor and c.user_id]
    last_active = links.last_events(warehouse, settings, sponsor_users, day)
    for contact in contacts:
        out.contacts[contact.account_id].append(contact)
        if contact.email:
            out.names[contact.account_id][contact.email] = contact.name
        if contact.is_sponsor:
            out.sponsors[contact.account_id].append(
                Sponsor(contact.email, contact.name, last_active.get(contact.user_id or ""))
            )
    return out


def _surveyable(extra: _Extra, account_id: int, day: date) -> list[str]:
    """The sponsors a survey may go to: none while the account's last survey is under
    SURVEY_REST_DAYS old (its answers may still come, and the surveys domain reminds
    non-responders), so a client is never surveyed twice in a row."""
    invited = extra.last_invited.get(account_id)
    if invited is not None and (day - invited).days < SURVEY_REST_DAYS:
        return []
    return [s.email for s in extra.sponsors.get(account_id, ()) if s.email]


def _recipient(contacts: Sequence[Contact], triggers: Sequence[Any]) -> Recipient | None:
    """Who a draft to the account goes to: its most senior sponsor with an email, else the
    first contact with one."""
    if not triggers:
        return None
    rank = {"c_level": 0, "vp": 1, "director": 2, "manager": 3, "staff": 4}
    with_email = [c for c in contacts if c.email]
    if not with_email:
        return None
    best = sorted(
        with_email,
        key=lambda c: (not c.is_sponsor, rank.get(c.seniority.value if c.seniority else "", 9)),
    )[0]
    assert best.email is not None
    return Recipient(best.name, best.email)


def _previous_states(
    session: Session, day: date, ids: Sequence[int]
) -> dict[int, tuple[dict[str, Any], date]]:
    """Each account's state on the latest run before `day`."""
    if not ids:
        return {}
    latest = (
        select(AgentState.account_id, func.max(AgentState.day).label("day"))
        .where(AgentState.day < day, AgentState.account_id.in_(list(ids)))
        .group_by(AgentState.account_id)
        .subquery()
    )
    rows = session.scalars(
        select(AgentState).join(
            latest,
            (AgentState.account_id == latest.c.account_id) & (AgentState.day == latest.c.day),
        )
    )
    return {row.account_id: (dict(row.state), row.day) for row in rows}


def _store_state(session: Session, account_id: int, day: date, state: dict[str, Any]) -> None:
    row = session.scalar(
        select(AgentState).where(AgentState.account_id == account_id, AgentState.day == day)
    )
    if row is None:
        session.add(AgentState(account_id=account_id, day=day, state=state))
    elif row.state != state:
        row.state = state


class _Budget:
    """Messages drafted per account in the week up to the day, and overall on the day."""

    def __init__(self, session: Session, day: date):
        self.session = session
        self.day = day

    def account_week(self, account_id: int) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(AgentAction)
                .where(
                    AgentAction.account_id == account_id,
                    AgentAction.kind == "draft",
                    AgentAction.status.in_(COUNTED),
                    AgentAction.day > self.day - timedelta(days=7),
                    AgentAction.day <= self.day,
                )
            )
            or 0
        )

    def today(self) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(AgentAction)
                .where(
                    AgentAction.kind == "draft",
                    AgentAction.status.in_(COUNTED),
                    AgentAction.day == self.day,
                )
            )
            or 0
        )


def _open_task_for(session: Session, account: Account, proposal: Proposal) -> Task | None:
    """An open task already answering this trigger: one of the same activity for the account
    (the agent's or a planned one), or for a renewal window one made for that very window
    (each window of a renewal gets its own review)."""
    if proposal.trigger.kind == "renewal_window":
        made = session.scalars(
            select(Task)
            .join(AgentAction, AgentAction.task_id == Task.id)
            .where(AgentAction.account_id == account.id, Task.status == "open")
        )
        return next((t for t in made if proposal.trigger.label in t.signals), None)
    if proposal.activity is None:
        return None
    if proposal.trigger.kind == "detractor":
        # The surveys domain makes its own follow-up task for an answer it collected: that
        # one answers the trigger already.
        follow_up = links.follow_up_task(session, proposal.trigger.window)
        if follow_up is not None:
            return follow_up
    return session.scalar(
        select(Task)
        .where(
            Task.account_id == account.id,
            Task.activity == proposal.activity,
            Task.status == "open",
        )
        .limit(1)
    )


def _handle(
    session: Session,
    settings: Settings,
    result: RunResult,
    proposal: Proposal,
    facts: AccountFacts,
    account: Account,
    mandate: Mandate,
    library: Library,
    agent: User,
    day: date,
    budget: _Budget,
) -> None:
    if session.scalar(select(AgentAction.id).where(AgentAction.key == proposal.key)):
        result.already += 1
        return
    if proposal.kind == "task" and _open_task_for(session, account, proposal) is not None:
        result.covered += 1
        return
    action = AgentAction(
        key=proposal.key,
        day=day,
        account_id=account.id,
        account_external_id=facts.external_id,
        csm_email=facts.csm_email,
        trigger=proposal.trigger.label,
        play=proposal.play,
        kind=proposal.kind,
        decision="shadow" if mandate.shadow else mandate.decision(proposal.action),
        status="proposed",
        evidence=list(proposal.trigger.evidence),
        rule=proposal.rule,
        policy_version=mandate.version,
        payload={**proposal.payload, "activity": proposal.activity, "client": facts.name},
        reason="",
    )
    if action.kind == "draft":
        _model_text(settings, action, facts)
    session.add(action)
    session.flush()
    hold = _hold(session, action, mandate, budget, day)
    if hold is not None:
        action.status = "held"
        action.reason = hold
    else:
        _decide_new(session, settings, action, mandate, library, agent, day)
    session.flush()
    record_change(
        session,
        agent,
        f"agent.{action.kind}",
        _target(action),
        None,
        action_record(action),
        via="agent",
    )
    result.new.append(action)


def _release(
    session: Session,
    settings: Settings,
    result: RunResult,
    mandate: Mandate,
    library: Library,
    agent: User,
    day: date,
    budget: _Budget,
) -> None:
    """Drafts held back on an earlier day by a budget or a quiet period go ahead once it
    allows them, oldest first (the trigger that made them may be long gone)."""
    query = select(AgentAction).where(AgentAction.status == "held", AgentAction.day < day)
    if result.scope != "*":
        query = query.where(AgentAction.csm_email == result.scope)
    for action in session.scalars(query.order_by(AgentAction.day, AgentAction.id)):
        if _hold(session, action, mandate, budget, day) is not None:
            continue
        before = action_record(action)
        _decide_new(session, settings, action, mandate, library, agent, day)
        session.flush()
        record_change(
            session,
            agent,
            "agent.release",
            _target(action),
            before,
            action_record(action),
            via="agent",
        )
        result.changed.append(action)


def _model_text(settings: Settings, action: AgentAction, facts: AccountFacts) -> None:
    """The language model's body for a draft when one is set; what it was sent is kept."""
    if not llm.enabled(settings):
        return
    template = Draft(str(action.payload["subject"]), str(action.payload["body"]))
    name = str(action.payload.get("to_name") or "")
    allowed = {
        "account": facts.name,
        "recipient_first_name": name.split()[0] if name.strip() else "",
        "why": action.trigger.split(":")[0].replace("_", " "),
        "facts": "; ".join(action.evidence),
        "template": template.body,
    }
    chosen, record = llm.draft_text(settings, template, allowed)
    action.payload = {**action.payload, "body": chosen.body}
    action.llm = record


def _target(action: AgentAction) -> str:
    return f"account:{action.account_external_id}"


def _hold(
    session: Session,
    action: AgentAction,
    mandate: Mandate,
    budget: _Budget,
    day: date,
) -> str | None:
    """Why a draft waits (budget, quiet period), None when it may go ahead."""
    if action.kind != "draft" or action.account_id is None:
        return None
    if mandate.quiet.during_open_incident and links.open_incident(session, action.account_id, day):
        return "quiet: an incident is open"
    days = mandate.quiet.days_after_last_touch
    touch = _last_touch(session, action.account_id, day)
    if days and touch is not None and (day - touch).days < days:
        return f"quiet: last touch on {touch.isoformat()}, under {days} days ago"
    if budget.account_week(action.account_id) - _counted(action) >= (
        mandate.limits.messages_per_account_per_week
    ):
        return (
            f"budget: {mandate.limits.messages_per_account_per_week} message(s) per account "
            "per week already drafted"
        )
    if budget.today() - _counted(action) >= mandate.limits.messages_per_day:
        return f"budget: {mandate.limits.messages_per_day} messages today already drafted"
    return None


def _counted(action: AgentAction) -> int:
    # The action itself is in the session already; it must not count against itself.
    return 1 if action.status in COUNTED and action.id is not None else 0


def _last_touch(session: Session, account_id: int, day: date) -> date | None:
    at = session.scalar(
        select(func.max(TimelineEntry.at)).where(
            TimelineEntry.account_id == account_id,
            TimelineEntry.kind.in_(TOUCHES),
            TimelineEntry.at < _end_of(day),
        )
    )
    return at.astimezone(UTC).date() if at else None


def _decide_new(
    session: Session,
    settings: Settings,
    action: AgentAction,
    mandate: Mandate,
    library: Library,
    agent: User,
    day: date,
) -> None:
    """Shadow: proposed. forbid: nothing. approve: waits for a person. auto: done now. A
    hard boundary refuses the action whatever the decision."""
    try:
        guard(session, action)
    except BoundaryError as crossed:
        action.status = "refused"
        action.reason = crossed.message
        return
    if action.decision == "forbid":
        action.status = "forbidden"
        action.reason = "the mandate forbids it"
        return
    if action.decision in ("shadow", "approve"):
        action.status = "proposed" if action.decision == "shadow" else "awaiting_approval"
        action.expires_on = day + timedelta(days=mandate.approvals.expire_after_days)
        return
    perform(session, settings, action, library, agent, None, day)


def guard(session: Session, action: AgentAction) -> None:
    """The hard boundaries, checked where the action happens (on proposing it, and again on
    doing it, so an approval cannot lift them either)."""
    check_action(action.kind)
    if action.kind == "draft":
        check_recipient(
            action.payload.get("to"), links.opted_out(session, [action.payload.get("to")])
        )
        check_text(f"{action.payload.get('subject', '')}\n{action.payload.get('body', '')}")
    elif action.kind == "survey":
        sponsors = [str(e) for e in action.payload.get("to") or []]
        out = links.opted_out(session, sponsors)
        if not [e for e in sponsors if e not in out]:
            check_recipient(sponsors[0] if sponsors else None, out)
    elif action.kind.startswith("handoff_"):
        check_handoff(action.kind, action.payload.get("team"), action.evidence)


def perform(
    session: Session,
    settings: Settings,
    action: AgentAction,
    library: Library,
    agent: User,
    approver: User | None,
    day: date,
) -> None:
    """Do the action. A draft without a person's approval waits for one before it is sent,
    unless the mandate sends on its own (never for a language model's text)."""
    guard(session, action)
    if action.kind == "task":
        action.task_id = _make_task(session, action, library, day).id
        action.status = "done"
    elif action.kind == "draft":
        alone = (
            approver is None
            and action.decision == "auto"
            and not (action.llm or {}).get("used")
            and active_mandate(session).decision("send_message") == "auto"
        )
        if action.message_ref is None:
            # Sent without a person only when the mandate says so: Tenure approves it then,
            # and the message has no author (the audit names the agent).
            author = None if alone else agent
            action.message_ref = links.draft(session, settings, action, author, not alone)
        if approver is not None:
            links.approve(session, settings, action, approver)
            action.status = "approved"
        elif alone:
            links.approve(session, settings, action, None)
            action.status = "done"
        else:
            action.status = "awaiting_approval"
            action.expires_on = day + timedelta(
                days=active_mandate(session).approvals.expire_after_days
            )
    elif action.kind == "survey":
        mandate = active_mandate(session)
        alone = (
            approver is None
            and action.decision == "auto"
            and mandate.decision("send_message") == "auto"
        )
        if action.message_ref is None:
            action.message_ref = links.schedule_survey(session, settings, action, agent)
        if approver is not None:
            links.approve_survey(session, settings, action, approver)
            action.status = "approved"
        elif alone:
            links.approve_survey(session, settings, action, None)
            action.status = "done"
        else:
            action.status = "awaiting_approval"
            action.expires_on = day + timedelta(days=mandate.approvals.expire_after_days)
    elif action.kind.startswith("handoff_"):
        action.message_ref = links.handoff(session, settings, action, agent)
        action.status = "done"
    if approver is not None:
        action.approver = approver.email
        action.decided_at = utc_now()
    session.flush()


def _make_task(session: Session, action: AgentAction, library: Library, day: date) -> Task:
    activity_key = action.payload.get("activity") or ""
    activity = library.activities.get(activity_key)
    if activity is None:
        raise TenureError(
            f"the mandate's play for {action.trigger} names activity {activity_key!r}, which "
            f"the playbook library ({library.file}) does not define"
        )
    account = session.get(Account, action.account_id) if action.account_id else None
    if account is None or account.owner_id is None:
        raise TenureError(f"{action.account_external_id}: the account has no CSM to give the task")
    renewal = None
    if action.trigger.startswith("renewal_window"):
        renewal = date.fromisoformat(action.key.rsplit(":", 2)[-2])
    deadline = activity.deadline.resolve(
        day, day + timedelta(days=90), renewal, account.customer_since or day
    )
    if deadline is None or deadline < day:
        deadline = day + timedelta(days=14)
    label = action.trigger.replace(":", "-").replace("@", "-at-")
    task = Task(
        owner_id=account.owner_id,
        quarter_start=day,
        # The action's id keeps references unique however many times a trigger recurs.
        reference=f"{activity.prefix}-{account.external_id}-{label}-a{action.id}"[:250],
        account_id=account.id,
        client=account.external_id,
        onboarding=False,
        category=activity.category,
        activity=activity.key,
        signals=[action.trigger],
        description=activity.description,
        purpose=activity.purpose,
        results=activity.results,
        measurement=activity.measurement,
        duration_hours=activity.hours,
        deadline=deadline,
        start=day,
        dependencies=[],
        notes="Made by the agent: " + "; ".join(action.evidence),
        value=0.0,
        status="open",
    )
    session.add(task)
    session.flush()
    return task


def _expire(session: Session, agent: User, mandate: Mandate, day: date, scope: str) -> int:
    if mandate.approvals.on_expiry == "keep":
        return 0
    query = select(AgentAction).where(AgentAction.status.in_(WAITING), AgentAction.expires_on < day)
    if scope != "*":
        query = query.where(AgentAction.csm_email == scope)
    count = 0
    for action in session.scalars(query):
        before = action_record(action)
        if action.message_ref:
            links.cancel(session, action)
        action.status = "expired"
        action.reason = f"no decision by {action.expires_on}: cancelled (approvals.on_expiry)"
        record_change(
            session,
            agent,
            "agent.expire",
            _target(action),
            before,
            action_record(action),
            via="agent",
        )
        count += 1
    return count


# -- reading and deciding ----------------------------------------------------------------------


def action_record(action: AgentAction) -> dict[str, Any]:
    """An action as its audit entry and its JSON record show it."""
    return {
        "id": action.id,
        "key": action.key,
        "day": action.day.isoformat(),
        "account_external_id": action.account_external_id,
        "csm_email": action.csm_email,
        "trigger": action.trigger,
        "evidence": list(action.evidence),
        "play": action.play,
        "rule": action.rule,
        "policy_version": action.policy_version,
        "kind": action.kind,
        "decision": action.decision,
        "status": action.status,
        "approval": action.approver,
        "reason": action.reason,
        "task_reference": action.task.reference if action.task else None,
        "message_ref": action.message_ref,
        "payload": dict(action.payload),
        "llm": action.llm,
    }


def list_actions(
    session: Session,
    day: date | None = None,
    csm: str | None = None,
    status: str | None = None,
    account: str | None = None,
) -> list[AgentAction]:
    query = select(AgentAction)
    if day is not None:
        query = query.where(AgentAction.day == day)
    if csm is not None:
        query = query.where(AgentAction.csm_email == csm.lower())
    if status is not None:
        query = query.where(AgentAction.status == status)
    if account is not None:
        query = query.where(AgentAction.account_external_id == account)
    return list(session.scalars(query.order_by(AgentAction.day.desc(), AgentAction.id)))


def get_action(session: Session, action_id: int) -> AgentAction:
    action = session.get(AgentAction, action_id)
    if action is None:
        raise NotFound(f"no agent action with id {action_id}")
    return action


def _may_decide(settings: Settings, action: AgentAction, by: User) -> None:
    if by.email == settings.agent_email.lower():
        raise Forbidden("the agent cannot approve its own actions")
    if by.role in (Role.admin, Role.manager):
        return
    if by.role == Role.csm and action.csm_email == by.email:
        return
    raise Forbidden(f"{by.email} may decide only on the agent's actions in their own book")


def decide(
    session: Session,
    settings: Settings,
    action_id: int,
    verdict: str,
    by: User,
    via: str,
    day: date | None = None,
) -> AgentAction:
    """approve / reject what waits for a person, or undo what the agent did."""
    action = get_action(session, action_id)
    _may_decide(settings, action, by)
    before = action_record(action)
    today = day or utc_now().date()
    if verdict == "approve":
        if action.status not in WAITING and action.status != "held":
            raise TenureError(f"agent action {action_id} is {action.status}: nothing to approve")
        library = active_library(session)
        try:
            perform(session, settings, action, library, agent_user(session, settings), by, today)
        except BoundaryError as crossed:
            action.status = "refused"
            action.reason = crossed.message
    elif verdict == "reject":
        if action.status not in WAITING and action.status != "held":
            raise TenureError(f"agent action {action_id} is {action.status}: nothing to reject")
        if action.message_ref:
            links.cancel(session, action)
        action.status = "rejected"
        action.approver = by.email
        action.decided_at = utc_now()
    elif verdict == "undo":
        if action.status not in DONE:
            raise TenureError(f"agent action {action_id} is {action.status}: nothing to undo")
        if action.task is not None:
            if action.task.status != "open":
                raise TenureError(f"task {action.task.reference} is done already: not undone")
            task = action.task
            action.task_id = None
            session.delete(task)
        if action.kind.startswith("handoff_"):
            links.cancel_handoff(session, action)
        elif action.message_ref:
            links.cancel(session, action)
        action.status = "undone"
        action.approver = by.email
        action.decided_at = utc_now()
    else:
        raise TenureError(f"{verdict!r}: approve, reject or undo")
    session.flush()
    record_change(
        session, by, f"agent.{verdict}", _target(action), before, action_record(action), via=via
    )
    return action
