"""AUC, lift, calibration and Wilson intervals on examples worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenure.retention.evaluation import auc, brier, calibration, top_lift, wilson


def test_auc_counts_ties_as_half() -> None:
    # Positives 0.9 and 0.4 against negatives 0.8, 0.4, 0.1: 3 + (0 + 0.5 + 1) = 4.5 of 6.
    assert auc([1, 0, 1, 0, 0], [0.9, 0.8, 0.4, 0.4, 0.1]) == 0.75
    assert auc([1, 1, 0], [0.1, 0.2, 0.3]) == 0.0
    assert auc([0, 0], [0.1, 0.2]) is None


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 5)), min_size=2, max_size=40))
def test_auc_matches_counting_pairs(pairs: list[tuple[bool, int]]) -> None:
    labels = [int(y) for y, _ in pairs]
    scores = [float(s) for _, s in pairs]
    positives = [s for y, s in zip(labels, scores, strict=True) if y]
    negatives = [s for y, s in zip(labels, scores, strict=True) if not y]
    if not positives or not negatives:
        assert auc(labels, scores) is None
        return
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives)
    assert auc(labels, scores) == pytest.approx(wins / (len(positives) * len(negatives)))


def test_top_decile_lift() -> None:
    # Five rows: the top 10% is one row (rounded up), a churner; overall 2 of 5 churned.
    assert top_lift([1, 0, 1, 0, 0], [0.9, 0.8, 0.4, 0.4, 0.1]) == 2.5
    labels = [1] * 10 + [0] * 90
    scores = list(range(100, 0, -1))
    assert top_lift(labels, scores) == 10.0  # the top 10 are all the churners
    assert top_lift([0, 0], [0.5, 0.5]) is None


def test_calibration_bins_and_brier() -> None:
    p = np.linspace(0, 1, 40)
    y = (p > 0.5).astype(int)
    bins = calibration(y, p, bins=10)
    assert len(bins) == 2  # 40 rows: at most one bin per 20
    assert [b["observations"] for b in bins] == [20, 20]
    assert bins[0]["observed"] == 0.0
    assert bins[1]["observed"] == 1.0
    assert brier([1, 0], [0.75, 0.25]) == 0.0625


def test_wilson_intervals() -> None:
    half = wilson(5, 10)
    assert half.rate == 0.5
    assert half.low == pytest.approx(0.2366, abs=1e-4)
    assert half.high == pytest.approx(0.7634, abs=1e-4)
    none = wilson(0, 10)
    assert none.low == 0.0
    assert none.high == pytest.approx(0.2775, abs=1e-4)
    assert wilson(0, 0).rate is None
