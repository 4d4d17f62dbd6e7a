"""On the demo company, `tenure agent run` over 30 consecutive days: the tasks and drafts a
CSM would expect (each renewal entering a window gets one review, no duplicates), nothing
sent without the approval the mandate requires, a second run of the same day changing
nothing, and every action with its audit entry and evidence."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.agent.triggers import renewal_window
from tenure.models import Account, AgentAction, AuditEntry, Contract, Message, Task
from tests.agent.helpers import acting_mandate, company, days, load, state

WINDOWS = (120, 90, 60, 30)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return company(tmp_path_factory.mktemp("agent-company"))


def expected_reviews(session: Session, run_days: list[date]) -> set[tuple[str, str, int]]:
    """(account, renewal date, window) of every renewal inside a window on a run day, from
    the contracts alone: the renewal is the latest end of the contracts active that day."""
    out = set()
    for account in session.scalars(select(Account)):
        contracts = list(session.scalars(select(Contract).where(Contract.account_id == account.id)))
        for day in run_days:
            active = [c for c in contracts if c.start_date <= day < c.end_date]
            if not active:
                continue
            renewal = max(c.end_date for c in active)
            window = renewal_window(renewal, day, WINDOWS)
            if window is not None:
                out.add((account.external_id, renewal.isoformat(), window))
    return out


@pytest.mark.slow
def test_a_month_of_daily_runs(cli, folder: Path, session: Session, tmp_path: Path) -> None:
    load(cli, folder)
    cli("agent", "mandate", "load", str(acting_mandate(tmp_path)))
    run_days = days()
    for day in run_days:
        cli("agent", "run", "--as-of", day.isoformat())
        before = state(session)
        again = cli("agent", "run", "--as-of", day.isoformat(), "--format", "json")
        assert again.json() == [], f"{day}: the second run acted again"
        assert state(session) == before, f"{day}: the second run changed something"

    session.expire_all()
    actions = list(session.scalars(select(AgentAction).order_by(AgentAction.id)))
    assert actions, "a month on the demo company gives the agent work"

    # Each renewal entering a window got exactly one review, and only those did.
    reviews = [a for a in actions if a.trigger.startswith("renewal_window:")]
    got = Counter(
        (a.account_external_id, a.key.split(":")[-2], int(a.trigger.split(":")[1])) for a in reviews
    )
    assert set(got) == expected_reviews(session, run_days)
    assert all(n == 1 for n in got.values())
    for review in reviews:
        assert review.status == "done"
        assert review.task is not None
        assert review.task.activity == "renewal_review"

    # Never a second open task for the same trigger (nor two of one activity, reviews of
    # different windows aside).
    open_tasks = list(session.scalars(select(Task).where(Task.status == "open")))
    labels = Counter((t.account_id, t.signals[0]) for t in open_tasks)
    assert max(labels.values()) == 1
    activities = Counter(
        (t.account_id, t.activity) for t in open_tasks if t.activity != "renewal_review"
    )
    assert max(activities.values()) == 1

    # What a CSM expects besides reviews: risks diagnosed, detractors followed up with a
    # task and a draft to the person who answered, support problems handed to support.
    kinds = Counter(a.trigger.split(":")[0] for a in actions)
    for trigger in ("band_drop", "detractor", "survey_missing", "support_problems"):
        assert kinds[trigger] >= 1, (trigger, kinds)
    drafts = [a for a in actions if a.kind == "draft"]
    assert drafts
    for draft in drafts:
        assert draft.trigger.startswith("detractor:")
        assert draft.payload["to"] == draft.trigger.split(":", 1)[1]
        # Sending needs a person's approval under this mandate: none was given.
        assert draft.status in ("awaiting_approval", "held", "expired"), draft.status
        assert draft.approver is None
    assert all(a.status != "approved" for a in actions)
    # The drafts are in the outbox, by the agent, waiting for a person; nothing else is.
    messages = list(session.scalars(select(Message).order_by(Message.id)))
    client = [m for m in messages if m.audience == "client"]
    by_ref = {f"message:{m.id}": m for m in client}
    for draft in drafts:
        if draft.status == "awaiting_approval":
            message = by_ref[draft.message_ref]
            assert message.status == "pending_approval"
            assert message.author == "agent@tenure.invalid"
            assert message.source == "agent"
            assert message.to_email == draft.payload["to"]
            assert draft.payload["body"] in message.text
        elif draft.message_ref is not None:
            assert by_ref[draft.message_ref].status == "cancelled"
    assert {m.status for m in client} <= {"pending_approval", "cancelled"}
    assert all(m.approved_by is None and m.sent_at is None for m in messages)
    for handoff in (a for a in actions if a.kind.startswith("handoff_")):
        assert handoff.kind == "handoff_support"
        assert handoff.status == "done"

    # Every action has its audit entry, by the agent, with trigger, evidence, rule, version.
    entries = list(session.scalars(select(AuditEntry).where(AuditEntry.via == "agent")))
    first_entry = {}
    for entry in entries:
        assert entry.actor == "agent@tenure.invalid"
        first_entry.setdefault(entry.after["id"], entry.after)
    for action in actions:
        recorded = first_entry[action.id]
        assert recorded["key"] == action.key
        assert recorded["trigger"] == action.trigger
        assert recorded["evidence"]
        assert all(recorded["evidence"])
        assert recorded["rule"]
        assert recorded["policy_version"] == 1
