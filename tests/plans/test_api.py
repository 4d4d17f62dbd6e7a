"""The plans API gives what the CLI gives, behind API tokens; only the CSM (or a manager)
saves a CSM's plan and marks their tasks done."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tenure.app import create_app
from tests.plans.enterprise import CSM, QUARTER_START, SCORECARD, import_rows

QS = QUARTER_START.isoformat()


@pytest.fixture
def client(initialised, files, settings) -> Iterator[TestClient]:
    for kind, rows in import_rows().items():
        initialised("import", kind, str(files.csv(f"{kind}.csv", rows)))
    initialised("scorecard", "load", str(files.text("enterprise.toml", SCORECARD)))
    for email, role in (("boss@example.com", "manager"), ("val@example.com", "viewer")):
        initialised("users", "create", "--email", email, "--name", email, "--role", role)
    app = create_app(settings)
    with TestClient(app) as test_client:
        yield test_client
    app.state.database.dispose()


def token(cli, email: str) -> dict[str, str]:
    plain = cli("tokens", "create", "--email", email, "--format", "json").json()[0]["token"]
    return {"Authorization": f"Bearer {plain}"}


def test_plan_signals_and_tasks(client, initialised):
    viewer = token(initialised, "val@example.com")
    csm = token(initialised, CSM)
    params = {"csm": CSM, "quarter_start": QS, "count": 25}
    assert client.get("/api/v1/plan", params=params).status_code == 401
    shown = client.get("/api/v1/plan", params=params, headers=viewer)
    assert shown.status_code == 200
    expected = initialised(
        "plan", "--csm", CSM, "--quarter-start", QS, "--count", "25", "--format", "json"
    ).json()
    assert shown.json() == expected

    signals = client.get("/api/v1/signals", params={"csm": CSM, "as_of": QS}, headers=viewer)
    cli_signals = initialised("signals", "--csm", CSM, "--as-of", QS, "--format", "json").json()
    assert signals.json() == cli_signals

    body = {"csm": CSM, "quarter_start": QS, "count": 25, "save": True}
    refused = client.post("/api/v1/plan", json=body, headers=viewer)
    assert refused.status_code == 403
    saved = client.post("/api/v1/plan", json=body, headers=csm)
    assert saved.status_code == 200
    tasks = client.get("/api/v1/tasks", params={"csm": CSM}, headers=viewer).json()
    assert len(tasks) == 50
    first = tasks[0]
    assert client.post(f"/api/v1/tasks/{first['id']}/done", headers=viewer).status_code == 403
    done = client.post(f"/api/v1/tasks/{first['id']}/done", json={"on": QS}, headers=csm)
    assert done.json()["status"] == "done"
    assert done.json()["done_on"] == QS
    reopened = client.post(
        f"/api/v1/tasks/{first['id']}/reopen", headers=token(initialised, "boss@example.com")
    )
    assert reopened.json()["status"] == "open"


def test_bad_input_is_a_clear_400(client, initialised):
    viewer = token(initialised, "val@example.com")
    nobody = client.get(
        "/api/v1/plan", params={"csm": "who@example.com", "quarter_start": QS}, headers=viewer
    )
    assert nobody.status_code == 404
    assert nobody.json()["detail"] == "no user with email 'who@example.com'"
    too_much = client.get(
        "/api/v1/plan",
        params={"csm": CSM, "quarter_start": QS, "existing_share": 0.95},
        headers=viewer,
    )
    assert too_much.status_code == 400
    assert too_much.json()["detail"].startswith("more required work than hours")
    bad = client.post(
        "/api/v1/playbooks",
        json={"source": '[[playbooks]]\nkey = "p"\nwhen = ["red_health"]\nactivities = ["x"]\n'},
        headers=token(initialised, "boss@example.com"),
    )
    assert bad.status_code == 400
    assert (
        "playbooks.toml:4: playbooks[0].activities: 'x': no such activity"
        in bad.json()["problems"][0]
    )
    assert client.post("/api/v1/playbooks", json={"source": ""}, headers=viewer).status_code == 403
