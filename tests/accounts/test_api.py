"""The REST API: tokens, the book, an account's story, timeline writes and imports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import add_users, api_client, token


@pytest.fixture
def client(initialised, book, settings) -> Iterator[TestClient]:
    book.load(initialised)
    add_users(
        initialised, ("boss@example.com", "manager", "Boss"), ("val@example.com", "viewer", "Val")
    )
    with api_client(settings) as test_client:
        yield test_client


def test_requests_need_a_valid_token(client, initialised):
    response = client.get("/api/v1/accounts")
    assert response.status_code == 401
    assert "missing API token" in response.json()["detail"]
    bad = client.get("/api/v1/accounts", headers={"Authorization": "Bearer tnr_nope"})
    assert bad.status_code == 401
    headers = token(initialised, "boss@example.com")
    prefix = headers["Authorization"].split()[1][:12]
    assert client.get("/api/v1/me", headers=headers).json()["email"] == "boss@example.com"
    initialised("tokens", "revoke", prefix)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_the_book_and_an_account(client, initialised):
    headers = token(initialised, "val@example.com")
    accounts = client.get(
        "/api/v1/accounts",
        params={"csm": "ana.silva@example.com", "as_of": "2026-11-23"},
        headers=headers,
    ).json()
    assert [a["external_id"] for a in accounts] == ["acme", "initech"]
    assert accounts[0]["arr"] == 52000.0
    assert accounts[0]["renewal_months"] == 2
    page = client.get("/api/v1/accounts", params={"limit": 1, "offset": 1}, headers=headers).json()
    assert [a["external_id"] for a in page] == ["globex"]
    story = client.get("/api/v1/accounts/acme", params={"as_of": "2026-11-23"}, headers=headers)
    assert story.status_code == 200
    cli_story = initialised("accounts", "show", "acme", "--as-of", "2026-11-23", "--format", "json")
    assert story.json() == cli_story.json()
    missing = client.get("/api/v1/accounts/nope", headers=headers)
    assert missing.status_code == 404
    assert "nope" in missing.json()["detail"]
    assert client.get("/openapi.json").json()["info"]["title"] == "Tenure"


def test_timeline_writes_follow_roles(client, initialised):
    viewer = token(initialised, "val@example.com")
    csm = token(initialised, "ben.okafor@example.com")
    manager = token(initialised, "boss@example.com")
    note = {"kind": "call", "text": "Renewal call booked"}
    refused = client.post("/api/v1/accounts/acme/timeline", json=note, headers=viewer)
    assert refused.status_code == 403
    assert "may not change account 'acme'" in refused.json()["detail"]
    assert client.post("/api/v1/accounts/acme/timeline", json=note, headers=csm).status_code == 403
    own = client.post("/api/v1/accounts/globex/timeline", json=note, headers=csm)
    assert own.status_code == 201
    assert own.json()["author"] == "ben.okafor@example.com"
    done = client.post("/api/v1/accounts/acme/timeline", json=note, headers=manager)
    assert done.status_code == 201
    invalid = client.post(
        "/api/v1/accounts/acme/timeline", json={"kind": "sentiment", "text": "x"}, headers=manager
    )
    assert invalid.status_code == 422
    assert "a sentiment entry needs" in " ".join(invalid.json()["problems"])


def test_imports_through_the_api(client, initialised, files):
    manager = token(initialised, "boss@example.com")
    viewer = token(initialised, "val@example.com")
    upload = files.csv("accounts.csv", [{"external_id": "new", "name": "New Co", "tier": "trial"}])
    body = {"file": ("accounts.csv", upload.read_bytes(), "text/csv")}
    assert client.post("/api/v1/imports/accounts", files=body, headers=viewer).status_code == 403
    result = client.post("/api/v1/imports/accounts", files=body, headers=manager)
    assert result.status_code == 200
    assert result.json() == {
        "kind": "accounts",
        "file": "accounts.csv",
        "rows": 1,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
    }
    bad = files.csv(
        "contacts.csv", [{"external_id": "p", "account_external_id": "zzz", "name": "A"}]
    )
    refused = client.post(
        "/api/v1/imports/contacts",
        files={"file": ("contacts.csv", bad.read_bytes(), "text/csv")},
        headers=manager,
    )
    assert refused.status_code == 400
    assert refused.json()["problems"] == [
        "contacts.csv:2: account_external_id: 'zzz': no such account (import accounts first)"
    ]
