"""Incident notices and value reports on the demo companies' own events."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from pathlib import Path

import duckdb
import pytest

from tenure.messaging.mime import Envelope, build
from tenure.reports.value import ValueReport
from tests.conftest import Cli
from tests.demo.helpers import generate, rows

AS_OF = "2026-11-23"
WINDOW = ("2026-11-18T12:00:00", "2026-11-18T14:00:00")


def _company(folder: Path, scenario: str, accounts: str, months: str) -> tuple[Cli, Path]:
    out = generate(
        folder / "demo",
        "--scenario",
        scenario,
        "--accounts",
        accounts,
        "--months",
        months,
        "--events-format",
        "parquet",
    )
    cli = Cli(
        {
            "TENURE_DATA_DIR": str(folder / "data"),
            "TENURE_MAIL_INTERNAL_TO": "cs-team@example.com",
            "TENURE_PUBLIC_URL": "http://tenure.example",
            "TENURE_SECRET_KEY": "demo-secret",
        }
    )
    cli("init")
    cli("demo", "load", str(out))
    return cli, out


@pytest.fixture(scope="module")
def enterprise(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, Path]:
    return _company(tmp_path_factory.mktemp("enterprise"), "enterprise", "12", "2")


@pytest.fixture(scope="module")
def shortener(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, Path]:
    return _company(tmp_path_factory.mktemp("shortener"), "shortener", "40", "3")


def _expected_counts(events: Path, start: str, end: str) -> dict[str, int]:
    """Straight from the generated file: events per account in [start, end)."""
    found = duckdb.sql(
        f"select account_external_id, count(*) from read_parquet('{events}') "
        f"where timestamp >= '{start}+00' and timestamp < '{end}+00' "
        "and account_external_id is not null group by 1"
    ).fetchall()
    return {a: int(n) for a, n in found}


def _arr_on(contracts: Path, day: str) -> dict[str, float]:
    arr: dict[str, float] = {}
    for row in rows(contracts):
        if row["start_date"] <= day < row["end_date"]:
            key = row["account_external_id"]
            arr[key] = arr.get(key, 0.0) + float(row["arr"])
    return arr


def test_an_incident_window_finds_the_clients_with_events_in_it_ranked_by_arr(
    enterprise: tuple[Cli, Path], tmp_path: Path
) -> None:
    cli, out = enterprise
    expected = _expected_counts(out / "events.parquet", *WINDOW)
    all_accounts = {r["external_id"] for r in rows(out / "accounts.csv")}
    assert 2 <= len(expected) < len(all_accounts), "the window should split the book"
    arr = _arr_on(out / "contracts.csv", WINDOW[0][:10])

    found = cli(
        "incident",
        "notify",
        "--from",
        WINDOW[0],
        "--to",
        WINDOW[1],
        "--dry-run",
        "--format",
        "json",
    ).json()
    assert isinstance(found, list)
    assert {r["account_external_id"]: r["count"] for r in found} == expected
    assert [r["account_external_id"] for r in found] == sorted(
        expected, key=lambda a: (-arr.get(a, 0.0), -expected[a], a)
    )
    assert [r["arr"] for r in found] == [arr.get(r["account_external_id"], 0.0) for r in found]
    assert [r["rank"] for r in found] == list(range(1, len(found) + 1))

    brief = tmp_path / "brief.md"
    cli(
        "incident",
        "notify",
        "--from",
        WINDOW[0],
        "--to",
        WINDOW[1],
        "--what",
        "events",
        "--summary",
        "the service answered slowly",
        "--brief",
        str(brief),
    )
    text = brief.read_text()
    top = found[0]
    assert f"- Affected clients: {len(found)}" in text
    assert f"ARR at risk: {sum(arr.get(a, 0.0) for a in expected):,.0f} USD" in text
    assert f"| 1 | {top['name']} ({top['account_external_id']}) |" in text
    assert "## Who should call whom" in text

    outbox = cli("mail", "list", "--format", "json").json()
    assert isinstance(outbox, list)
    notices = [m for m in outbox if m["template"] == "incident_notice"]
    assert {m["account_external_id"] for m in notices} == set(expected)
    assert all(m["status"] == "pending_approval" for m in notices)
    for notice in notices:
        count = expected[notice["account_external_id"]]
        assert notice["subject"].endswith(f": {count:,} of your events were affected on 2026-11-18")
    [brief_mail] = [m for m in outbox if m["template"] == "incident_brief"]
    assert brief_mail["to_email"] == "cs-team@example.com"
    # The audience was frozen when drafted: drafting the same incident again adds nobody.
    cli("incident", "notify", "--from", WINDOW[0], "--to", WINDOW[1])
    again = cli("mail", "list", "--format", "json").json()
    assert isinstance(again, list)
    assert len(again) == len(outbox)


def test_a_free_clients_value_report_carries_its_own_clicks_matching_usage_stats(
    shortener: tuple[Cli, Path], tmp_path: Path
) -> None:
    cli, _ = shortener
    period = ("--from", "2026-10-26", "--to", "2026-11-22")
    stats = cli(
        "usage",
        "stats",
        "--event",
        "Link Clicked",
        *period,
        "--tier",
        "free",
        "--interval",
        "week",
        "--format",
        "json",
    ).json()
    assert isinstance(stats, list)
    per_account: dict[str, dict[str, int]] = {}
    for row in stats:
        per_account.setdefault(row["account_external_id"], {})[row["period"]] = row["count"]
    reports = cli(
        "report",
        "value",
        "--tier",
        "free",
        "--min-events",
        "100",
        *period,
        "--out",
        str(tmp_path / "pages"),
        "--format",
        "json",
    ).json()
    assert isinstance(reports, list)
    assert reports, "some free client clicked at least 100 times"
    wanted = {a for a, p in per_account.items() if sum(p.values()) >= 100}
    assert {r["account_external_id"] for r in reports} == wanted
    for report in reports:
        own = per_account[report["account_external_id"]]
        assert {p["period"]: p["count"] for p in report["periods"]} == own
        assert report["total"] == sum(own.values())
        assert report["tier"] == "free"

    first = reports[0]
    page = (tmp_path / "pages" / f"{first['account_external_id']}.html").read_text()
    assert f"{first['total']:,} clicks" in page
    assert "<svg" in page
    # The email: drafted for the client's contacts, with the chart inline and the numbers.
    outbox = cli("mail", "list", "--format", "json").json()
    assert isinstance(outbox, list)
    mine = [m for m in outbox if m["account_external_id"] == first["account_external_id"]]
    assert mine
    assert all(m["template"] == "value_report" for m in outbox)
    shown = cli("mail", "show", str(mine[0]["id"]), "--format", "json").json()
    assert isinstance(shown, list)
    html = shown[0]["html"]
    for row in first["periods"]:
        assert f"<td>{row['period']}</td><td>{row['count']:,}</td>" in html
    assert f'src="cid:clicks-{first["account_external_id"]}@tenure"' in html
    assert json.dumps(first["total"]) in shown[0]["subject"].replace(",", "")


def test_the_value_report_email_carries_its_chart_as_an_inline_png() -> None:
    periods = [{"period": "2026-01-05", "count": 1}, {"period": "2026-01-12", "count": 2}]
    report = ValueReport("a", "A", "free", date(2026, 1, 1), date(2026, 1, 31), "week", 3, periods)
    envelope = Envelope(
        message_id="<x@y>",
        from_address="a@b",
        to_email="c@d",
        to_name=None,
        reply_to=None,
        subject="s",
        text="t\n",
        html='<img src="cid:chart@t">',
        date=datetime(2026, 1, 1, tzinfo=UTC),
        images={"chart@t": base64.b64encode(report.chart_png()).decode()},
    )
    parsed = message_from_bytes(build(envelope).as_bytes(), policy=policy.default)
    images = [p for p in parsed.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1
    assert images[0]["Content-ID"] == "<chart@t>"
    assert images[0].get_content().startswith(b"\x89PNG\r\n\x1a\n")
