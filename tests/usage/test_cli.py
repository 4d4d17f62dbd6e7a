"""`tenure keys`, `tenure import events`, `tenure usage stats`, `tenure metrics` and
`tenure daily` on a small book."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from tenure.usage.events import EVENT_SCHEMA
from tenure.warehouse import Warehouse

EVENTS = [
    # u-1 is Acme's contact: their events count for Acme without any group call.
    {
        "type": "track",
        "event": "Link Clicked",
        "userId": "u-1",
        "messageId": "e1",
        "timestamp": "2026-11-02T10:00:00Z",
        "properties": {"campaign": "spring"},
    },
    {
        "type": "track",
        "event": "Link Clicked",
        "userId": "u-1",
        "messageId": "e2",
        "timestamp": "2026-11-03T10:00:00Z",
        "properties": {"campaign": "spring"},
    },
    {
        "type": "track",
        "event": "Link Clicked",
        "anonymousId": "a-9",
        "messageId": "e3",
        "timestamp": "2026-11-10T10:00:00Z",
        "context": {"groupId": "initech"},
        "properties": {"campaign": "fall"},
    },
    {
        "type": "track",
        "event": "Signed In",
        "userId": "g-1",
        "messageId": "e4",
        "timestamp": "2026-11-11T10:00:00Z",
    },
    {
        "type": "group",
        "userId": "g-1",
        "groupId": "globex",
        "messageId": "e5",
        "timestamp": "2026-11-12T10:00:00Z",
    },
    {
        "type": "track",
        "event": "Link Clicked",
        "userId": "g-1",
        "messageId": "e6",
        "timestamp": "2026-11-12T11:00:00Z",
    },
]


def test_write_keys_are_shown_once_and_kept_hashed(initialised):
    created = initialised("keys", "create", "--name", "web", "--format", "json").json()
    key = created[0]["write_key"]
    assert key.startswith("wk_")
    assert created[0]["prefix"] == key[:12]
    listed = initialised("keys", "list", "--format", "json").json()
    assert [(k["prefix"], k["name"], k["revoked_at"]) for k in listed] == [(key[:12], "web", None)]
    assert key not in initialised("keys", "list", "--format", "csv").stdout
    initialised("keys", "revoke", key[:12])
    assert initialised("keys", "list", "--format", "json").json()[0]["revoked_at"] is not None
    missing = initialised("keys", "revoke", "wk_nothing", ok=False)
    assert missing.code == 1
    assert "no write key starting with 'wk_nothing'" in missing.stderr


def test_import_events_then_stats_by_account_user_and_property(initialised, book, files):
    book.load(initialised)
    path = files.jsonl("events.jsonl", EVENTS)
    initialised("import", "events", str(path))
    again = initialised("import", "events", str(path))
    assert "6 events: 0 stored, 6 already there" in again.stderr

    def stats(*args):
        return initialised(
            "usage",
            "stats",
            "--event",
            "Link Clicked",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--format",
            "json",
            *args,
        ).json()

    assert stats("--interval", "week") == [
        {"account_external_id": "acme", "period": "2026-11-02", "count": 2},
        {"account_external_id": "globex", "period": "2026-11-09", "count": 1},
        {"account_external_id": "initech", "period": "2026-11-09", "count": 1},
    ]
    assert stats("--interval", "month", "--tier", "free") == [
        {"account_external_id": "initech", "period": "2026-11-01", "count": 1}
    ]
    assert stats("--interval", "month", "--by", "user") == [
        {"account_external_id": "acme", "period": "2026-11-01", "user_id": "u-1", "count": 2},
        {"account_external_id": "globex", "period": "2026-11-01", "user_id": "g-1", "count": 1},
        {"account_external_id": "initech", "period": "2026-11-01", "user_id": "a-9", "count": 1},
    ]
    by_campaign = stats("--interval", "month", "--by", "property:campaign")
    assert [(r["account_external_id"], r["campaign"], r["count"]) for r in by_campaign] == [
        ("acme", "spring", 2),
        ("globex", None, 1),
        ("initech", "fall", 1),
    ]
    table = initialised(
        "usage", "stats", "--event", "Link Clicked", "--from", "2026-11-01", "--to", "2026-11-30"
    ).stdout
    assert "initech" in table
    assert "2026-11-09" in table
    bad = initialised("usage", "stats", "--event", "x", "--by", "colour", ok=False)
    assert bad.code == 1
    assert "--by 'colour': use account, user or property:NAME" in bad.stderr
    period = ["--from", "2026-11-01", "--to", "2026-11-30"]
    typo = initialised("usage", "stats", "--event", "Link Click", *period, ok=False)
    assert typo.code == 1
    known = sorted({e["event"] for e in EVENTS if e.get("event")})
    assert (
        "--event 'Link Click': no such event from 2026-11-01 to 2026-11-30 "
        f"(did you mean 'Link Clicked'?); known events: {', '.join(known)}"
    ) in typo.stderr
    # A period without any event at all says so too.
    quiet = ["--from", "2026-12-01", "--to", "2026-12-02", "--format", "json"]
    none = initialised("usage", "stats", "--event", "Link Clicked", *quiet, ok=False)
    assert "no events at all from 2026-12-01 to 2026-12-02" in none.stderr


def test_bad_event_files_are_refused_whole_naming_file_row_and_field(initialised, files, settings):
    rows = [
        {
            "message_id": "ok",
            "type": "track",
            "event": "x",
            "user_id": "u",
            "timestamp": "2026-11-01T00:00:00Z",
        },
        {
            "message_id": "",
            "type": "track",
            "event": "x",
            "user_id": "u",
            "timestamp": "2026-11-01",
        },
        {
            "message_id": "m3",
            "type": "track",
            "event": "",
            "user_id": "u",
            "timestamp": "not a time",
            "properties": "[1, 2]",
        },
    ]
    path = files.csv("events.csv", rows)
    refused = initialised("import", "events", str(path), ok=False)
    assert refused.code == 1
    assert f"{path}: refused, nothing imported (4 problems):" in refused.stderr
    for expected in (
        f"{path}:3: message_id: (empty): required (it makes imports idempotent)",
        f"{path}:4: event: (empty): a track call needs an event name",
        f"{path}:4: timestamp: 'not a time': not an ISO 8601 date-time between 1970 and 2100",
        f"{path}:4: properties: '[1, 2]': not a JSON object",
    ):
        assert expected in refused.stderr
    jsonl = files.jsonl("calls.jsonl", [{"type": "track", "event": "x", "userId": "u"}])
    refused = initialised("import", "events", str(jsonl), ok=False)
    assert f"{jsonl}:1: messageId: (empty): required in a file" in refused.stderr
    # Nothing of either refused file reached the store: no Parquet file at all.
    events = Warehouse(settings).root.joinpath("events")
    assert sorted(str(p.relative_to(events)) for p in events.rglob("*.parquet")) == []
    assert not list(Warehouse(settings).root.joinpath("events").glob("g*"))


def test_parquet_events_are_checked_and_loaded_in_bulk(initialised, book, tmp_path):
    book.load(initialised)
    good = pa.Table.from_pylist(
        [
            {
                "message_id": f"p{n}",
                "type": "track",
                "event": "Signed In",
                "user_id": "u-2",
                "anonymous_id": None,
                "account_external_id": None,
                "timestamp": pa.scalar(
                    1_793_000_000_000_000 + n * 3_600_000_000, pa.timestamp("us", tz="UTC")
                ).as_py(),
                "properties": None,
            }
            for n in range(50)
        ],
        schema=EVENT_SCHEMA,
    )
    path = tmp_path / "events.parquet"
    pq.write_table(good, path)
    result = initialised("import", "events", str(path))
    assert "50 events: 50 stored" in result.stderr
    bad = good.set_column(1, "type", pa.array(["track"] * 49 + ["shout"]))
    pq.write_table(bad, tmp_path / "bad.parquet")
    refused = initialised("import", "events", str(tmp_path / "bad.parquet"), ok=False)
    assert f"{tmp_path / 'bad.parquet'}:50: type: 'shout': not one of" in refused.stderr
    day = good["timestamp"][0].as_py().date().isoformat()
    run = initialised("metrics", "compute", "--as-of", day, "--format", "json").json()[0]
    assert run["days"] == 1
    assert run["metrics"] == 18
    assert run["values"] == 18 * 3
    latest = initialised("accounts", "show", "acme", "--as-of", day, "--format", "json").json()
    metrics = {m["metric"]: m["value"] for m in latest["metrics"]}
    assert metrics["logins_28d"] >= 1
    assert metrics["active_users_28d"] == 1


def test_metrics_catalogue_and_daily(initialised, book):
    book.load(initialised)
    catalogue = initialised("metrics", "catalogue", "--format", "json").json()
    names = [m["metric"] for m in catalogue]
    for name in (
        "events_28d",
        "active_users_28d",
        "logins_28d",
        "logins_per_user_28d",
        "session_minutes_per_user_28d",
        "features_used_28d",
        "dau_mau",
        "days_since_login",
        "events_change_8w",
        "link_clicks_28d",
        "links_created_28d",
        "clicks_per_link_28d",
        "stats_views_28d",
    ):
        assert name in names
    daily = initialised("daily", "--as-of", "2026-11-20", "--format", "json").json()[0]
    assert daily["as_of"] == "2026-11-20"
    assert daily["metrics"] == 18
    assert daily["health"].startswith("health: ")
    both = initialised(
        "metrics", "compute", "--as-of", "2026-11-20", "--from", "2026-11-01", ok=False
    )
    assert "give either --as-of or --from/--to, not both" in both.stderr
