"""Every route that changes data, listed from the app's own routes so a new one cannot be
missed: each refuses the roles its rule refuses (and writes nothing to the audit log), and
writes one audit entry (who, what, before/after, through which door) for the roles it lets
through."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tenure.app import create_app
from tenure.config import Settings
from tenure.health.scorecards import default_source
from tenure.models import AuditEntry
from tenure.plans.playbooks import default_source as default_playbooks
from tests.web.helpers import AS_OF, PASSWORD, PEOPLE, csrf_of, log_in

READS = {"GET", "HEAD", "OPTIONS"}

# Routes that accept a POST but change no data a person owns, and why.
NOT_CHANGES = {
    ("POST", "/api/v1/retention/forecast"): "fits a model to the posted counts; stores nothing",
    **{
        ("POST", f"/v1/{call}"): "Segment event intake: machine telemetry authenticated by a "
        "write key (no person), appended to the intake log at up to 100k events/s"
        for call in ("batch", "identify", "group", "track", "page", "screen", "alias")
    },
    ("POST", "/unsubscribe/{token}"): "a recipient's own opt-out, authorised by the signed "
    "token in the link (no Tenure user); audited with no actor and kept on the suppression list",
    ("POST", "/s/answer"): "a client's own survey answer through its signed link (no login, "
    "no person of ours): audited as survey.edit without an actor",
}


def changing_routes(settings: Settings) -> set[tuple[str, str]]:
    app = create_app(settings)
    try:
        return {
            (method, route.path)
            for route in iter_route_contexts(app.routes)
            for method in (route.methods or set()) - READS
            if route.path is not None
        }
    finally:
        app.state.database.dispose()


class World:
    """Signed-in browsers and API tokens for every role, on one app."""

    def __init__(self, app: Any, initialised: Any, tmp: Path):
        self.app = app
        self.cli = initialised
        self.tmp = tmp
        self.counter = itertools.count(1)
        self.browsers: dict[str, tuple[TestClient, str]] = {}
        self.tokens: dict[str, dict[str, str]] = {}
        self.api = TestClient(app)
        self.api.__enter__()
        self.task_ids: list[int] = []

    def close(self) -> None:
        for client, _ in self.browsers.values():
            client.__exit__(None, None, None)
        self.api.__exit__(None, None, None)

    def browser(self, who: str) -> tuple[TestClient, str]:
        if who not in self.browsers:
            client = TestClient(self.app)
            client.__enter__()
            assert log_in(client, PEOPLE[who]).status_code == 303
            self.browsers[who] = (client, csrf_of(client.get("/book").text))
        return self.browsers[who]

    def web(self, who: str, path: str, data: dict[str, str] | None = None, **kw: Any):
        client, csrf = self.browser(who)
        return client.post(
            path, data={"csrf_token": csrf, **(data or {})}, follow_redirects=False, **kw
        )

    def token(self, who: str) -> dict[str, str]:
        if who not in self.tokens:
            created = self.cli("tokens", "create", "--email", PEOPLE[who], "--format", "json")
            self.tokens[who] = {"Authorization": f"Bearer {created.json()[0]['token']}"}
        return self.tokens[who]

    def post(self, who: str, path: str, **kw: Any) -> httpx.Response:
        return self.api.post(path, headers=self.token(who), **kw)

    def ready(self, via: str, who: str) -> None:
        """Sign in (or make a token) before counting audit entries: logging in is audited."""
        if via == "web":
            self.browser(who)
        else:
            self.token(who)

    def n(self) -> int:
        return next(self.counter)


@dataclass(frozen=True)
class Change:
    action: str  # the audit entry's action
    via: str  # web | api
    allowed: tuple[str, ...]  # who may (keys of PEOPLE)
    refused: tuple[str, ...]  # who gets a 403
    send: Callable[[World, str], Any]


ALL = ("admin", "manager", "csm", "viewer")
MANAGERS = ("admin", "manager")
NOT_MANAGERS = ("csm", "viewer")


def _scorecard(world: World) -> str:
    # A new description each time: the same definition twice stores no new version.
    return default_source().replace('description = "', f'description = "Version {world.n()}: ', 1)


def _playbooks() -> str:
    return default_playbooks()


def _login(world: World, who: str) -> Any:
    with TestClient(world.app) as client:
        return log_in(client, PEOPLE[who], PASSWORD)


def _logout(world: World, who: str) -> Any:
    response = world.web(who, "/logout")
    world.browsers.pop(who)  # that session is over
    return response


def _task(world: World, who: str, verb: str) -> Any:
    task_id = world.task_ids[0]
    return world.post(who, f"/api/v1/tasks/{task_id}/{verb}", json={})


def _goal(world: World, metric: bool = False) -> int:
    """A new goal of acme, made through the CLI (which writes no audit entry)."""
    extra = ["--metric", "logins_28d"] if metric else []
    made = world.cli(
        "goals",
        "add",
        "acme",
        "--title",
        f"Goal {world.n()}",
        "--target",
        "10",
        "--due",
        "2027-06-30",
        "--milestone",
        "First step",
        *extra,
        "--format",
        "json",
    )
    return int(made.json()[0]["id"])


def _survey(world: World) -> str:
    """A new draft survey campaign, made through the CLI by someone who approves nothing."""
    name = f"survey-{world.n()}"
    world.cli(
        "survey",
        "create",
        name,
        "--kind",
        "nps",
        "--role",
        "all",
        "--account",
        "acme",
        "--by",
        "ops@example.com",
    )
    return name


def _web_task(world: World, who: str, verb: str) -> Any:
    return world.web(who, f"/plan/tasks/{world.task_ids[0]}/{verb}")


def _draft(world: World) -> int:
    """A fresh draft to Carla at acme, written by the acme CSM."""
    drafted = world.cli(
        "mail",
        "draft",
        "--template",
        "renewal_reminder",
        "--account",
        "acme",
        "--contact",
        "carla@acme.com",
        "--author",
        PEOPLE["csm"],
        "--format",
        "json",
    )
    return int(drafted.json()[0]["id"])


def _suppressed(world: World) -> str:
    email = f"gone{world.n()}@acme.com"
    world.cli("contacts", "opt-out", email)
    return email


def _agent_action(world: World, who: str) -> Any:
    """A task the agent proposed for acme (Ana's account), approved from its page."""
    from tenure.models import Account, AgentAction

    with world.app.state.database.unit_of_work() as session:
        acme = session.scalar(select(Account).where(Account.external_id == "acme"))
        assert acme is not None
        action = AgentAction(
            key=f"acme:band_drop.task:{world.n()}",
            day=AS_OF,
            account_id=acme.id,
            account_external_id="acme",
            csm_email=PEOPLE["csm"],
            trigger="band_drop",
            play="band_drop.task",
            kind="task",
            decision="shadow",
            status="proposed",
            evidence=["band from amber to red"],
            rule="plays.band_drop = risk_diagnosis",
            policy_version=0,
            payload={"activity": "risk_diagnosis"},
            reason="",
        )
        session.add(action)
        session.flush()
        action_id = action.id
    return world.web(who, f"/agent/actions/{action_id}/approve")


def _own_password(world: World, who: str) -> Any:
    new = f"mine-{world.n()}-long"
    return world.web(who, "/password", {"current": PASSWORD, "new": new, "again": new})


def _todo_id(world: World) -> int:
    """An ad-hoc task of the CSM's, written straight to the database (so not audited)."""
    from tenure.models import Account, Todo, User

    database = world.app.state.database
    with database.unit_of_work() as session:
        found = session.scalar(select(Todo.id).limit(1))
        if found is not None:
            return int(found)
        owner = session.scalar(select(User).where(User.email == PEOPLE["csm"]))
        account = session.scalar(select(Account).where(Account.external_id == "acme"))
        todo = Todo(owner=owner, account=account, title="Send the QBR deck", due=AS_OF)
        session.add(todo)
        session.flush()
        return todo.id


CHANGES: dict[tuple[str, str], Change] = {
    # -- the web app -------------------------------------------------------------------------
    ("POST", "/login"): Change("session.login", "web", ALL, (), _login),
    ("POST", "/logout"): Change("session.logout", "web", ALL, (), _logout),
    ("POST", "/book/seen"): Change(
        "book.seen", "web", ALL, (), lambda w, who: w.web(who, "/book/seen")
    ),
    ("POST", "/accounts/{external_id}/timeline"): Change(
        "timeline.add",
        "web",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.web(who, "/accounts/acme/timeline", {"kind": "call", "text": "Hi"}),
    ),
    ("POST", "/users"): Change(
        "user.create",
        "web",
        ("admin",),
        ("manager", "csm", "viewer"),
        lambda w, who: w.web(
            who,
            "/users",
            {"email": f"new{w.n()}@example.com", "name": "New", "role": "viewer"},
        ),
    ),
    ("POST", "/users/{email}/role"): Change(
        "user.role",
        "web",
        ("admin",),
        ("manager", "csm", "viewer"),
        lambda w, who: w.web(who, "/users/ben.okafor@example.com/role", {"role": "csm"}),
    ),
    ("POST", "/users/{email}/password"): Change(
        "user.password_reset",
        "web",
        ("admin",),
        ("manager", "csm", "viewer"),
        lambda w, who: w.web(who, "/users/val@example.com/password"),
    ),
    ("POST", "/password"): Change(
        "user.password_change",
        "web",
        ALL,
        (),
        _own_password,
    ),
    ("POST", "/scorecards"): Change(
        "scorecard.load",
        "web",
        MANAGERS,
        NOT_MANAGERS,
        lambda w, who: w.web(who, "/scorecards", {"source": _scorecard(w)}),
    ),
    ("POST", "/plan/save"): Change(
        "plan.save",
        "web",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.web(
            who,
            "/plan/save",
            {"csm": PEOPLE["csm"], "quarter_start": str(AS_OF), "new_clients": "0"},
        ),
    ),
    ("POST", "/plan/tasks/{task_id}/done"): Change(
        "task.done",
        "web",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: _web_task(w, who, "done"),
    ),
    ("POST", "/plan/tasks/{task_id}/reopen"): Change(
        "task.reopen",
        "web",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: _web_task(w, who, "reopen"),
    ),
    ("POST", "/messages"): Change(
        "message.draft",
        "web",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.web(
            who,
            "/messages",
            {"template": "renewal_reminder", "account": "acme", "contact": "carla@acme.com"},
        ),
    ),
    ("POST", "/messages/{message_id}"): Change(
        "message.edit",
        "web",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.web(
            who, f"/messages/{_draft(w)}", {"subject": "S", "text": "T", "html": "<p>H</p>"}
        ),
    ),
    ("POST", "/messages/{message_id}/approve"): Change(
        "message.approve",
        "web",
        MANAGERS,
        ("csm", "other_csm", "viewer"),  # the CSM wrote it: someone else approves
        lambda w, who: w.web(who, f"/messages/{_draft(w)}/approve"),
    ),
    ("POST", "/messages/{message_id}/cancel"): Change(
        "message.cancel",
        "web",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.web(who, f"/messages/{_draft(w)}/cancel"),
    ),
    ("POST", "/messages/announce"): Change(
        "message.announce",
        "web",
        MANAGERS,
        NOT_MANAGERS,
        lambda w, who: w.web(
            who, "/messages/announce", {"template": "qbr_invitation", "where": "tier=paid"}
        ),
    ),
    ("POST", "/messages/incident"): Change(
        "message.incident",
        "web",
        MANAGERS,
        NOT_MANAGERS,
        lambda w, who: w.web(
            who,
            "/messages/incident",
            {"from": "2026-11-20T14:05", "to": "2026-11-20T14:40", "summary": "slow"},
        ),
    ),
    ("POST", "/messages/send"): Change(
        "mail.send", "web", MANAGERS, NOT_MANAGERS, lambda w, who: w.web(who, "/messages/send")
    ),
    ("POST", "/accounts/{external_id}/goals/{goal_id}/progress"): Change(
        "goal.progress",
        "web",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.web(who, f"/accounts/acme/goals/{_goal(w)}/progress", {"value": "4"}),
    ),
    ("POST", "/accounts/{external_id}/qbr"): Change(
        "qbr.make",
        "web",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.web(
            who, "/accounts/acme/qbr", {"quarter_start": "2026-10-01", "format": "html"}
        ),
    ),
    ("POST", "/agent/actions/{action_id}/{verdict}"): Change(
        "agent.approve",
        "web",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        _agent_action,
    ),
    ("POST", "/today/tasks/{task_id}/done"): Change(
        "task.done",
        "web",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.web(who, f"/today/tasks/{w.task_ids[0]}/done"),
    ),
    ("POST", "/today/tasks/{task_id}/reopen"): Change(
        "task.reopen",
        "web",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.web(who, f"/today/tasks/{w.task_ids[0]}/reopen"),
    ),
    ("POST", "/today/todos"): Change(
        "todo.add",
        "web",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.web(
            who, "/today/todos", {"title": "Call", "account": "acme", "due": str(AS_OF)}
        ),
    ),
    ("POST", "/today/todos/{todo_id}/done"): Change(
        "todo.done",
        "web",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.web(who, f"/today/todos/{_todo_id(w)}/done"),
    ),
    ("POST", "/today/todos/{todo_id}/reopen"): Change(
        "todo.reopen",
        "web",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.web(who, f"/today/todos/{_todo_id(w)}/reopen"),
    ),
    # -- the API -----------------------------------------------------------------------------
    ("POST", "/api/v1/accounts/{external_id}/goals"): Change(
        "goal.add",
        "api",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.post(
            who,
            "/api/v1/accounts/acme/goals",
            json={
                "title": f"Goal {w.n()}",
                "measure": "hours",
                "target": 2,
                "due_date": "2027-03-31",
            },
        ),
    ),
    ("PATCH", "/api/v1/goals/{goal_id}"): Change(
        "goal.change",
        "api",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.api.patch(
            f"/api/v1/goals/{_goal(w)}", headers=w.token(who), json={"status": "dropped"}
        ),
    ),
    ("POST", "/api/v1/goals/{goal_id}/progress"): Change(
        "goal.progress",
        "api",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.post(who, f"/api/v1/goals/{_goal(w)}/progress", json={"value": 3}),
    ),
    ("PUT", "/api/v1/goals/{goal_id}/milestones/{position}"): Change(
        "goal.milestone",
        "api",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.api.put(
            f"/api/v1/goals/{_goal(w)}/milestones/1",
            headers=w.token(who),
            json={"reached_on": str(AS_OF)},
        ),
    ),
    ("POST", "/api/v1/accounts/{external_id}/qbr"): Change(
        "qbr.make",
        "api",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.post(
            who, "/api/v1/accounts/acme/qbr", json={"quarter_start": "2026-10-01", "format": "json"}
        ),
    ),
    ("POST", "/api/v1/accounts/{external_id}/qbr-meeting"): Change(
        "qbr.meeting",
        "api",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.post(
            who,
            "/api/v1/accounts/acme/qbr-meeting",
            json={
                "summary": "Q4 review",
                "actions": [{"text": "Train the new team", "due": "2027-01-15"}],
            },
        ),
    ),
    ("POST", "/api/v1/surveys"): Change(
        "survey.create",
        "api",
        MANAGERS,
        NOT_MANAGERS,
        lambda w, who: w.post(
            who, "/api/v1/surveys", json={"name": f"survey-{w.n()}", "kind": "csat"}
        ),
    ),
    ("POST", "/api/v1/surveys/{name}/send"): Change(
        "survey.send",
        "api",
        MANAGERS,
        NOT_MANAGERS,
        lambda w, who: w.post(who, f"/api/v1/surveys/{_survey(w)}/send", json={"hold": True}),
    ),
    ("POST", "/api/v1/surveys/{name}/close"): Change(
        "survey.close",
        "api",
        MANAGERS,
        NOT_MANAGERS,
        lambda w, who: w.post(who, f"/api/v1/surveys/{_survey(w)}/close"),
    ),
    ("POST", "/api/v1/messages"): Change(
        "message.draft",
        "api",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.post(
            who,
            "/api/v1/messages",
            json={
                "template": "renewal_reminder",
                "account_external_id": "acme",
                "contact_email": "carla@acme.com",
            },
        ),
    ),
    ("PATCH", "/api/v1/messages/{message_id}"): Change(
        "message.edit",
        "api",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.api.patch(
            f"/api/v1/messages/{_draft(w)}", headers=w.token(who), json={"subject": "New"}
        ),
    ),
    ("POST", "/api/v1/messages/{message_id}/approve"): Change(
        "message.approve",
        "api",
        MANAGERS,
        ("csm", "other_csm", "viewer"),
        lambda w, who: w.post(who, f"/api/v1/messages/{_draft(w)}/approve"),
    ),
    ("POST", "/api/v1/messages/{message_id}/cancel"): Change(
        "message.cancel",
        "api",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.post(who, f"/api/v1/messages/{_draft(w)}/cancel"),
    ),
    ("POST", "/api/v1/suppressions"): Change(
        "contact.opt_out",
        "api",
        ("admin", "manager", "csm", "other_csm"),
        ("viewer",),
        lambda w, who: w.post(
            who, "/api/v1/suppressions", json={"email": f"x{w.n()}@acme.com", "reason": "manual"}
        ),
    ),
    ("DELETE", "/api/v1/suppressions/{email}"): Change(
        "contact.opt_in",
        "api",
        MANAGERS,
        NOT_MANAGERS,
        lambda w, who: w.api.delete(f"/api/v1/suppressions/{_suppressed(w)}", headers=w.token(who)),
    ),
    ("POST", "/api/v1/accounts/{external_id}/timeline"): Change(
        "timeline.add",
        "api",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.post(
            who, "/api/v1/accounts/acme/timeline", json={"kind": "note", "text": "Hi"}
        ),
    ),
    ("POST", "/api/v1/imports/{kind}"): Change(
        "import.accounts",
        "api",
        MANAGERS,
        NOT_MANAGERS,
        lambda w, who: w.post(
            who,
            "/api/v1/imports/accounts",
            files={
                "file": (
                    "accounts.csv",
                    f"external_id,name,tier\nnew-{w.n()},New Co,paid\n".encode(),
                    "text/csv",
                )
            },
        ),
    ),
    ("POST", "/api/v1/health/compute"): Change(
        "health.compute",
        "api",
        MANAGERS,
        NOT_MANAGERS,
        lambda w, who: w.post(who, "/api/v1/health/compute", json={"start": str(AS_OF)}),
    ),
    ("POST", "/api/v1/scorecards"): Change(
        "scorecard.load",
        "api",
        MANAGERS,
        NOT_MANAGERS,
        lambda w, who: w.post(who, "/api/v1/scorecards", json={"source": _scorecard(w)}),
    ),
    ("POST", "/api/v1/usage/metrics/compute"): Change(
        "metrics.compute",
        "api",
        MANAGERS,
        NOT_MANAGERS,
        lambda w, who: w.post(who, "/api/v1/usage/metrics/compute", params={"as_of": AS_OF}),
    ),
    ("POST", "/api/v1/plan"): Change(
        "plan.save",
        "api",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: w.post(
            who,
            "/api/v1/plan",
            json={
                "csm": PEOPLE["csm"],
                "quarter_start": str(AS_OF),
                "new_clients": 0,
                "save": True,
            },
        ),
    ),
    ("POST", "/api/v1/tasks/{task_id}/done"): Change(
        "task.done",
        "api",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: _task(w, who, "done"),
    ),
    ("POST", "/api/v1/tasks/{task_id}/reopen"): Change(
        "task.reopen",
        "api",
        ("admin", "manager", "csm"),
        ("other_csm", "viewer"),
        lambda w, who: _task(w, who, "reopen"),
    ),
    ("POST", "/api/v1/playbooks"): Change(
        "playbooks.load",
        "api",
        MANAGERS,
        NOT_MANAGERS,
        lambda w, who: w.post(
            who,
            "/api/v1/playbooks",
            json={"source": _playbooks() + f"\n# version {w.n()}\n"},
        ),
    ),
}


def test_every_route_that_changes_data_is_listed(settings, people):
    assert people
    found = changing_routes(settings)
    unlisted = sorted(found - CHANGES.keys() - NOT_CHANGES.keys())
    assert unlisted == [], (
        "a route that changes data must call tenure.audit.service.record_change and be listed "
        f"in CHANGES here (or in NOT_CHANGES with the reason it changes nothing): {unlisted}"
    )
    gone = sorted((CHANGES.keys() | NOT_CHANGES.keys()) - found)
    assert gone == [], f"listed routes that no longer exist: {gone}"


def _audit_count(database: Any) -> int:
    with database.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def _last_entry(database: Any) -> AuditEntry:
    with database.sessions() as s:
        entry = s.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert entry is not None
        return entry


@pytest.fixture
def world(app, initialised, tmp_path):
    w = World(app, initialised, tmp_path)
    # A saved plan gives the task routes a task to mark done and reopen.
    saved = w.post(
        "manager",
        "/api/v1/plan",
        json={
            "csm": PEOPLE["csm"],
            "quarter_start": str(AS_OF),
            "new_clients": 0,
            "save": True,
        },
    )
    assert saved.status_code == 200, saved.text
    w.task_ids = [t["id"] for t in w.api.get("/api/v1/tasks", headers=w.token("manager")).json()]
    yield w
    w.close()


@pytest.mark.parametrize("route", sorted(CHANGES), ids=lambda r: f"{r[0]} {r[1]}")
def test_the_role_rule_and_the_audit_entry(world, database, route):
    change = CHANGES[route]
    for who in change.refused:
        world.ready(change.via, who)
        before = _audit_count(database)
        response = change.send(world, who)
        assert response.status_code == 403, (who, response.status_code, response.text[:300])
        assert _audit_count(database) == before, f"{who}: a refused change was audited"
    for who in change.allowed:
        world.ready(change.via, who)
        before = _audit_count(database)
        response = change.send(world, who)
        assert response.status_code < 400, (who, response.status_code, response.text[:300])
        assert _audit_count(database) == before + 1, f"{who}: {route} wrote no audit entry"
        entry = _last_entry(database)
        assert entry.action == change.action
        assert entry.actor == PEOPLE[who]
        assert entry.via == change.via
        assert entry.target
        if not change.action.startswith("session."):
            assert entry.after is not None, f"{route}: the audit entry has no 'after'"
