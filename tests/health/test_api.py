"""The health and scorecard API gives what the CLI gives, behind API tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import add_users, api_client, contracts, token

CARD = """\
name = "enterprise"
[[components]]
key = "product"
weight = 1
  [[components.measures]]
  metric = "logins_28d"
  method = "linear"
  floor = 0
  target = 100
"""


@pytest.fixture
def client(initialised, files, settings) -> Iterator[TestClient]:
    accounts = [
        {"external_id": "acme", "name": "Acme", "tier": "paid", "csm_email": "ana@example.com"},
        {"external_id": "globex", "name": "Globex", "tier": "paid", "csm_email": "ben@example.com"},
    ]
    initialised("import", "accounts", str(files.csv("accounts.csv", accounts)))
    initialised("import", "contracts", str(files.csv("contracts.csv", contracts(accounts))))
    metrics = [
        {"account_external_id": a, "metric": "logins_28d", "date": d, "value": v}
        for a, d, v in [
            ("acme", "2026-10-01", 50),
            ("acme", "2026-11-01", 80),
            ("globex", "2026-11-01", 30),
        ]
    ]
    initialised("import", "metrics", str(files.csv("metrics.csv", metrics)))
    initialised("scorecard", "load", str(files.text("card.toml", CARD)))
    add_users(initialised, ("boss@example.com", "manager"), ("val@example.com", "viewer"))
    with api_client(settings) as test_client:
        yield test_client


def test_the_dashboard_and_why_match_the_cli(client, initialised):
    headers = token(initialised, "val@example.com")
    assert client.get("/api/v1/health").status_code == 401
    board = client.get("/api/v1/health", params={"as_of": "2026-11-01"}, headers=headers)
    assert board.status_code == 200
    assert board.json() == initialised("health", "--as-of", "2026-11-01", "--format", "json").json()
    acme = next(r for r in board.json() if r["external_id"] == "acme")
    assert (acme["health"], acme["band"], acme["trend"]) == (80, "green", "up")
    mine = client.get(
        "/api/v1/health",
        params={"as_of": "2026-11-01", "csm": "ben@example.com"},
        headers=headers,
    ).json()
    assert [r["external_id"] for r in mine] == ["globex"]
    one = client.get("/api/v1/health/acme", params={"as_of": "2026-11-01"}, headers=headers)
    assert one.json() == acme
    why = client.get("/api/v1/health/acme/why", params={"as_of": "2026-11-01"}, headers=headers)
    cli_why = initialised("health", "why", "acme", "--as-of", "2026-11-01", "--format", "json")
    assert why.json() == cli_why.json()
    assert "What moved: up 30 since 2026-10-02: product 50 -> 80" in why.json()["health"][0]["why"]
    missing = client.get("/api/v1/health/nope/why", headers=headers)
    assert missing.status_code == 404
    assert "nope" in missing.json()["detail"]


def test_scorecards_are_readable_and_loaded_by_managers(client, initialised):
    viewer = token(initialised, "val@example.com")
    manager = token(initialised, "boss@example.com")
    listed = client.get("/api/v1/scorecards", headers=viewer).json()
    assert [(s["name"], s["version"]) for s in listed] == [("enterprise", 2)]
    every = client.get("/api/v1/scorecards", params={"all": "true"}, headers=viewer).json()
    assert [(s["version"], s["current"]) for s in every] == [(1, False), (2, True)]
    first = client.get("/api/v1/scorecards/enterprise", params={"version": 1}, headers=viewer)
    assert first.json()["source_file"] == "enterprise.toml (shipped with Tenure)"
    body = {"source": CARD.replace("target = 100", "target = 50"), "file_name": "api.toml"}
    assert client.post("/api/v1/scorecards", json=body, headers=viewer).status_code == 403
    loaded = client.post("/api/v1/scorecards", json=body, headers=manager)
    assert loaded.status_code == 201
    assert (loaded.json()["scorecard"]["version"], loaded.json()["created"]) == (3, True)
    assert loaded.json()["scorecard"]["loaded_by"] == "boss@example.com"
    bad = client.post(
        "/api/v1/scorecards",
        json={"source": CARD.replace("weight = 1", "weight = -1"), "file_name": "bad.toml"},
        headers=manager,
    )
    assert bad.status_code == 400
    assert bad.json()["problems"] == ["bad.toml:4: components[product].weight: -1 is below 0"]


def test_managers_compute_snapshots(client, initialised):
    viewer = token(initialised, "val@example.com")
    manager = token(initialised, "boss@example.com")
    body = {"start": "2026-10-30", "end": "2026-11-01"}
    assert client.post("/api/v1/health/compute", json=body, headers=viewer).status_code == 403
    done = client.post("/api/v1/health/compute", json=body, headers=manager)
    assert done.status_code == 200
    assert done.json() == {
        "start": "2026-10-30",
        "end": "2026-11-01",
        "days": 3,
        "snapshots": 6,
        "bands": {"green": 1, "red": 1},
    }
    too_long = client.post(
        "/api/v1/health/compute", json={"start": "2020-01-01", "end": "2026-01-01"}, headers=manager
    )
    assert too_long.status_code == 400
