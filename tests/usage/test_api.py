"""The usage API and the intake through the app (in process)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import add_users, api_client, token
from tests.usage.test_cli import EVENTS


@pytest.fixture
def client(initialised, book, settings) -> Iterator[TestClient]:
    book.load(initialised)
    add_users(initialised, ("boss@example.com", "manager", "B"), ("val@example.com", "viewer", "V"))
    with api_client(settings) as test_client:
        yield test_client


def test_events_sent_to_the_intake_show_in_usage_stats(client, initialised):
    key = initialised("keys", "create", "--format", "json").json()[0]["write_key"]
    basic = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    assert client.post("/v1/batch", json={"batch": EVENTS[:3]}, headers=basic).status_code == 200
    # Segment's browser library puts the key in the body.
    body = {"batch": EVENTS[3:], "writeKey": key}
    assert client.post("/v1/batch", json=body).status_code == 200
    assert client.post("/v1/track", json=EVENTS[0]).status_code == 401
    refused = client.post("/v1/identify", json={"traits": {}}, headers=basic)
    assert refused.status_code == 400
    assert refused.json()["problems"] == [
        "identify: userId: (empty): a call needs userId or anonymousId"
    ]
    headers = token(initialised, "val@example.com")
    params = {
        "event": "Link Clicked",
        "from": "2026-11-01",
        "to": "2026-11-30",
        "interval": "month",
    }
    stats = client.get("/api/v1/usage/stats", params=params, headers=headers)
    assert stats.status_code == 200, stats.text
    assert stats.json() == [
        {"account_external_id": "acme", "period": "2026-11-01", "count": 2},
        {"account_external_id": "globex", "period": "2026-11-01", "count": 1},
        {"account_external_id": "initech", "period": "2026-11-01", "count": 1},
    ]
    by_user = client.get(
        "/api/v1/usage/stats", params={**params, "by": "user", "tier": "free"}, headers=headers
    ).json()
    assert by_user == [
        {"account_external_id": "initech", "period": "2026-11-01", "user_id": "a-9", "count": 1}
    ]
    bad = client.get("/api/v1/usage/stats", params={**params, "by": "x"}, headers=headers)
    assert bad.status_code == 400
    assert "use account, user or property:NAME" in bad.json()["detail"]
    assert client.get("/api/v1/usage/stats", params=params).status_code == 401


def test_computing_metrics_through_the_api_is_for_managers(client, initialised):
    params = {"as_of": "2026-11-20"}
    viewer = token(initialised, "val@example.com")
    assert (
        client.post("/api/v1/usage/metrics/compute", params=params, headers=viewer).status_code
        == 403
    )
    manager = token(initialised, "boss@example.com")
    run = client.post("/api/v1/usage/metrics/compute", params=params, headers=manager)
    assert run.status_code == 200, run.text
    assert run.json()["days"] == ["2026-11-20"]
    assert len(run.json()["metrics"]) == 18
