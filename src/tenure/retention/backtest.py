"""Does the health score predict churn? A backtest of stored health snapshots against what
happened at each renewal. Pure.

For every renewal dated in the period, the account's score is that of its latest snapshot on
or before `lead_days` before the renewal (what a CSM saw then, with time to act). Reported:
AUC of the score (lower score = riskier) against churned/renewed; churn rate per band with
Wilson 95% intervals; lead time, how many days before churning the account turned red (the
start of the run of red snapshots it churned in); and weights fitted from the data: the
scorecard's rule (weighted mean of the components that have data) with weights chosen to
maximise the likelihood of the outcomes under a logistic link, shown next to the configured
weights with the AUC each gives (in-sample, and cross-validated for the fitted ones).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.special import expit, log_expit

from tenure.retention.book_facts import Book
from tenure.retention.evaluation import auc, wilson

BANDS = ("red", "amber", "green")
MIN_FIT = 10  # outcomes (and at least 2 of each kind) before weights are suggested
# Each renewal is judged by the score stored this many days before it: a quarter, the time a
# CSM needs to turn an account around.
LEAD_DAYS = 90
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SnapshotRecord:
    account: str
    day: date
    score: float | None  # exact health score, 0-100
    band: str | None
    components: Mapping[str, float | None]  # component key -> 0-100 score (None = no data)
    weights: Mapping[str, float]  # component key -> configured weight


@dataclass(frozen=True)
class Outcome:
    account: str
    day: date  # the renewal date (a contract's end date)
    churned: bool


def renewal_outcomes(book: Book, start: date, end: date) -> list[Outcome]:
    """Each account's contract ends dated start..end: churned when it had no active contract
    on that day (churn is dated on end_date)."""
    outcomes = []
    for account, days in book.end_dates_between(start - timedelta(days=1), end).items():
        for day in days:
            before = book.account_arr_on(account, day - timedelta(days=1))
            if before is None or before <= 0:
                continue  # nothing was paid up to this end: not a renewal
            outcomes.append(Outcome(account, day, book.account_arr_on(account, day) is None))
    return sorted(outcomes, key=lambda o: (o.day, o.account))


class SnapshotIndex:
    """Snapshots by account and date, for "the latest on or before day D" look-ups."""

    def __init__(self, snapshots: Sequence[SnapshotRecord]):
        self.by_account: dict[str, list[SnapshotRecord]] = defaultdict(list)
        for snapshot in sorted(snapshots, key=lambda s: (s.account, s.day)):
            self.by_account[snapshot.account].append(snapshot)
        self.days = {a: [s.day for s in items] for a, items in self.by_account.items()}
        # The first day any snapshot exists: what was red then was red before it, for all
        # anyone knows, so "turned red" that day is unknown.
        self.first_day = min((s.day for s in snapshots), default=None)

    def latest(
        self, account: str, day: date, max_age_days: int | None = None
    ) -> SnapshotRecord | None:
        index = bisect.bisect_right(self.days.get(account, []), day) - 1
        if index < 0:
            return None
        snapshot = self.by_account[account][index]
        if max_age_days is not None and (day - snapshot.day).days >= max_age_days:
            return None
        return snapshot

    def before(self, account: str, day: date) -> list[SnapshotRecord]:
        index = bisect.bisect_left(self.days.get(account, []), day)
        return self.by_account.get(account, [])[:index]


def turned_red(history: Sequence[SnapshotRecord], first_day: date | None = None) -> date | None:
    """The first day of the run of red snapshots that the history ends in, if it ends red.
    None too when that run starts on `first_day`, the first day of the whole history: the
    account was already red then, so the day it turned red is unknown, not that first day
    (`red_from_the_start` tells the two apart)."""
    start = None
    for snapshot in reversed(history):
        if snapshot.band != "red":
            break
        start = snapshot.day
    if start is not None and start == first_day:
        return None
    return start


def red_from_the_start(history: Sequence[SnapshotRecord], first_day: date | None) -> bool:
    """Red from the first day of the whole history up to the end of this one."""
    return bool(history) and history[0].day == first_day and all(s.band == "red" for s in history)


def weighted(components: Floats, weights: Floats) -> Floats:
    """The scorecard's rule: weighted mean of the components with data (NaN = no data);
    NaN where no component has data."""
    present = ~np.isnan(components)
    w = np.where(present, weights, 0.0)
    total = w.sum(axis=1)
    values = np.where(present, components, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        result: Floats = (values * w).sum(axis=1) / total
    return np.where(total > 0, result, np.nan)


def fit_weights(components: Floats, churned: npt.NDArray[np.bool_]) -> Floats:
    """Non-negative weights summing to 1 maximising the likelihood of the outcomes under
    P(churn) = expit(a - b * score / 100), b > 0, score by the scorecard's rule. A small
    pull towards equal weights settles components the data cannot tell apart.

    The loss comes with its exact gradient: estimated by finite differences (k + 2 more
    losses per step) it was most of the health backtest's time.
    """
    k = components.shape[1]
    y = churned.astype(float)
    present = ~np.isnan(components)
    mask = present.astype(float)
    values = np.where(present, components, 0.0)

    def loss(params: Floats) -> tuple[float, Floats]:
        theta, a, log_b = params[:k], params[k], params[k + 1]
        w = np.exp(theta - theta.max())
        w /= w.sum()
        # weighted(components, w), NaN (no component with data) read as 50
        total = mask @ w
        known = total > 0
        safe = np.where(known, total, 1.0)
        mean = np.where(known, (values @ w) / safe, 50.0)
        score = mean / 100
        b = np.exp(log_b)
        z = a - b * score
        nll = -(y * log_expit(z) + (1 - y) * log_expit(-z)).sum()
        residual = expit(z) - y  # d nll / d z
        # d score / d w_j = (value_j - mean * present_j) / (100 * total), 0 where unknown
        slope = np.where(known, -b * residual / (100 * safe), 0.0)
        d_w = slope @ values - (slope * mean) @ mask
        d_theta = w * (d_w - w @ d_w) + 0.02 * theta
        grad = np.concatenate([d_theta, [residual.sum(), -(residual * b * score).sum()]])
        return float(nll + 0.01 * np.sum(theta**2)), grad

    base = np.clip(y.mean(), 0.01, 0.99)
    start = np.concatenate([np.zeros(k), [np.log(base / (1 - base)) + 1.0, np.log(2.0)]])
    # Bounds keep separable data (a perfect split) from sending the slope to infinity.
    bounds = [(-8.0, 8.0)] * k + [(-30.0, 30.0), (-3.0, 4.0)]
    result = minimize(loss, start, method="L-BFGS-B", jac=True, bounds=bounds)
    theta = result.x[:k]
    w = np.exp(theta - theta.max())
    fitted: Floats = w / w.sum()
    return fitted


def _risk(scores: Floats) -> Floats:
    return 100.0 - scores  # a lower health score means more risk


def _auc_of(scores: Floats, churned: npt.NDArray[np.bool_]) -> float | None:
    known = ~np.isnan(scores)
    return auc(churned[known].astype(int), _risk(scores[known]))


def _cross_validated_auc(
    components: Floats, churned: npt.NDArray[np.bool_], folds: int = 5
) -> float | None:
    """AUC of weights fitted on the other folds (interleaved by renewal date)."""
    scores = np.full(len(churned), np.nan)
    for fold in range(folds):
        test = np.arange(len(churned)) % folds == fold
        train = ~test
        if churned[train].sum() < 2 or (~churned[train]).sum() < 2:
            return None
        w = fit_weights(components[train], churned[train])
        scores[test] = weighted(components[test], w)
    return _auc_of(scores, churned)


@dataclass(frozen=True)
class HealthBacktest:
    summary: dict[str, Any]
    bands: list[dict[str, Any]]
    weights: list[dict[str, Any]]
    lead_times: list[dict[str, Any]]


def health_backtest(
    snapshots: Sequence[SnapshotRecord],
    outcomes: Sequence[Outcome],
    start: date,
    end: date,
    lead_days: int = LEAD_DAYS,
    max_age_days: int = 35,
) -> HealthBacktest:
    index = SnapshotIndex(snapshots)
    scored: list[tuple[Outcome, SnapshotRecord]] = []
    for outcome in outcomes:
        seen = index.latest(outcome.account, outcome.day - timedelta(days=lead_days), max_age_days)
        if seen is not None and seen.score is not None:
            scored.append((outcome, seen))
    churned = np.array([o.churned for o, _ in scored], dtype=bool)
    stored = np.array([s.score for _, s in scored], dtype=float)

    bands = []
    for band in (*BANDS, None):
        members = [o for o, s in scored if s.band == band]
        if band is None and not members:
            continue
        lost = sum(o.churned for o in members)
        interval = wilson(lost, len(members))
        bands.append(
            {
                "band": band,
                "renewals": len(members),
                "churned": lost,
                "churn_rate": interval.rate,
                "churn_rate_low": interval.low,
                "churn_rate_high": interval.high,
            }
        )

    lead_times: list[dict[str, Any]] = []
    leads: list[int] = []
    for outcome in outcomes:
        if outcome.churned:
            history = index.before(outcome.account, outcome.day)
            red = turned_red(history, index.first_day)
            if red is not None:
                leads.append((outcome.day - red).days)
            lead_times.append(
                {
                    "account_external_id": outcome.account,
                    "churn_date": outcome.day,
                    "turned_red": red,
                    "lead_days": (outcome.day - red).days if red else None,
                    "red_since_history_start": red_from_the_start(history, index.first_day),
                }
            )

    keys = sorted(
        {k for _, s in scored for k in s.weights} | {k for _, s in scored for k in s.components}
    )
    configured = np.array(
        [np.mean([s.weights.get(k, 0.0) for _, s in scored]) if scored else 0.0 for k in keys]
    )
    matrix = np.array(
        [[_value(s.components.get(k)) for k in keys] for _, s in scored], dtype=float
    ).reshape(len(scored), len(keys))
    can_fit = (
        len(scored) >= MIN_FIT and churned.sum() >= 2 and (~churned).sum() >= 2 and len(keys) > 0
    )
    suggested = fit_weights(matrix, churned) if can_fit else None
    weights = [
        {
            "component": key,
            "configured": float(configured[i]),
            "suggested": float(suggested[i]) if suggested is not None else None,
        }
        for i, key in enumerate(keys)
    ]
    summary = {
        "from": start,
        "to": end,
        "lead_days": lead_days,
        "renewals": len(outcomes),
        "scored": len(scored),
        "churned": int(churned.sum()),
        "auc": _auc_of(stored, churned) if scored else None,
        "auc_configured_weights": _auc_of(weighted(matrix, configured), churned) if keys else None,
        "auc_suggested_weights": _auc_of(weighted(matrix, suggested), churned)
        if suggested is not None
        else None,
        "auc_suggested_cross_validated": _cross_validated_auc(matrix, churned) if can_fit else None,
        "churners": len(lead_times),
        "churners_red_before": len(leads),
        # Red already on the history's first day: how long before is unknown.
        "churners_red_from_the_start": sum(1 for r in lead_times if r["red_since_history_start"]),
        "lead_days_median": float(median(leads)) if leads else None,
    }
    return HealthBacktest(summary, bands, weights, lead_times)


def _value(value: float | None) -> float:
    return float("nan") if value is None else float(value)
