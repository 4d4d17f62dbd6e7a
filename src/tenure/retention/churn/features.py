"""Observations and point-in-time features for the churn model. Pure (pandas in, pandas out).

Following "Fighting Churn With Data" (chapter 4): an observation is an account on a date;
its label is whether the account churned at a renewal falling after a lead time and within
the next period. With contracts, churn can only happen at a renewal, so by default only
accounts with a renewal in that window are observed (otherwise the model would learn the
calendar, not the customer). Every feature of an observation on day D reads only what was
known at the end of D: metric values dated D or earlier, tickets opened by D (and closed by
D), survey answers given by D, contracts in force on D.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from tenure.retention.book_facts import AccountRecord, Book

CATEGORICAL = ("segment", "industry")
# Attributes that describe the outcome or the account's current state rather than its past
# (a "churned" flag, a lifecycle stage of "churned") would let the model read the answer.
LEAKY_ATTRIBUTE = ("churn", "cancel", "lifecycle", "status", "renew")
TICKET_DAYS = 90
SURVEY_DAYS = 400  # NPS twice a year and a yearly CSAT: a year and a bit sees the last one
SURVEY_GRACE_DAYS = 14  # invitations younger than this are not yet "unanswered"
SENTIMENT_RANK = {"red": 0.0, "amber": 1.0, "green": 2.0}
DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class ChurnOptions:
    step_days: int = 30  # days between observation dates
    lead_days: int = 30  # time a CSM needs to act: renewals sooner than this are not predicted
    horizon_days: int = 90  # the period after the lead in which a renewal is predicted
    metric_window_days: int = 35  # a metric value older than this is "no data"
    due_only: bool = True  # observe only accounts with a renewal in the window


@dataclass
class FeatureData:
    """Everything features are computed from. Timestamps are UTC, without a zone."""

    book: Book
    accounts: Mapping[str, AccountRecord]
    # account, metric, date, value
    metrics: pd.DataFrame = field(default_factory=lambda: _frame("account metric date value"))
    # account, opened_at, closed_at, kind (question | problem)
    tickets: pd.DataFrame = field(
        default_factory=lambda: _frame("account opened_at closed_at kind")
    )
    # account, kind, sent_on, score, answered_on
    surveys: pd.DataFrame = field(
        default_factory=lambda: _frame("account kind sent_on score answered_on")
    )
    # account, at, sentiment (red | amber | green)
    sentiments: pd.DataFrame = field(default_factory=lambda: _frame("account at sentiment"))
    # account -> rank of its most senior sponsor (c_level 5 ... staff 1)
    sponsors: Mapping[str, float] = field(default_factory=dict)
    # account, date, component, value (health snapshots: "score" and each component)
    health: pd.DataFrame = field(default_factory=lambda: _frame("account date component value"))


def _frame(columns: str) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=object) for name in columns.split()})


def observation_dates(first: date, last: date, step_days: int, anchor: str = "last") -> list[date]:
    """Every `step_days` from `first` to `last`, oldest first: counted back from `last`
    (anchor "last", so the latest observation is the as-of day) or forward from `first`
    (anchor "first", so a chosen day such as a one-off metrics snapshot is observed)."""
    if step_days < 1:
        raise ValueError("step_days must be at least 1")
    step = timedelta(days=step_days)
    dates = []
    if anchor == "first":
        day = first
        while day <= last:
            dates.append(day)
            day += step
        return dates
    day = last
    while day >= first:
        dates.append(day)
        day -= step
    return dates[::-1]


def observations(
    book: Book, dates: Sequence[date], options: ChurnOptions, known_by: date
) -> pd.DataFrame:
    """account, date, renewal_date, churned (1.0 / 0.0; NaN when not known by `known_by`).

    Observed: accounts paying on the date. The label looks at the first contract end in
    [date + lead, date + lead + horizon): churned when the account has no active contract
    on that day (churn is dated on end_date).
    """
    rows: list[tuple[str, date, date | None, float]] = []
    lead = timedelta(days=options.lead_days)
    horizon = timedelta(days=options.horizon_days)
    for account, contracts in book.by_account.items():
        ends = sorted({c.end_date for c in contracts})
        for day in dates:
            arr = book.account_arr_on(account, day)
            if arr is None or arr <= 0:
                continue
            due = next((e for e in ends if day + lead <= e < day + lead + horizon), None)
            if due is None:
                if options.due_only:
                    continue
                label = 0.0 if day + lead + horizon <= known_by else np.nan
            elif due <= known_by:
                label = 0.0 if book.account_arr_on(account, due) is not None else 1.0
            else:
                label = np.nan
            rows.append((account, day, due, label))
    frame = pd.DataFrame(rows, columns=["account", "date", "renewal_date", "churned"])
    return frame.sort_values(["date", "account"], ignore_index=True)


def scoring_observations(book: Book, as_of: date) -> pd.DataFrame:
    """Every account paying on `as_of`, with its next contract end."""
    rows = []
    for account, contracts in book.by_account.items():
        arr = book.account_arr_on(account, as_of)
        if arr is None or arr <= 0:
            continue
        upcoming = [c.end_date for c in contracts if c.end_date > as_of]
        rows.append((account, as_of, min(upcoming) if upcoming else None, np.nan))
    frame = pd.DataFrame(rows, columns=["account", "date", "renewal_date", "churned"])
    return frame.sort_values("account", ignore_index=True)


def _stamp(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).astype("datetime64[ns]")


def build_features(
    observations: pd.DataFrame, data: FeatureData, options: ChurnOptions
) -> pd.DataFrame:
    """One row per observation (same index): numeric features, and the categorical
    attributes as strings."""
    obs = pd.DataFrame(
        {"row": np.arange(len(observations)), "account": observations["account"].to_numpy()}
    )
    obs["date"] = _stamp(observations["date"]).to_numpy()
    parts = [
        _contract_features(observations, data.book),
        _metric_features(obs, data.metrics, options.metric_window_days, prefix=""),
        _health_features(obs, data.health, options.metric_window_days),
        _ticket_features(obs, data.tickets),
        _survey_features(obs, data.surveys),
        _sentiment_features(obs, data.sentiments),
    ]
    features = pd.concat([p for p in parts if not p.empty], axis=1).reindex(range(len(obs)))
    if data.sponsors:
        features["sponsor_seniority"] = [
            data.sponsors.get(a, np.nan) for a in observations["account"]
        ]
    for name in CATEGORICAL:
        features[name] = [
            getattr(data.accounts.get(a), name, None) or "unknown" for a in observations["account"]
        ]
    for name, values in _attribute_features(observations["account"], data.accounts).items():
        features[name] = values
    features.index = observations.index
    return features


def _attribute_features(
    accounts: pd.Series, records: Mapping[str, AccountRecord]
) -> dict[str, list[object]]:
    """The accounts' free-form attributes: numbers as numbers, anything else as a category
    (as strings). Attributes have no history, so names that read like an outcome are left
    out (LEAKY_ATTRIBUTE)."""
    keys = sorted(
        {
            k
            for a in set(accounts)
            if a in records
            for k in records[a].attributes
            if not any(word in k.lower() for word in LEAKY_ATTRIBUTE)
        }
    )
    columns: dict[str, list[object]] = {}
    for key in keys:
        raw = [records[a].attributes.get(key) if a in records else None for a in accounts]
        numbers = [_number(v) for v in raw]
        if all(n is not None for n, v in zip(numbers, raw, strict=True) if v is not None):
            columns[f"attr_{key}"] = [np.nan if n is None else n for n in numbers]
        else:
            columns[f"attr_{key}"] = ["unknown" if v is None else str(v) for v in raw]
    return columns


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _contract_features(observations: pd.DataFrame, book: Book) -> pd.DataFrame:
    arr, years, change = [], [], []
    for account, day in zip(observations["account"], observations["date"], strict=True):
        now = book.account_arr_on(account, day)
        first = book.first_start(account)
        year_ago = book.account_arr_on(account, day - timedelta(days=365))
        arr.append(float(now) if now is not None else np.nan)
        years.append((day - first).days / 365.25 if first else np.nan)
        change.append(float(now) / float(year_ago) - 1 if now is not None and year_ago else np.nan)
    return pd.DataFrame({"arr": arr, "tenure_years": years, "arr_change_1y": change})


def _metric_features(
    obs: pd.DataFrame,
    metrics: pd.DataFrame,
    window_days: int,
    prefix: str,
    name_col: str = "metric",
) -> pd.DataFrame:
    """Each metric's latest value dated on or before the observation date, within the window."""
    if metrics.empty:
        return pd.DataFrame(index=obs["row"])
    ordered = obs.sort_values("date", kind="mergesort")
    columns = {}
    series = metrics.assign(date=_stamp(metrics["date"]))
    for name, values in series.groupby(name_col, sort=True):
        right = values[["account", "date", "value"]].sort_values("date", kind="mergesort")
        joined = pd.merge_asof(
            ordered,
            right.astype({"value": float}),
            on="date",
            by="account",
            direction="backward",
            tolerance=pd.Timedelta(days=window_days - 1),
        )
        columns[f"{prefix}{name}"] = pd.Series(joined["value"].to_numpy(), index=joined["row"])
    return pd.DataFrame(columns).sort_index()


def _health_features(obs: pd.DataFrame, health: pd.DataFrame, window_days: int) -> pd.DataFrame:
    return _metric_features(obs, health, window_days, prefix="health_", name_col="component")


def _joined(obs: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    return obs.merge(events, on="account", how="inner")


def _ticket_features(obs: pd.DataFrame, tickets: pd.DataFrame) -> pd.DataFrame:
    if tickets.empty:
        return pd.DataFrame(index=obs["row"])
    events = tickets.assign(
        opened_at=_stamp(tickets["opened_at"]), closed_at=_stamp(tickets["closed_at"])
    )
    m = _joined(obs, events)
    day_end = m["date"] + DAY  # the end of the observation day
    recent = (m["opened_at"] < day_end) & (m["opened_at"] >= day_end - TICKET_DAYS * DAY)
    problem = recent & (m["kind"] == "problem")
    # Whether a ticket was closed within 48 hours is known at the end of the day once it is
    # 48 hours old, so only tickets opened two days before count.
    settled = (m["opened_at"] < day_end - 2 * DAY) & (m["opened_at"] >= day_end - TICKET_DAYS * DAY)
    fast = settled & ((m["closed_at"] - m["opened_at"]) <= pd.Timedelta(hours=48))
    grouped = pd.DataFrame(
        {"row": m["row"], "t": recent, "p": problem, "s": settled, "f": fast}
    ).groupby("row")
    sums = grouped.sum().reindex(obs["row"], fill_value=0)
    out = pd.DataFrame(index=obs["row"])
    out["tickets_90d"] = sums["t"].astype(float)
    out["problem_tickets_90d"] = sums["p"].astype(float)
    out["problem_share_90d"] = (sums["p"] / sums["t"].where(sums["t"] > 0)).astype(float)
    out["closed_48h_share_90d"] = (sums["f"] / sums["s"].where(sums["s"] > 0)).astype(float)
    return out


def _survey_features(obs: pd.DataFrame, surveys: pd.DataFrame) -> pd.DataFrame:
    if surveys.empty:
        return pd.DataFrame(index=obs["row"])
    events = surveys.assign(
        sent_on=_stamp(surveys["sent_on"]), answered_on=_stamp(surveys["answered_on"])
    )
    m = _joined(obs, events)
    out = pd.DataFrame(index=obs["row"])
    answered = (
        m["answered_on"].notna()
        & (m["answered_on"] <= m["date"])
        & (m["answered_on"] > m["date"] - SURVEY_DAYS * DAY)
        & m["score"].notna()
    )
    for kind in ("nps", "csat"):
        latest = (
            m[answered & (m["kind"] == kind)]
            .sort_values(["row", "answered_on"], kind="mergesort")
            .groupby("row")["score"]
            .last()
        )
        out[f"{kind}_last"] = latest.reindex(obs["row"]).astype(float)
    invited = (m["sent_on"] <= m["date"] - SURVEY_GRACE_DAYS * DAY) & (
        m["sent_on"] > m["date"] - SURVEY_DAYS * DAY
    )
    replied = invited & m["answered_on"].notna() & (m["answered_on"] <= m["date"])
    counts = (
        pd.DataFrame({"row": m["row"], "i": invited, "r": replied})
        .groupby("row")
        .sum()
        .reindex(obs["row"], fill_value=0)
    )
    out["survey_response_rate_1y"] = (counts["r"] / counts["i"].where(counts["i"] > 0)).astype(
        float
    )
    return out


def _sentiment_features(obs: pd.DataFrame, sentiments: pd.DataFrame) -> pd.DataFrame:
    if sentiments.empty:
        return pd.DataFrame(index=obs["row"])
    events = sentiments.assign(at=_stamp(sentiments["at"]))
    m = _joined(obs, events)
    m = m[m["at"] < m["date"] + DAY].sort_values(["row", "at"], kind="mergesort")
    latest = m.groupby("row")["sentiment"].last().map(SENTIMENT_RANK)
    return pd.DataFrame({"csm_sentiment_last": latest.reindex(obs["row"]).astype(float)})
