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


def _web_task(world: World, who: str, verb: str) -> Any:
    return world.web(who, f"/plan/tasks/{world.task_ids[0]}/{verb}")


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
