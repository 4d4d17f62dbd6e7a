"""The retention pages on the hand-worked contract book of tests/retention/test_kpis.py: KPI
tiles, the ARR waterfall, breakdowns, cohorts, the renewal forecast by CSM, and the backtests
of the health score and of the churn model."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pytest

from tenure.health.service import snapshot_store
from tenure.health.snapshots import SNAPSHOT_SCHEMA
from tenure.retention import service as retention
from tenure.retention.book_facts import add_months
from tenure.retention.churn import service as churn_service
from tenure.retention.cohorts import cohort_label, survivors_by_cohort
from tenure.retention.evaluation import wilson
from tenure.warehouse import Warehouse
from tenure.web import kpis as page
from tenure.web.templating import money
from tests.conftest import Cli, Files
from tests.kit.test_charts import assert_waterfall_reconciles
from tests.retention.test_churn_cli import _snapshot
from tests.retention.test_cli import ACCOUNTS, contract_rows

YEAR = {"from": "2026-01-01", "to": "2026-12-31"}
HTMX = {"HX-Request": "true"}
EVIL = "<script>alert(1)</script>"


@dataclass
class HandWorkedBook:
    """Accounts a..i and their contracts (test_kpis.py's book, in dollars)."""

    files: Files

    def load(self, cli: Cli) -> None:
        cli("import", "accounts", str(self.files.csv("kpi-accounts.csv", ACCOUNTS)))
        cli("import", "contracts", str(self.files.csv("kpi-contracts.csv", contract_rows())))


@pytest.fixture
def book(files: Files) -> HandWorkedBook:
    """Replaces the shared web book: the `people` fixture loads this one."""
    return HandWorkedBook(files)


def report(app: Any, by: str | None = None, start: str = "2026-01-01", end: str = "2026-12-31"):
    state = app.state
    with state.database.sessions() as session:
        return retention.kpi_report(
            session,
            state.warehouse,
            state.settings,
            date.fromisoformat(start),
            date.fromisoformat(end),
            by,
        )


def tiles_of(html: str) -> dict[str, str]:
    found = re.findall(
        r'data-kpi="(\w+)">\s*<div class="k">.*?</div>\s*<div class="v">(.*?)</div>', html, re.S
    )
    return dict(found)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def table_rows(html: str, marker: str) -> list[list[str]]:
    start = html.index(marker)
    body = html[html.index("<tbody>", start) : html.index("</tbody>", start)]
    return [
        [text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_the_tiles_show_what_kpi_report_computes(browser, app):
    response = browser("viewer").get("/kpis", params=YEAR)
    assert response.status_code == 200, response.text
    tiles = tiles_of(response.text)
    row = report(app).rows[0]
    # Worked by hand in test_kpis.py: B, F, H and I of the 7 active at the start churned ...
    assert tiles["logo_churn"] == page.share(row["logo_churn"]) == "57.1%"
    # ... GRR = (A 100 + C 60 + G 10) / 275 and NRR = (A 120 + C 60 + G 10) / 275.
    assert tiles["grr"] == page.share(row["grr"]) == "61.8%"
    assert tiles["nrr"] == page.share(row["nrr"]) == "69.1%"
    assert tiles["arr_start"] == money(row["arr_start"]) == "$275,000"
    assert tiles["arr_end"] == money(row["arr_end"]) == "$265,000"
    # CLV = 275,000 / 12 / 6 paying x 0.8 / (1 - 0.5 ** (30.4375 / 365)), 3 of 6 churned.
    assert tiles["clv"] == money(row["clv"]) == "$54,405"
    assert tiles["trial_churn"] == "100.0%"  # F's $0 trial did not convert
    assert tiles["ghost_churn"] == "unknown"  # no active_users_28d metric in this book
    for key in ("gross_revenue_churn", "net_revenue_churn", "grr_12m", "nrr_12m", "paid_churn"):
        assert tiles[key] == page.share(row[key]), key
    assert tiles["lifetime_months"] == f"{row['lifetime_months']:,.1f} months"
    # Every figure carries its definition, as a tooltip and as a footnote it links to.
    assert 'title="Over the accounts paying at the start: the sum of min(' in response.text
    assert 'href="#def-grr"' in response.text
    assert 'id="def-grr"' in response.text


def test_the_default_period_is_the_last_twelve_whole_months(browser):
    html = browser("viewer").get("/kpis").text
    # Today is 2026-11-23 in the web tests.
    assert 'name="from" value="2025-11-01"' in html
    assert 'name="to" value="2026-10-31"' in html
    assert "by default the last 12 whole months" in html
    assert 'href="/kpis?from=2026-07-01&amp;to=2026-09-30"' in html  # last quarter
    assert 'href="/kpis?from=2026-01-01&amp;to=2026-11-23"' in html  # year to date


def test_the_waterfall_reconciles(browser):
    html = browser("manager").get("/kpis", params=YEAR).text
    svg = re.search(r'<svg class="chart waterfall".*?</svg>', html, re.S)
    assert svg
    assert_waterfall_reconciles(svg.group(0))
    assert "+$45k" in svg.group(0)  # E came back
    assert "−$85k" in svg.group(0)  # B, H and I left
    line = re.search(r'<p class="reconcile">(.*?)</p>', html, re.S)
    assert line
    assert text_of(line.group(1)) == (
        "$275,000 at the start + new $30,000 + expansion $20,000 + reactivation $45,000 "
        "− contraction $20,000 − churn $85,000 = $265,000, the ARR at the end ✓ reconciles"
    )


def test_the_monthly_trend_is_what_kpi_report_says_for_each_month(app):
    state = app.state
    with state.database.sessions() as session:
        book, _ = retention.book(session, state.settings)
    points = page.monthly_trend(book, page.Period(date(2026, 1, 1), date(2026, 12, 31)))
    assert [p.day for p in points[:2]] == [date(2026, 1, 31), date(2026, 2, 28)]
    assert len(points) == 12
    year = report(app).rows[0]
    assert (points[-1].arr, points[-1].nrr_12m) == (year["arr_end"], year["nrr_12m"])
    june = report(app, start="2026-06-01", end="2026-06-30").rows[0]
    assert (points[5].arr, points[5].grr_12m) == (june["arr_end"], june["grr_12m"])


def test_a_breakdown_has_one_row_per_group(browser, app):
    viewer = browser("viewer")
    html = viewer.get("/kpis", params={**YEAR, "by": "segment"}).text
    rows = table_rows(html, '<table class="breakdown">')
    groups = report(app, "segment").rows[1:]
    assert [r[0] for r in rows] == [g["group"] for g in groups] == ["enterprise", "mid-market"]
    assert rows[0][3] == "$170,000"  # A 100 + B 50 + H 20 (E was gone at the start)
    assert rows[1][3] == "$105,000"  # C 80 + G 10 + I 15 (F on a $0 trial)
    by_csm = viewer.get("/kpis", params={**YEAR, "by": "csm"}).text
    names = [r[0] for r in table_rows(by_csm, '<table class="breakdown">')]
    assert names == ["ann@example.com", "bob@example.com", "(none)"]  # F has no CSM
    assert '<table class="breakdown">' not in viewer.get("/kpis", params=YEAR).text


def test_an_html_segment_name_is_shown_as_text(browser, initialised, files):
    evil = [{"external_id": "d", "name": "D", "tier": "paid", "segment": EVIL}]
    initialised("import", "accounts", str(files.csv("evil.csv", evil)))
    html = browser("viewer").get("/kpis", params={**YEAR, "by": "segment"}).text
    assert EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_bad_input_gets_a_clear_error_page_naming_the_field(browser):
    viewer = browser("viewer")
    cases = [
        ("/kpis", {"from": "2026-13-01"}, "from: '2026-13-01' is not a date"),
        ("/kpis", {"to": "9999-12-31"}, "to: 9999-12-31: use a year from"),
        ("/kpis", {"from": "2026-03-01", "to": "2026-02-01"}, "to: 2026-02-01 is before from"),
        ("/kpis", {"by": "region"}, "by: 'region'"),
        ("/kpis", {"margin": "lots"}, "margin: 'lots' is not a number"),
        ("/kpis", {"margin": "1.5"}, "margin: 1.5 must be between 0 and 1"),
        ("/kpis", {"margin": "nan"}, "margin: 'nan' is not a number"),
        ("/kpis", {"first_value_metric": "nope"}, "first_value_metric: 'nope'"),
        ("/kpis/cohorts", {"period_months": "0"}, "period_months:"),
        ("/kpis/cohorts", {"cohort": "week"}, "cohort: 'week'"),
        ("/backtest", {"to": "yesterday"}, "to: 'yesterday' is not a date"),
        ("/backtest/health", {"lead_days": "-1"}, "lead_days: -1 must be between"),
    ]
    for url, params, message in cases:
        response = viewer.get(url, params=params)
        assert response.status_code == 422, (url, params)
        assert message in response.text.replace("&#39;", "'"), (url, params)
    # An empty field is "not given", as a cleared date input sends it.
    assert viewer.get("/kpis", params={"from": "", "to": "", "by": ""}).status_code == 200


def test_mixed_currencies_without_rates_are_said_on_the_page(browser, initialised, files):
    euros = [
        {
            "external_id": "d-eur",
            "account_external_id": "d",
            "start_date": "2026-06-01",
            "end_date": "2027-06-01",
            "arr": 1000,
            "currency": "EUR",
            "status": "active",
        }
    ]
    initialised("import", "contracts", str(files.csv("euros.csv", euros)))
    viewer = browser("viewer")
    kpis = viewer.get("/kpis", params=YEAR)
    assert kpis.status_code == 400
    assert "cannot add them up without a rate to USD for EUR" in kpis.text
    assert 'action="/kpis"' in kpis.text  # the page and its form are still there
    cohorts = viewer.get("/kpis/cohorts")
    assert cohorts.status_code == 400
    assert "cannot add them up without a rate" in cohorts.text


def test_cohorts_and_the_forecast(browser, app):
    html = browser("viewer").get("/kpis/cohorts", params={"cohort": "year"}).text
    state = app.state
    with state.database.sessions() as session:
        table, _ = retention.cohorts(session, state.settings, date(2026, 11, 23), "year", 12)
    lines, _ = page.cohort_grid(table)
    rows = table_rows(html, "cohorts")
    assert [r[0] for r in rows] == [line.cohort for line in lines]
    # 2024: E alone, gone at its first anniversary. 2025: A, B, C, F, G, H and I, at
    # 100 + 50 + 80 + 0 + 10 + 20 + 10 on their start days, and F's first anniversary
    # (2026-12-01) is still to come, so no period is shown yet.
    assert rows[0][:5] == ["2024", "1", "$40,000", "0%", "0%"]
    assert rows[1] == ["2025", "7", "$270,000", "", ""]
    assert "Forecast: shifted-beta-geometric model" in html
    assert '<polyline class="line s0 projected"' in html


def test_the_renewal_forecast_by_csm(browser):
    html = browser("manager").get("/renewals", params={"days": 180}).text
    rows = table_rows(html, 'id="by-csm"')
    # As of 2026-11-23 within 180 days: I (2026-12-01, $5k) and A, C, E for Ann; D for Bob.
    assert [r[:3] for r in rows] == [
        ["ann@example.com", "4", "$230,000"],
        ["bob@example.com", "1", "$30,000"],
    ]


def test_the_backtest_page_says_what_is_missing(browser):
    viewer = browser("viewer")
    shell = viewer.get("/backtest", params=YEAR).text
    assert 'hx-get="/backtest/health?from=2026-01-01&amp;to=2026-12-31&amp;lead_days=90"' in shell
    assert 'hx-get="/backtest/churn"' in shell
    health = viewer.get("/backtest/health", params=YEAR, headers=HTMX)
    assert health.status_code == 200
    assert "<html" not in health.text  # a fragment for the page
    assert "no health snapshots in the warehouse" in health.text
    churn = viewer.get("/backtest/churn", headers=HTMX).text
    assert "no churn model at" in churn
    assert "<code>tenure churn train</code>" in churn
    calibration = viewer.get("/backtest/calibration", headers=HTMX).text
    assert "run `tenure churn train` first" in calibration
    # Opened on its own (no htmx), a fragment is a whole page.
    assert "<html" in viewer.get("/backtest/churn").text


# Twelve more accounts renewing on 2026-06-01, a0..a3 churning (test_churn_cli.py's book):
# with the hand-worked renewals, enough outcomes to score the health score and train a model.
def _twelve(files: Files, cli: Cli) -> None:
    accounts = [{"external_id": f"a{n}", "name": f"A{n}"} for n in range(12)]
    contracts = [
        {
            "external_id": f"{kind}{n}",
            "account_external_id": f"a{n}",
            "start_date": start,
            "end_date": end,
            "arr": 1000,
            "currency": "USD",
        }
        for n in range(12)
        for kind, start, end in [
            ("old", "2025-06-01", "2026-06-01"),
            ("new", "2026-06-01", "2027-06-01"),
        ]
        if kind == "old" or n >= 4
    ]
    cli("import", "accounts", str(files.csv("twelve-accounts.csv", accounts)))
    cli("import", "contracts", str(files.csv("twelve-contracts.csv", contracts)))


# Scores stored 90 days before each renewal: churners low, renewers high.
SCORES = {
    **{(f"a{n}", "2026-06-01"): 30.0 + 5 * n for n in range(4)},
    **{(f"a{n}", "2026-06-01"): 20.0 + 6 * n for n in range(4, 12)},
    ("h", "2026-01-01"): 20.0,
    ("b", "2026-07-01"): 25.0,
    ("i", "2026-12-01"): 30.0,
    ("a", "2026-01-01"): 90.0,
    ("c", "2026-03-01"): 85.0,
    ("i", "2026-10-01"): 70.0,
}


def _snapshots(settings) -> None:
    rows = [
        _snapshot(account, date.fromisoformat(day) - timedelta(days=90), score)
        for (account, day), score in SCORES.items()
    ]
    snapshot_store(Warehouse(settings)).write(pa.Table.from_pylist(rows, schema=SNAPSHOT_SCHEMA))


@pytest.mark.slow
def test_the_backtests_with_snapshots_and_a_trained_model(browser, app, initialised, files):
    _twelve(files, initialised)
    _snapshots(app.state.settings)
    viewer = browser("viewer")
    html = viewer.get("/backtest/health", params=YEAR, headers=HTMX).text
    state = app.state
    with state.database.sessions() as session:
        result = retention.health_backtest(
            session, state.warehouse, state.settings, date(2026, 1, 1), date(2026, 12, 31)
        )
    summary = result.summary
    assert (summary["scored"], summary["churned"]) == (18, 7)
    # Only churner a3 (45) scored above a renewer (a4, 44): 76 of the 7 x 11 pairs in order.
    assert summary["auc"] == pytest.approx(76 / 77)
    assert "0.99" in html
    red = wilson(7, 9)  # red: the 7 churners and a4 (44) and a5 (50) who renewed
    assert f"{page.share(red.rate, 0)} ({page.share(red.low, 0)}–{page.share(red.high, 0)})" in html
    assert "7 of 9 churned" in html
    assert html.count('class="whisker"') == 3
    assert 'href="/accounts/b"' in html  # churners listed with their lead time
    assert "90 d" in html

    # Trained in July: the renewals of the first half-year are known, enough to backtest.
    initialised("churn", "train", "--as-of", "2026-07-15")
    churn = viewer.get("/backtest/churn", headers=HTMX).text
    model = churn_service.load_model(state.settings)
    for row in model.backtest:
        assert f"{row['auc']:,.3f}" in churn
    with state.database.sessions() as session:
        scores = churn_service.score(
            session,
            state.warehouse,
            state.settings,
            model,
            date(2026, 11, 23),
            None,
            churn_service.health_reader(state.warehouse),
        )
    at_risk = table_rows(churn, '<table class="compact at-risk">')
    assert [r[0] for r in at_risk] == [s["account_external_id"].upper() for s in scores][:20]
    assert at_risk[0][2] == f"{scores[0]['probability'] * 100:,.1f}%"
    assert f'href="/accounts/{scores[0]["account_external_id"]}"' in churn
    calibration = viewer.get("/backtest/calibration", headers=HTMX).text
    assert "Calibration" in calibration
    for row in model.backtest:  # the rerun as of the training day gives the stored AUC
        assert f"{row['model']} · AUC {row['auc']:,.3f}" in calibration


def test_a_cohort_is_placed_on_its_first_day():
    # The forecast chart reads the cohort names cohorts.cohort_label writes.
    for day in (date(2025, 1, 1), date(2025, 5, 17), date(2025, 12, 31)):
        for grain in ("month", "quarter", "year"):
            start = page.cohort_start(cohort_label(day, grain))
            assert start <= day
            assert cohort_label(start, grain) == cohort_label(day, grain)
            assert start.day == 1
    assert page.cohort_start("2025-Q2") == date(2025, 4, 1)


def test_the_cohort_chart_labels_the_days_it_plots(browser, app):
    html = browser("viewer").get("/kpis/cohorts", params={"cohort": "year"}).text
    state = app.state
    with state.database.sessions() as session:
        forecast = retention.forecast_book(session, state.settings, date(2026, 11, 23), "year", 12)
    # Each point sits on its cohort's first day plus whole periods of 12 months.
    plotted = {
        add_months(page.cohort_start(r["cohort"]), 12 * r["period"]) for r in forecast.survivors
    }
    svg = html[html.index('aria-label="Customers of each cohort') :]
    svg = svg[: svg.index("</svg>")]
    ticks = re.findall(
        r'<text class="axis" x="([\d.]+)" y="212" text-anchor="middle">([^<]+)<', svg
    )
    days = [d.strftime("%b %Y") for d in sorted(plotted)]
    labels = [label for _, label in ticks]
    # At most 8 labels, each a day a point sits on, from the first point to the last.
    assert 2 <= len(labels) <= 8
    assert set(labels) <= set(days)
    assert (labels[0], labels[-1]) == (days[0], days[-1])
    vertices = {
        float(p.split(",")[0])
        for points in re.findall(r'<polyline class="line [^"]*" points="([^"]+)"', svg)
        for p in points.split()
    }
    assert {float(x) for x, _ in ticks} <= vertices  # every label stands under a plotted point


def test_a_fit_at_the_search_limit_is_explained_in_words(browser, app, cli):
    # Yearly cohorts counted month by month: a steady, low churn that leaves beta at its bound.
    params = {"cohort": "year", "period_months": 1}
    html = browser("viewer").get("/kpis/cohorts", params=params).text
    state = app.state
    with state.database.sessions() as session:
        table, _ = retention.cohorts(session, state.settings, date(2026, 11, 23), "year", 1)
    observed = [v for v in survivors_by_cohort(table).values() if len(v) >= 2]
    # The same share of those there leaving each period: lost over customer-periods at risk.
    lost = sum(v[0] - v[-1] for v in observed)
    at_risk = sum(sum(v[:-1]) for v in observed)
    marker = 'id="limit-note">'
    note = text_of(html[html.index(marker) + len(marker) :].split("</p>")[0])
    found = re.search(r"([\d.]+)% of a cohort leaves in its first period", note)
    assert found is not None
    assert float(found.group(1)) / 100 == pytest.approx(lost / at_risk, abs=0.002)
    assert "stopped at the edge of the search" in note
    assert "every customer looks alike" in note
    shown = cli("retention", "forecast", "--period-months", "1", "--as-of", "2026-11-23").stderr
    assert found.group(0) in shown
    assert "every customer looks alike" in shown


@pytest.mark.slow
def test_the_calibration_page_reads_the_backtest_churn_train_stored(
    browser, app, initialised, files, monkeypatch
):
    _twelve(files, initialised)
    _snapshots(app.state.settings)
    initialised("churn", "train", "--as-of", "2026-07-15")
    rows = initialised("churn", "backtest", "--as-of", "2026-07-15", "--format", "json").json()

    def refit(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the page refitted the backtest instead of reading the stored one")

    monkeypatch.setattr(churn_service, "history", refit)
    html = browser("viewer").get("/backtest/calibration", headers=HTMX).text
    assert "by <code>tenure churn train</code>" in html
    for row in rows:  # the same numbers as `tenure churn backtest` on the training day
        assert f"{row['model']} · AUC {row['auc']:,.3f}" in html
    assert churn_service.load_model(app.state.settings).backtest_rows == rows
