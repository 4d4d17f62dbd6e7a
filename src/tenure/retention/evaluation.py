"""How well scores separate accounts that churned: AUC, top-decile lift, calibration, and
Wilson intervals for churn rates. Pure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

Floats = npt.NDArray[np.float64]


def auc(labels: Sequence[int] | npt.NDArray[Any], scores: Sequence[float] | Floats) -> float | None:
    """Area under the ROC curve: the chance a random churner scores above a random stayer
    (ties count half). None when only one class is present."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=float)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        return None
    # Mann-Whitney U from average ranks (ties share their mean rank).
    ranks = rankdata(s, method="average")
    u = ranks[y].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def top_lift(
    labels: Sequence[int] | npt.NDArray[Any], scores: Sequence[float] | Floats, share: float = 0.1
) -> float | None:
    """Churn rate among the top `share` of scores over the overall churn rate."""
    y = np.asarray(labels, dtype=float)
    s = np.asarray(scores, dtype=float)
    if len(y) == 0 or y.mean() == 0:
        return None
    count = max(1, math.ceil(len(y) * share))
    top = np.argsort(-s, kind="mergesort")[:count]
    return float(y[top].mean() / y.mean())


def calibration(
    labels: Sequence[int] | npt.NDArray[Any],
    probabilities: Sequence[float] | Floats,
    bins: int = 10,
) -> list[dict[str, Any]]:
    """Predicted against observed churn in equal-count bins of predicted probability."""
    y = np.asarray(labels, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    if len(y) == 0:
        return []
    bins = max(1, min(bins, len(y) // 20 or 1))
    order = np.argsort(p, kind="mergesort")
    rows = []
    for index, chunk in enumerate(np.array_split(order, bins), start=1):
        if len(chunk) == 0:
            continue
        rows.append(
            {
                "bin": index,
                "observations": len(chunk),
                "predicted": float(p[chunk].mean()),
                "observed": float(y[chunk].mean()),
                "low": float(p[chunk].min()),
                "high": float(p[chunk].max()),
            }
        )
    return rows


def brier(
    labels: Sequence[int] | npt.NDArray[Any], probabilities: Sequence[float] | Floats
) -> float | None:
    y = np.asarray(labels, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    return float(np.mean((p - y) ** 2)) if len(y) else None


@dataclass(frozen=True)
class Interval:
    rate: float | None
    low: float | None
    high: float | None


def wilson(successes: int, trials: int, z: float = 1.959963984540054) -> Interval:
    """Wilson score interval for a proportion (95% by default); good at small counts and at
    rates near 0 or 1, where the normal approximation fails."""
    if trials == 0:
        return Interval(None, None, None)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))
