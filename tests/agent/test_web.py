"""The page "What the agent did" (per day and per CSM, approve / reject / undo) and the
brief on the account page."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tenure.models import Account, AgentAction, AuditEntry, Task

DAY = date(2026, 11, 20)


def waiting(database, account: str = "acme", key: str = "acme:band_drop.task:x") -> int:
    with database.unit_of_work() as session:
        target = session.scalar(select(Account).where(Account.external_id == account))
        assert target is not None
        action = AgentAction(
            key=key,
            day=DAY,
            account_id=target.id,
            account_external_id=account,
            csm_email=target.owner.email if target.owner else None,
            trigger="band_drop",
            play="band_drop.task",
            kind="task",
            decision="approve",
            status="awaiting_approval",
            evidence=["band from amber to red (health 44, was 58)"],
            rule="plays.band_drop = risk_diagnosis",
            policy_version=1,
            payload={"activity": "risk_diagnosis", "client": target.name},
            reason="",
        )
        session.add(action)
        session.flush()
        return action.id


def test_the_page_per_day_and_csm_with_approve(browser, database) -> None:
    action_id = waiting(database)
    other_id = waiting(database, "globex", "globex:band_drop.task:x")
    ana = browser("csm")
    page = ana.get(f"/agent?day={DAY.isoformat()}")
    assert page.status_code == 200
    assert "What the agent did" in page.text
    assert "band from amber to red (health 44, was 58)" in page.text
    assert f"/agent/actions/{action_id}/approve" in page.text
    assert f"/agent/actions/{other_id}/approve" not in page.text  # globex is Ben's
    boss = browser("manager")
    everyone = boss.get(f"/agent?day={DAY.isoformat()}&csm=all")
    assert f"/agent/actions/{other_id}/approve" in everyone.text

    refused = browser("other_csm").post(f"/agent/actions/{action_id}/approve")
    assert refused.status_code == 403
    done = ana.post(f"/agent/actions/{action_id}/approve")
    assert done.status_code == 303
    assert done.headers["location"] == f"/agent?day={DAY.isoformat()}"
    with database.sessions() as session:
        action = session.get(AgentAction, action_id)
        assert action is not None
        assert action.status == "done"
        assert action.approver == "ana.silva@example.com"
        task = session.get(Task, action.task_id)
        assert task is not None
        assert task.activity == "risk_diagnosis"
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "agent.approve")
        ).one()
        assert entry.via == "web"
        assert entry.actor == "ana.silva@example.com"
        assert entry.after["evidence"] == ["band from amber to red (health 44, was 58)"]

    undone = ana.post(f"/agent/actions/{action_id}/undo")
    assert undone.status_code == 303
    again = ana.post(f"/agent/actions/{action_id}/undo")
    assert again.status_code == 400
    rejected = boss.post(f"/agent/actions/{other_id}/reject")
    assert rejected.status_code == 303
    with database.sessions() as session:
        assert session.get(AgentAction, action_id).status == "undone"
        assert session.get(AgentAction, other_id).status == "rejected"
        assert session.scalar(select(Task)) is None


def test_the_brief_on_the_account_page(browser, database) -> None:
    action_id = waiting(database)
    ana = browser("csm")
    page = ana.get("/accounts/acme")
    assert 'hx-get="/accounts/acme/brief"' in page.text
    brief = ana.get("/accounts/acme/brief")
    assert brief.status_code == 200
    assert "Stakeholders and their stance" in brief.text
    assert "Carla Diaz (CFO, sponsor): promoter, NPS answer 9 on 2026-05-03" in brief.text
    assert f"agent_action:{action_id}" in brief.text
    assert "Open risks and what is being done" in brief.text
