"""`tenure demo generate`: same seed and as-of, same bytes; the files are Tenure's import
formats (CSV columns, Segment JSON Lines, Parquet with the stored event columns)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import orjson
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tenure.demo.events import EVENT_SCHEMA
from tenure.kit.dates import utc_today
from tests.demo.helpers import generate, header, rows

MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FILES = ("accounts.csv", "contracts.csv", "contacts.csv", "tickets.csv", "surveys.csv")


@pytest.fixture(scope="module")
def enterprise(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("enterprise")
    return generate(out, "--scenario", "enterprise", "--accounts", "24", "--seed", "11")


@pytest.fixture(scope="module")
def shortener(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shortener")
    return generate(
        out,
        "--scenario",
        "shortener",
        "--accounts",
        "150",
        "--months",
        "12",
        "--seed",
        "4",
        "--events-format",
        "parquet",
    )


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_same_seed_and_as_of_give_the_same_bytes(tmp_path: Path, fmt: str) -> None:
    options = ("--accounts", "8", "--months", "13", "--seed", "5", "--events-format", fmt)
    first = _bytes(generate(tmp_path / "a", *options))
    second = _bytes(generate(tmp_path / "b", *options))
    assert sorted(first) == sorted([*FILES, f"events.{fmt}"])
    assert first == second
    other = _bytes(generate(tmp_path / "c", *options[:4], "--seed", "6", "--events-format", fmt))
    assert other["accounts.csv"] != first["accounts.csv"]
    assert other[f"events.{fmt}"] != first[f"events.{fmt}"]
    later = _bytes(generate(tmp_path / "d", *options, as_of="2026-12-23"))
    assert later["contracts.csv"] != first["contracts.csv"]


def test_csv_columns_are_the_import_columns(enterprise: Path) -> None:
    assert header(enterprise / "accounts.csv")[:8] == [
        "external_id",
        "name",
        "tier",
        "segment",
        "industry",
        "csm_email",
        "customer_since",
        "lifecycle_stage",
    ]
    assert header(enterprise / "contracts.csv") == [
        "external_id",
        "account_external_id",
        "start_date",
        "end_date",
        "arr",
        "currency",
        "quantity",
        "units",
        "status",
    ]
    assert header(enterprise / "contacts.csv") == [
        "external_id",
        "account_external_id",
        "name",
        "email",
        "title",
        "seniority",
        "is_sponsor",
        "user_id",
    ]
    assert header(enterprise / "tickets.csv")[:7] == [
        "external_id",
        "account_external_id",
        "opened_at",
        "closed_at",
        "kind",
        "priority",
        "satisfied",
    ]
    assert header(enterprise / "surveys.csv") == [
        "external_id",
        "account_external_id",
        "contact_email",
        "kind",
        "sent_at",
        "score",
        "responded_at",
        "comment",
    ]


def test_values_follow_the_import_formats(enterprise: Path) -> None:
    accounts = rows(enterprise / "accounts.csv")
    ids = {a["external_id"] for a in accounts}
    assert all(a["tier"] == "paid" and DAY.match(a["customer_since"]) for a in accounts)
    contracts = rows(enterprise / "contracts.csv")
    for c in contracts:
        assert c["account_external_id"] in ids
        assert DAY.match(c["start_date"])
        assert DAY.match(c["end_date"])
        assert c["start_date"] < c["end_date"]
        assert c["status"] in {"active", "renewed", "churned", "expired"}
        assert 10_000 <= float(c["arr"]) <= 70_000 or c["external_id"].endswith(("C02", "C03"))
        assert c["currency"] == "USD"
        assert c["units"] == "seats"
        # an ended contract has an outcome, one still running is active
        assert (c["status"] == "active") == (c["end_date"] > "2026-11-23")
    for contact in rows(enterprise / "contacts.csv"):
        assert contact["seniority"] in {"c_level", "vp", "director", "manager", "staff"}
        assert contact["is_sponsor"] in {"true", "false"}
    for ticket in rows(enterprise / "tickets.csv"):
        assert MOMENT.match(ticket["opened_at"])
        assert ticket["closed_at"] == "" or ticket["closed_at"] >= ticket["opened_at"]
        assert ticket["kind"] in {"question", "problem"}
        assert ticket["satisfied"] in {"", "true", "false"}
    for survey in rows(enterprise / "surveys.csv"):
        assert survey["kind"] in {"nps", "csat"}
        assert MOMENT.match(survey["sent_at"])
        assert (survey["score"] == "") == (survey["responded_at"] == "")
        if survey["score"]:
            low, high = (0, 10) if survey["kind"] == "nps" else (1, 5)
            assert low <= int(survey["score"]) <= high
            assert survey["responded_at"] < "2026-11-23"


def test_events_are_segment_calls(enterprise: Path) -> None:
    calls = [orjson.loads(line) for line in (enterprise / "events.jsonl").read_bytes().splitlines()]
    kinds = Counter(c["type"] for c in calls)
    assert set(kinds) == {"identify", "group", "track"}
    assert len({c["messageId"] for c in calls}) == len(calls)
    identified: set[str] = set()
    features = set()
    for call in calls:
        assert call["timestamp"].endswith("Z")
        assert call["timestamp"] < "2026-11-23"
        if call["type"] == "identify":
            assert "@" in call["traits"]["email"]
            identified.add(call["userId"])
        elif call["type"] == "group":
            assert call["groupId"] == call["userId"].rsplit("-u", 1)[0]
        else:
            assert call["event"] in {"Signed In", "Feature Used"}
            assert call["userId"] in identified  # identified before its first event
            assert call["context"]["groupId"] == call["userId"].rsplit("-u", 1)[0]
            if call["event"] == "Feature Used":
                features.add(call["properties"]["feature"])
    assert 10 <= len(features) <= 12  # about a dozen features


def test_parquet_events_have_the_stored_columns(shortener: Path) -> None:
    table = pq.read_table(shortener / "events.parquet")
    assert table.schema.equals(EVENT_SCHEMA)
    assert table.column_names == [
        "message_id",
        "type",
        "event",
        "user_id",
        "anonymous_id",
        "account_external_id",
        "timestamp",
        "properties",
    ]
    try:
        from tenure.usage.events import EVENT_SCHEMA as STORED
    except ImportError:  # the usage domain defines it too once it exists
        return
    assert table.schema.equals(STORED)


def test_shortener_tells_free_and_paid_clients_apart(shortener: Path) -> None:
    con = duckdb.connect()
    events = f"read_parquet('{shortener / 'events.parquet'}')"
    contracts = f"read_csv('{shortener / 'contracts.csv'}', all_varchar=true)"
    accounts = {a["external_id"]: a for a in rows(shortener / "accounts.csv")}
    assert {a["tier"] for a in accounts.values()} == {"free", "paid"}
    assert {c["units"] for c in rows(shortener / "contracts.csv")} == {"clicks/month"}
    names = con.sql(f"select distinct event from {events} where type = 'track'").fetchall()
    assert {n for (n,) in names} == {"Signed In", "Link Created", "Link Clicked", "Stats Viewed"}
    # The statistics are what paying clients get: viewed only while a contract runs.
    unpaid = con.sql(
        f"""select count(*) from {events} e where event = 'Stats Viewed' and not exists (
            select 1 from {contracts} c where c.account_external_id = e.account_external_id
            and c.start_date::date <= e.timestamp::date and e.timestamp::date < c.end_date::date)"""
    ).fetchall()
    assert unpaid == [(0,)]
    clicks = con.sql(
        f"""select account_external_id, count(*) filter (where user_id is not null
            or not starts_with(anonymous_id, 'v-')), count(*) filter (where
            json_keys(properties::json) = ['link_id', 'campaign']), count(*)
            from {events} where event = 'Link Clicked' group by 1"""
    ).fetchall()
    assert all(named == 0 and props == total for _, named, props, total in clicks)
    # Clicks are recorded for every client, free ones included.
    assert any(accounts[a]["tier"] == "free" for a, *_ in clicks)


def test_shortener_email_campaigns_use_a_link_per_recipient(shortener: Path) -> None:
    events = f"read_parquet('{shortener / 'events.parquet'}')"
    campaigns = duckdb.sql(
        f"""with links as (
            select event, properties::json ->> 'link_id' link,
                   properties::json ->> 'campaign' campaign
            from {events} where event in ('Link Created', 'Link Clicked')
                and starts_with(properties::json ->> 'campaign', 'newsletter-')
        ), per_link as (
            select campaign, link, count(*) filter (where event = 'Link Clicked') clicks
            from links group by all
        )
        select campaign, count(*), count(*) filter (where clicks > 0),
               avg(clicks) filter (where clicks > 0)
        from per_link group by 1"""
    ).fetchall()
    assert campaigns, "some client runs a unique-link email campaign"
    for name, links, clicked, clicks_each in campaigns:
        assert links >= 100, name
        assert 0.15 < clicked / links < 0.6, name  # a share of the recipients click
        assert clicks_each < 1.6, name  # about once each


def test_as_of_defaults_to_today(tmp_path: Path) -> None:
    out = generate(
        tmp_path, "--accounts", "8", "--months", "2", "--events-format", "none", as_of=None
    )
    today = utc_today().isoformat()
    assert not (out / "events.jsonl").exists()
    contracts = rows(out / "contracts.csv")
    assert any(c["start_date"] <= today < c["end_date"] for c in contracts)
    assert all(t["opened_at"] < today for t in rows(out / "tickets.csv"))
    assert max(c["start_date"] for c in contracts) <= today


def test_events_format_none_removes_stale_events(tmp_path: Path) -> None:
    generate(tmp_path, "--accounts", "4", "--months", "2")
    assert (tmp_path / "events.jsonl").exists()
    generate(tmp_path, "--accounts", "4", "--months", "2", "--events-format", "parquet")
    assert not (tmp_path / "events.jsonl").exists()
    assert (tmp_path / "events.parquet").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--accounts", "0"], "--accounts: 0: must be at least 1"),
        (["--months", "0"], "--months: 0: must be between 1 and 240"),
        (["--as-of", "2026-13-01"], "--as-of: '2026-13-01': not a date"),
    ],
)
def test_bad_options_are_named(tmp_path: Path, options: list[str], message: str) -> None:
    from tenure.cli import app

    result = CliRunner().invoke(app, ["demo", "generate", "--out", str(tmp_path), *options])
    assert result.exit_code == 1
    assert message in result.stderr


def test_out_must_be_a_folder(tmp_path: Path) -> None:
    from tenure.cli import app

    target = tmp_path / "file.txt"
    target.write_text("x")
    result = CliRunner().invoke(app, ["demo", "generate", "--out", str(target)])
    assert result.exit_code == 1
    assert f"--out: {target}: exists and is not a folder" in result.stderr


def test_history_reaches_back_the_requested_months(enterprise: Path) -> None:
    calls = (enterprise / "events.jsonl").read_bytes().splitlines()
    first = orjson.loads(calls[0])["timestamp"][:10]
    assert date.fromisoformat(first) < date(2024, 12, 1)  # 24 months before 2026-11-23
