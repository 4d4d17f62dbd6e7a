"""Looking at the book from the command line: list, show, notes, formats."""

from __future__ import annotations

import csv
import io

import pytest


@pytest.fixture
def loaded(initialised, book):
    book.load(initialised)
    return initialised


def test_list_json_records_carry_the_import_fields(loaded):
    records = loaded("accounts", "list", "--as-of", "2026-11-23", "--format", "json").json()
    assert [r["external_id"] for r in records] == ["acme", "globex", "initech"]
    acme = records[0]
    assert acme == {
        "external_id": "acme",
        "name": "Acme Corp",
        "tier": "paid",
        "segment": "enterprise",
        "industry": "manufacturing",
        "csm_email": "ana.silva@example.com",
        "customer_since": "2023-02-01",
        "lifecycle_stage": "adoption",
        "arr": 52000.0,
        "currency": "USD",
        "renewal_date": "2027-02-01",
        "renewal_months": 2,
        "attributes": {"region": "EMEA"},
    }
    # globex's contract starts 2026-06-15: before that it has no active contract
    earlier = loaded("accounts", "list", "--as-of", "2026-06-14", "--format", "json").json()
    assert next(r for r in earlier if r["external_id"] == "globex")["arr"] is None


def test_list_filters_by_csm_and_tier(loaded):
    mine = loaded("accounts", "list", "--csm", "ANA.SILVA@example.com", "--format", "json").json()
    assert [r["external_id"] for r in mine] == ["acme", "initech"]
    free = loaded("accounts", "list", "--tier", "free", "--format", "json").json()
    assert [r["external_id"] for r in free] == ["initech"]
    unknown = loaded("accounts", "list", "--csm", "who@example.com", ok=False)
    assert unknown.code == 1
    assert "no user with email 'who@example.com'" in unknown.stderr


def test_list_csv_and_table(loaded):
    text = loaded("accounts", "list", "--as-of", "2026-11-23", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["external_id"] == "acme"
    assert rows[0]["renewal_months"] == "2"
    table = loaded("accounts", "list", "--as-of", "2026-11-23")
    assert "Acme Corp" in table.stdout
    assert "52,000.00" in table.stdout
    assert table.stderr == ""


def test_show_tells_the_whole_story(loaded):
    story = loaded("accounts", "show", "acme", "--as-of", "2026-11-23", "--format", "json").json()
    assert set(story) == {
        "account",
        "contracts",
        "contacts",
        "metrics",
        "tickets",
        "surveys",
        "timeline",
    }
    assert story["account"][0]["renewal_date"] == "2027-02-01"
    assert [(c["external_id"], c["active"]) for c in story["contracts"]] == [
        ("c1", False),
        ("c2", True),
    ]
    assert story["contacts"][0]["name"] == "Carla Diaz"
    assert story["contacts"][0]["is_sponsor"]
    assert story["metrics"] == [
        {"account_external_id": "acme", "metric": "logins_28d", "date": "2026-11-20", "value": 95.0}
    ]
    assert [t["external_id"] for t in story["tickets"]] == ["t2"]  # t1 is closed
    assert [(s["kind"], s["score"]) for s in story["surveys"]] == [("nps", 6)]
    # as of an earlier day, the later answer and ticket do not exist yet
    before = loaded("accounts", "show", "acme", "--as-of", "2026-09-01", "--format", "json").json()
    assert [(s["kind"], s["score"]) for s in before["surveys"]] == [("nps", 9)]
    assert before["tickets"] == []


def test_notes_go_on_the_timeline(loaded):
    loaded(
        "note",
        "add",
        "acme",
        "Kick-off with the CFO",
        "--kind",
        "meeting",
        "--author",
        "ana.silva@example.com",
        "--at",
        "2026-11-10T15:00:00Z",
    )
    loaded(
        "note", "add", "acme", "Usage is dropping", "--kind", "sentiment", "--sentiment", "amber"
    )
    story = loaded("accounts", "show", "acme", "--format", "json").json()
    # The notes, among the tickets and survey answers the timeline also tells.
    written = ("note", "email", "call", "meeting", "sentiment")
    kinds = [
        (e["kind"], e["sentiment"], e["text"]) for e in story["timeline"] if e["kind"] in written
    ]
    assert kinds == [
        ("sentiment", "amber", "Usage is dropping"),
        ("meeting", None, "Kick-off with the CFO"),
    ]
    bad = loaded("note", "add", "acme", "no colour", "--kind", "sentiment", ok=False)
    assert bad.code != 0
    assert "sentiment" in bad.stderr
    missing = loaded("note", "add", "nope", "hello", ok=False)
    assert missing.code == 1
    assert "no account with external_id 'nope'" in missing.stderr


def test_bad_as_of_is_named(loaded):
    result = loaded("accounts", "list", "--as-of", "23/11/2026", ok=False)
    assert result.code == 1
    assert "--as-of: '23/11/2026': not a date" in result.stderr
