"""The health-score backtest on a small history worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from tenure.retention.backtest import (
    Outcome,
    SnapshotRecord,
    fit_weights,
    health_backtest,
    renewal_outcomes,
    turned_red,
    weighted,
)
from tenure.retention.book_facts import Book, ContractRecord
from tenure.retention.evaluation import wilson

D = date.fromisoformat
RENEWAL = D("2026-06-01")
# Account: (churned, score 92 days before the renewal, band then).
CASES = {
    "r1": (True, 30.0, "red"),
    "r2": (True, 45.0, "red"),
    "r3": (True, 60.0, "amber"),
    "r4": (False, 40.0, "red"),
    "r5": (False, 55.0, "amber"),
    "r6": (False, 70.0, "amber"),
    "r7": (False, 80.0, "green"),
    "r8": (False, 90.0, "green"),
    "r9": (False, 85.0, "green"),
    "r10": (False, 77.0, "green"),
    "r11": (False, 65.0, "amber"),
    "r12": (False, 95.0, "green"),
}
WEIGHTS = {"product": 0.5, "satisfaction": 0.5}


def snap(account: str, day: str, score: float, band: str) -> SnapshotRecord:
    # Product carries the signal; satisfaction says the opposite, so 50/50 cancels out.
    return SnapshotRecord(
        account, D(day), score, band, {"product": score, "satisfaction": 100 - score}, WEIGHTS
    )


def history() -> list[SnapshotRecord]:
    snapshots = [snap(a, "2026-03-01", score, band) for a, (_, score, band) in CASES.items()]
    snapshots += [
        snap("r1", "2026-01-01", 60, "amber"),
        snap("r1", "2026-02-01", 40, "red"),
        snap("r1", "2026-05-01", 20, "red"),  # red since 2026-02-01: 120 days before churn
        snap("r2", "2026-05-01", 55, "amber"),  # amber at the end: never flagged
        snap("r3", "2026-04-01", 80, "green"),
        snap("r3", "2026-05-15", 35, "red"),  # red 17 days before churn
        snap("r3", "2026-06-01", 10, "red"),  # on the renewal day itself: not "before"
    ]
    return snapshots


def outcomes() -> list[Outcome]:
    return [Outcome(a, RENEWAL, churned) for a, (churned, _, _) in CASES.items()]


def test_health_backtest_by_hand() -> None:
    result = health_backtest(history(), outcomes(), D("2026-01-01"), D("2026-12-31"), lead_days=90)
    summary = result.summary
    assert (summary["renewals"], summary["scored"], summary["churned"]) == (12, 12, 3)
    # Churner scores 30, 45, 60 against nine stayers: 9 + 8 + 7 = 24 of 27 pairs ranked right.
    assert summary["auc"] == pytest.approx(24 / 27)
    bands = {b["band"]: b for b in result.bands}
    assert (bands["red"]["renewals"], bands["red"]["churned"]) == (3, 2)
    assert (bands["amber"]["renewals"], bands["amber"]["churned"]) == (4, 1)
    assert (bands["green"]["renewals"], bands["green"]["churned"]) == (5, 0)
    assert bands["red"]["churn_rate_low"] == pytest.approx(wilson(2, 3).low)
    assert bands["green"]["churn_rate_high"] == pytest.approx(0.4345, abs=1e-4)
    leads = {r["account_external_id"]: r["lead_days"] for r in result.lead_times}
    assert leads == {"r1": 120, "r2": None, "r3": 17}
    assert (summary["churners_red_before"], summary["lead_days_median"]) == (2, 68.5)
    weights = {w["component"]: w for w in result.weights}
    assert weights["product"]["configured"] == 0.5
    # The configured 50/50 mix is flat (product + satisfaction = 100): no better than chance.
    assert summary["auc_configured_weights"] == 0.5
    # Any mix leaning towards product ranks the renewals as product alone does.
    assert weights["product"]["suggested"] > 0.5
    assert weights["product"]["suggested"] + weights["satisfaction"]["suggested"] == pytest.approx(
        1
    )
    assert summary["auc_suggested_weights"] == pytest.approx(24 / 27)


def test_old_snapshots_and_missing_scores_are_not_used() -> None:
    stale = [snap("r1", "2025-12-01", 30, "red")]  # 92 days before the read day: too old
    result = health_backtest(stale, outcomes()[:1], D("2026-01-01"), D("2026-12-31"))
    assert result.summary["scored"] == 0
    assert result.summary["auc"] is None
    assert result.weights == []


def test_weighted_mean_leaves_out_missing_components() -> None:
    components = np.array([[80.0, np.nan], [np.nan, np.nan], [60.0, 20.0]])
    scores = weighted(components, np.array([0.75, 0.25]))
    assert scores[0] == 80.0
    assert np.isnan(scores[1])
    assert scores[2] == 50.0


def test_fitted_weights_lean_on_the_component_that_predicts() -> None:
    rng = np.random.default_rng(0)
    useful = rng.uniform(0, 100, 400)
    noise = rng.uniform(0, 100, 400)
    churned = rng.uniform(size=400) < 1 / (1 + np.exp((useful - 40) / 8))
    weights = fit_weights(np.column_stack([useful, noise]), churned)
    assert weights.sum() == pytest.approx(1.0)
    assert weights[0] > 0.8


def test_renewal_outcomes_and_turned_red() -> None:
    book = Book(
        [
            ContractRecord("a", D("2025-01-01"), D("2026-01-01"), Decimal(10)),
            ContractRecord("a", D("2026-01-01"), D("2027-01-01"), Decimal(10)),
            ContractRecord("b", D("2025-03-01"), D("2026-03-01"), Decimal(10)),
            ContractRecord("t", D("2025-03-01"), D("2026-03-01"), Decimal(0)),  # never paid
        ]
    )
    assert renewal_outcomes(book, D("2026-01-01"), D("2026-12-31")) == [
        Outcome("a", D("2026-01-01"), False),
        Outcome("b", D("2026-03-01"), True),
    ]
    assert turned_red([]) is None
    red_from_the_start = [snap("x", "2026-01-01", 10, "red"), snap("x", "2026-02-01", 20, "red")]
    assert turned_red(red_from_the_start) == D("2026-01-01")
    # Red on the first day of the whole history: when it turned red is unknown.
    assert turned_red(red_from_the_start, first_day=D("2026-01-01")) is None
    assert turned_red(red_from_the_start, first_day=D("2025-12-01")) == D("2026-01-01")
    assert (
        turned_red([snap("x", "2026-01-01", 10, "red"), snap("x", "2026-02-01", 60, "amber")])
        is None
    )
