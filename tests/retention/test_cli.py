"""`tenure kpis` and `tenure retention ...` end to end: import files in, figures out."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cli, Files

ACCOUNTS = [
    {"external_id": x, "name": x.upper(), "tier": tier, "segment": seg, "csm_email": csm}
    for x, tier, seg, csm in [
        ("a", "paid", "enterprise", "ann@example.com"),
        ("b", "paid", "enterprise", "bob@example.com"),
        ("c", "paid", "mid-market", "ann@example.com"),
        ("d", "paid", "mid-market", "bob@example.com"),
        ("e", "paid", "enterprise", "ann@example.com"),
        ("f", "trial", "mid-market", None),
        ("g", "paid", "mid-market", "bob@example.com"),
        ("h", "paid", "enterprise", "bob@example.com"),
        ("i", "paid", "mid-market", "ann@example.com"),
    ]
]
# The hand-worked book of test_kpis.py (thousands there, dollars here).
CONTRACTS = [
    ("a", "2025-01-01", "2026-01-01", 100_000, "renewed"),
    ("a", "2026-01-01", "2027-01-01", 120_000, "active"),
    ("b", "2025-07-01", "2026-07-01", 50_000, "churned"),
    ("c", "2025-03-01", "2026-03-01", 80_000, "renewed"),
    ("c", "2026-03-01", "2027-03-01", 60_000, "active"),
    ("d", "2026-05-01", "2027-05-01", 30_000, "active"),
    ("e", "2024-01-01", "2025-01-01", 40_000, "churned"),
    ("e", "2026-02-01", "2027-02-01", 45_000, "active"),
    ("f", "2025-12-01", "2026-01-15", 0, "expired"),
    ("g", "2025-06-01", "2027-06-01", 10_000, "active"),
    ("h", "2025-01-01", "2026-01-01", 20_000, "churned"),
    ("i", "2025-10-01", "2026-10-01", 10_000, "churned"),
    ("i", "2025-12-01", "2026-12-01", 5_000, "churned"),
]


def contract_rows(currency_of: dict[str, str] | None = None) -> list[dict[str, object]]:
    return [
        {
            "external_id": f"{account}-{n}",
            "account_external_id": account,
            "start_date": start,
            "end_date": end,
            "arr": arr,
            "currency": (currency_of or {}).get(account, "USD"),
            "status": status,
        }
        for n, (account, start, end, arr, status) in enumerate(CONTRACTS)
    ]


def load(cli: Cli, files: Files, contracts: list[dict[str, object]] | None = None) -> None:
    cli("init")
    cli("import", "accounts", str(files.csv("accounts.csv", ACCOUNTS)))
    cli("import", "contracts", str(files.csv("contracts.csv", contracts or contract_rows())))


def records(result: Any, part: str) -> list[dict[str, Any]]:
    data = result.json()
    assert isinstance(data, dict)
    rows: list[dict[str, Any]] = data[part]
    return rows


def test_kpis_json_matches_the_hand_worked_book(cli: Cli, files: Files) -> None:
    load(cli, files)
    surveys = [
        {
            "external_id": f"s{n}",
            "account_external_id": "a",
            "kind": kind,
            "sent_at": "2026-03-01T10:00:00Z",
            "score": score,
            "responded_at": "2026-03-02T10:00:00Z" if score is not None else None,
        }
        for n, (kind, score) in enumerate(
            [("nps", 10), ("nps", 9), ("nps", 5), ("nps", None), ("csat", 4), ("ces", 3)]
        )
    ]
    cli("import", "surveys", str(files.csv("surveys.csv", surveys)))
    metrics = [
        {"account_external_id": a, "metric": "active_users_28d", "date": "2025-12-20", "value": v}
        for a, v in [("a", 12), ("b", 3), ("c", 7), ("g", 0), ("h", 0), ("i", 2)]
    ]
    cli("import", "metrics", str(files.csv("metrics.csv", metrics)))
    result = cli("kpis", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "json")
    [row] = records(result, "kpis")
    assert row["group"] == "all"
    assert row["currency"] == "USD"
    assert (row["arr_start"], row["arr_end"]) == (275_000, 265_000)
    assert row["arr_new"] == 30_000
    assert row["arr_expansion"] == 20_000
    assert row["arr_reactivation"] == 45_000
    assert row["arr_contraction"] == -20_000
    assert row["arr_churn"] == -85_000
    assert row["logo_churn"] == pytest.approx(4 / 7)
    assert row["grr"] == pytest.approx(170 / 275)
    assert row["nrr"] == pytest.approx(190 / 275)
    assert (row["ghost_logos_start"], row["ghost_logos_churned"]) == (2, 1)
    assert row["trial_churn"] == 1.0
    assert row["clv"] == pytest.approx(54_405, rel=1e-4)
    assert row["nps"] == pytest.approx(100 / 3)  # 2 promoters, 1 detractor of 3
    assert row["nps_response_rate"] == 0.75
    assert (row["csat"], row["ces"]) == (1.0, 3.0)
    moves = {m["movement"]: m["arr"] for m in records(result, "movements")}
    assert (
        moves["start"] + sum(moves[m] for m in moves if m not in ("start", "end")) == moves["end"]
    )


def test_kpis_by_segment_csv_and_table(cli: Cli, files: Files) -> None:
    load(cli, files)
    result = cli(
        "kpis", "--from", "2026-01-01", "--to", "2026-12-31", "--by", "segment", "--format", "json"
    )
    rows = {r["group"]: r for r in records(result, "kpis")}
    assert rows["enterprise"]["segment"] == "enterprise"
    assert (rows["enterprise"]["arr_start"], rows["enterprise"]["arr_end"]) == (170_000, 165_000)
    csv_text = cli(
        "kpis", "--from", "2026-01-01", "--to", "2026-12-31", "--by", "csm", "--format", "csv"
    ).stdout
    assert csv_text.startswith("# kpis\ngroup,csm_email,currency,from,to,")
    assert "ann@example.com" in csv_text
    default = cli("kpis", "--to", "2026-12-31", "--format", "json")
    assert records(default, "kpis")[0]["from"] == "2026-01-01"  # the twelve months to --to
    table = cli("kpis", "--from", "2026-01-01", "--to", "2026-12-31").stdout
    assert "grr" in table
    assert "61.8%" in table  # GRR 170 / 275
    assert "275,000.00" in table


def test_mixed_currencies_are_refused(cli: Cli, files: Files) -> None:
    load(cli, files, contract_rows({"b": "EUR"}))
    result = cli("kpis", "--from", "2026-01-01", "--to", "2026-12-31", ok=False)
    assert result.code == 1
    assert "no rate to USD for EUR" in result.stderr or "rate to USD for EUR" in result.stderr


def test_kpis_with_rates_configured(cli: Cli, files: Files) -> None:
    load(cli, files, contract_rows({"b": "EUR"}))
    cli.env["TENURE_CURRENCY_RATES"] = '{"EUR": 1.1}'
    result = cli("kpis", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "json")
    [row] = records(result, "kpis")
    assert row["currency"] == "USD"
    assert row["arr_start"] == 280_000  # b's 50,000 EUR is 55,000 USD


def test_bad_dates_and_options_are_named(cli: Cli, files: Files) -> None:
    load(cli, files)
    result = cli("kpis", "--from", "2026-13-01", ok=False)
    assert "--from: '2026-13-01': not a date" in result.stderr
    result = cli("kpis", "--from", "2026-02-01", "--to", "2026-01-01", ok=False)
    assert "ends (2026-01-01) before it starts (2026-02-01)" in result.stderr
    result = cli("kpis", "--first-value-metric", "nothing_28d", ok=False)
    assert "--first-value-metric 'nothing_28d': no such metric" in result.stderr


def test_time_to_first_value_from_an_imported_metric(cli: Cli, files: Files) -> None:
    load(cli, files)
    metrics = [
        {"account_external_id": "d", "metric": "reports_28d", "date": d, "value": v}
        for d, v in [("2026-05-05", 0), ("2026-05-11", 3), ("2026-06-01", 5)]
    ]
    cli("import", "metrics", str(files.csv("metrics.csv", metrics)))
    result = cli(
        "kpis",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--first-value-metric",
        "reports_28d",
        "--first-value-threshold",
        "3",
        "--format",
        "json",
    )
    [row] = records(result, "kpis")
    assert (row["ttfv_accounts"], row["ttfv_reached"], row["ttfv_median_days"]) == (1, 1, 10.0)


def test_cohorts_command(cli: Cli, files: Files) -> None:
    load(cli, files)
    rows = cli(
        "retention", "cohorts", "--cohort", "year", "--as-of", "2026-12-31", "--format", "json"
    ).json()
    assert isinstance(rows, list)
    cohort_2025 = {r["period"]: r for r in rows if r["cohort"] == "2025"}
    # a, b, c, f, g, h, i started in 2025; the last (f) on 2025-12-01, so one year observed.
    assert cohort_2025[0]["accounts"] == 7
    # a, c, g and i (its second contract) were there on their first anniversaries.
    assert cohort_2025[1]["survivors"] == 4
    assert 2 not in cohort_2025


def test_forecast_from_a_survivors_file(cli: Cli, files: Files) -> None:
    path = files.csv(
        "regular.csv",
        [{"survivors": s} for s in (1000, 631, 468, 382, 326, 289, 262, 241)],
    )
    data = cli("retention", "forecast", "--survivors", str(path), "--format", "json").json()
    assert isinstance(data, dict)
    assert data["alpha"] == pytest.approx(0.704, abs=1e-3)
    assert data["beta"] == pytest.approx(1.182, abs=1e-3)
    survivors = data["survivors"]
    assert [s["period"] for s in survivors] == list(range(11))
    assert survivors[0]["projected"] == pytest.approx(1000)
    assert survivors[7]["observed"] == 241
    assert survivors[8]["observed"] is None
    assert survivors[8]["projected"] == pytest.approx(220.1, abs=0.2)
    table = cli("retention", "forecast", "--survivors", str(path)).stdout
    assert "alpha" in table


def test_forecast_file_errors_name_the_line(cli: Cli, files: Files) -> None:
    bad = files.csv("bad.csv", [{"survivors": 100}, {"survivors": "many"}, {"survivors": 90}])
    result = cli("retention", "forecast", "--survivors", str(bad), ok=False)
    assert f"{bad}:3: survivors: 'many': not a count of customers" in result.stderr
    rising = files.csv("rising.csv", [{"survivors": 100}, {"survivors": 120}])
    result = cli("retention", "forecast", "--survivors", str(rising), ok=False)
    assert f"{rising}:3: survivors: 120: more than the period before (100)" in result.stderr
    wrong = files.csv("wrong.csv", [{"count": 100}])
    result = cli("retention", "forecast", "--survivors", str(wrong), ok=False)
    assert "no column 'survivors'" in result.stderr


def test_forecast_on_the_book_needs_a_whole_period(cli: Cli, files: Files) -> None:
    load(cli, files)
    result = cli("retention", "forecast", "--as-of", "2024-12-31", ok=False)
    assert "no cohort has been observed for a whole period" in result.stderr
    data = cli("retention", "forecast", "--as-of", "2026-12-31", "--format", "json").json()
    assert isinstance(data, dict)
    assert data["cohorts"] == 2  # 2024 (e alone) and 2025
    assert 0 < data["alpha"]
    assert 0 < data["beta"]


def test_renewals_command(cli: Cli, files: Files) -> None:
    load(cli, files)
    data = cli("retention", "renewals", "--as-of", "2026-11-15", "--format", "json").json()
    assert isinstance(data, dict)
    due = {r["account_external_id"]: r for r in data["renewals"]}
    # Within 180 days of 2026-11-15: i (2026-12-01), a (2027-01-01), e (2027-02-01),
    # c (2027-03-01), d (2027-05-01 is 167 days out).
    assert set(due) == {"i", "a", "e", "c", "d"}
    assert due["a"]["arr"] == 120_000
    rates = {r["band"]: r for r in data["rates"]}
    # Past year (2025-11-15, 2026-11-15]: a kept 100k of 100k, c 60k of 80k, h 0 of 20k,
    # b 0 of 50k, f ($0) and i's first contract 0 of 10k: 160k kept of 260k up.
    assert rates["all"]["rate"] == pytest.approx(160 / 260)
    summary = data["summary"]
    assert sum(s["arr_renewing_180d"] for s in summary) == sum(r["arr"] for r in due.values())
