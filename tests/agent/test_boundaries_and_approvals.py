"""On the demo company: the hard boundaries hold however the agent is pushed across them,
nothing goes to a client without the approval the mandate requires, and a person's
decisions (approve, reject, undo) are checked and audited. Shadow mode only proposes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenure.agent.boundaries import BOUNDARIES
from tenure.agent.mandate import default_source
from tenure.models import AgentAction, AuditEntry, Handoff, Message, Task
from tests.agent.helpers import acting_mandate, company, load, state

FIRST = date(2026, 7, 14)  # the NPS wave answered on the 15th and 16th
DAYS = ("2026-07-14", "2026-07-15", "2026-07-16")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return company(tmp_path_factory.mktemp("agent-company"))


@pytest.fixture
def acting(cli, folder: Path, tmp_path: Path):
    load(cli, folder, FIRST, len(DAYS))
    cli("agent", "mandate", "load", str(acting_mandate(tmp_path)))
    return cli


def run_days(cli) -> None:
    for day in DAYS:
        cli("agent", "run", "--as-of", day)


def detractor_drafts(session: Session) -> list[AgentAction]:
    session.expire_all()
    return list(
        session.scalars(
            select(AgentAction).where(AgentAction.kind == "draft").order_by(AgentAction.id)
        )
    )


def test_no_mandate_lifts_a_hard_boundary(initialised, tmp_path: Path) -> None:
    text = default_source().replace('mode = "shadow"', 'mode = "act"')
    for name in BOUNDARIES:
        path = tmp_path / f"{name}.toml"
        path.write_text(
            text.replace('create_task = "auto"', f'create_task = "auto"\n{name} = "auto"')
        )
        refused = initialised("agent", "mandate", "load", str(path), ok=False)
        assert refused.code == 1
        assert f"actions.{name}: a hard boundary no mandate can lift" in refused.stderr
    shown = initialised("agent", "mandate", "show", "--format", "json").json()
    assert {"setting": "version", "value": 0} in shown  # nothing was loaded


def test_tickets_go_to_support_and_are_never_touched(acting, session: Session) -> None:
    before = state(session)["tickets"]
    run_days(acting)
    assert state(session)["tickets"] == before
    handoffs = list(session.scalars(select(Handoff)))
    assert handoffs
    assert all(h.lane == "support" and h.author == "agent@tenure.invalid" for h in handoffs)
    assert all(h.evidence for h in handoffs)


def test_an_approved_action_still_cannot_cross(acting, session: Session) -> None:
    """Even actions written into the agent's queue by hand, one per boundary, approved by
    the account's CSM, are refused where they would happen: nothing is closed, answered,
    opened, quoted, changed or sent."""
    run_days(acting)
    draft = detractor_drafts(session)[0]
    for boundary in sorted(BOUNDARIES):
        forged = AgentAction(
            key=f"forged:{boundary}",
            day=draft.day,
            account_id=draft.account_id,
            account_external_id=draft.account_external_id,
            csm_email=draft.csm_email,
            trigger="detractor",
            play=f"forged.{boundary}",
            kind=boundary,
            decision="approve",
            status="awaiting_approval",
            evidence=["forged to cross a boundary"],
            rule="none",
            policy_version=1,
            payload={"to": draft.payload["to"], "subject": "x", "body": "y"},
            reason="",
        )
        session.add(forged)
        session.commit()
        before = state(session)
        messages = session.scalar(select(func.count()).select_from(Message))
        acting("agent", "approve", str(forged.id), "--by", str(draft.csm_email))
        session.expire_all()
        assert forged.status == "refused", boundary
        assert f"hard boundary: the agent {BOUNDARIES[boundary].why}" in forged.reason
        after = state(session)
        assert after["tickets"] == before["tickets"]
        assert after["tasks"] == before["tasks"]
        assert session.scalar(select(func.count()).select_from(Message)) == messages
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "agent.approve")
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None
        assert entry.after["status"] == "refused"
        assert entry.after["key"] == f"forged:{boundary}"


@pytest.mark.parametrize(
    ("words", "boundary"),
    [
        ("We can renew at $40,000 with a 15% discount.", "never quotes a price"),
        ("We will build the export you asked for by March.", "never promises a feature"),
    ],
)
def test_a_draft_that_quotes_or_promises_is_refused(
    acting, session: Session, words: str, boundary: str
) -> None:
    run_days(acting)
    draft = next(d for d in detractor_drafts(session) if d.status == "awaiting_approval")
    message_id = int(str(draft.message_ref).removeprefix("message:"))
    draft.payload = {**draft.payload, "body": words}
    session.commit()
    acting("agent", "approve", str(draft.id), "--by", str(draft.csm_email))
    session.expire_all()
    assert draft.status == "refused"
    assert boundary in draft.reason
    message = session.get(Message, message_id)
    assert message is not None
    assert message.status == "pending_approval"
    assert message.approved_by is None


def test_never_writes_to_an_opted_out_contact(acting, session: Session) -> None:
    run_days(acting)
    drafts = detractor_drafts(session)
    assert drafts
    # The same month again on a fresh agent, with the detractors opted out first.
    targets = sorted({str(d.payload["to"]) for d in drafts})
    for table in (AgentAction, Handoff, Message):
        session.query(table).delete()
    session.query(Task).delete()
    session.commit()
    from tenure.models import AgentRun, AgentState

    session.query(AgentRun).delete()
    session.query(AgentState).delete()
    session.commit()
    for email in targets:
        acting("contacts", "opt-out", email)
    run_days(acting)
    again = detractor_drafts(session)
    assert {str(d.payload["to"]) for d in again} == set(targets)
    for draft in again:
        assert draft.status == "refused"
        assert "never sends to a contact who opted out" in draft.reason
        assert draft.message_ref is None
    assert (
        session.scalar(
            select(func.count()).select_from(Message).where(Message.audience == "client")
        )
        == 0
    )


def test_only_a_person_in_charge_approves(acting, session: Session) -> None:
    run_days(acting)
    draft = next(d for d in detractor_drafts(session) if d.status == "awaiting_approval")
    agent = acting("agent", "approve", str(draft.id), "--by", "agent@tenure.invalid", ok=False)
    assert "the agent cannot approve its own actions" in agent.stderr
    users = acting("users", "list", "--format", "json").json()
    other = next(u["email"] for u in users if u["role"] == "csm" and u["email"] != draft.csm_email)
    refused = acting("agent", "approve", str(draft.id), "--by", other, ok=False)
    assert "only on the agent's actions in their own book" in refused.stderr
    acting("agent", "approve", str(draft.id), "--by", str(draft.csm_email))
    session.expire_all()
    assert draft.status == "approved"
    assert draft.approver == draft.csm_email
    message = session.get(Message, int(str(draft.message_ref).removeprefix("message:")))
    assert message is not None
    assert message.status == "approved"
    assert message.approved_by == draft.csm_email
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "agent.approve")).one()
    assert entry.actor == draft.csm_email
    assert entry.after["approval"] == draft.csm_email

    # Undo what it did: the open task goes; rejecting a waiting action cancels its draft.
    task_action = session.scalars(
        select(AgentAction).where(AgentAction.kind == "task", AgentAction.status == "done")
    ).first()
    assert task_action is not None
    assert task_action.task_id is not None
    task_id = task_action.task_id
    acting("agent", "undo", str(task_action.id), "--by", str(task_action.csm_email))
    session.expire_all()
    assert task_action.status == "undone"
    assert session.get(Task, task_id) is None
    waiting = [d for d in detractor_drafts(session) if d.status == "awaiting_approval"]
    for other_draft in waiting:
        acting("agent", "reject", str(other_draft.id), "--by", str(other_draft.csm_email))
        session.expire_all()
        assert other_draft.status == "rejected"
        cancelled = session.get(Message, int(str(other_draft.message_ref).removeprefix("message:")))
        assert cancelled is not None
        assert cancelled.status == "cancelled"
    again = acting("agent", "approve", str(draft.id), "--by", str(draft.csm_email), ok=False)
    assert "nothing to approve" in again.stderr


def test_shadow_mode_proposes_and_does_nothing(cli, folder: Path, session: Session) -> None:
    load(cli, folder, FIRST, 1)
    cli("agent", "run", "--as-of", DAYS[0])
    actions = list(session.scalars(select(AgentAction)))
    assert actions
    assert {a.status for a in actions} <= {"proposed", "held"}
    assert session.scalar(select(func.count()).select_from(Task)) == 0
    assert session.scalar(select(func.count()).select_from(Message)) == 0
    assert session.scalar(select(func.count()).select_from(Handoff)) == 0
    task = next(a for a in actions if a.kind == "task")
    cli("agent", "approve", str(task.id), "--by", str(task.csm_email))
    session.expire_all()
    assert task.status == "done"
    assert task.task is not None
    assert task.approver == task.csm_email


def test_one_book_dry_runs_and_replays(acting, session: Session) -> None:
    csm = "ana.silva@demo.tenure.dev"
    hers = acting("agent", "run", "--as-of", DAYS[0], "--csm", csm, "--format", "json").json()
    assert isinstance(hers, list)
    assert hers
    assert {r["csm_email"] for r in hers} == {csm}
    everyone = acting("agent", "run", "--as-of", DAYS[0], "--format", "json").json()
    assert isinstance(everyone, list)
    assert everyone
    assert csm not in {r["csm_email"] for r in everyone}
    before = state(session)
    dry = acting("agent", "run", "--as-of", DAYS[1], "--dry-run", "--format", "json").json()
    assert dry  # it shows what it would do ...
    assert state(session) == before  # ... and does none of it
    acting("agent", "run", "--as-of", DAYS[1])
    after = state(session)
    replay = acting("agent", "run", "--as-of", DAYS[0], "--format", "json").json()
    assert replay == []
    assert state(session) == after
