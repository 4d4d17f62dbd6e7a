"""Retention figures on the demo company, checked against the simulator's own accounting."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from tenure.demo.rates import Span, yearly_rates
from tests.conftest import Cli
from tests.demo.helpers import rows

AS_OF = "2026-11-01"


@pytest.fixture
def demo(cli: Cli, tmp_path: Path) -> Path:
    out = tmp_path / "demo"
    cli("init")
    cli(
        "demo",
        "generate",
        "--scenario",
        "enterprise",
        "--out",
        str(out),
        "--as-of",
        AS_OF,
        "--events-format",
        "none",
    )
    cli("demo", "load", str(out))
    return out


def test_kpis_agree_with_the_simulators_yearly_rates(cli: Cli, demo: Path) -> None:

    spans = [
        Span(
            r["account_external_id"],
            date.fromisoformat(r["start_date"]),
            date.fromisoformat(r["end_date"]),
            float(r["arr"]),
        )
        for r in rows(demo / "contracts.csv")
    ]
    years = yearly_rates(spans, date.fromisoformat(AS_OF), 2)
    assert len(years) == 2
    for year in years:
        # The simulator compares ARR on the year's first and last days; a Tenure period's
        # start is the day before its first day.
        result = cli(
            "kpis",
            "--from",
            str(year.start + timedelta(days=1)),
            "--to",
            str(year.end),
            "--format",
            "json",
        ).json()
        assert isinstance(result, dict)
        [row] = result["kpis"]
        assert row["logos_start"] == year.accounts
        assert row["logos_churned"] == year.churned
        assert row["logo_churn"] == pytest.approx(year.logo_churn)
        assert row["grr"] == pytest.approx(year.grr)
        assert row["nrr"] == pytest.approx(year.nrr)
        moves = {m["movement"]: m["arr"] for m in result["movements"]}
        inner = sum(v for k, v in moves.items() if k not in ("start", "end"))
        assert moves["start"] + inner == pytest.approx(moves["end"])
