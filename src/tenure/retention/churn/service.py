"""The churn model's data: loads observations and features, trains, backtests, stores and
scores. Never commits (it writes nothing to the app database)."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import sklearn
from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.config import Settings
from tenure.kit.dates import utc_now
from tenure.kit.errors import TenureError
from tenure.models import Account, Contact, SurveyResponse, Ticket, TimelineEntry, TimelineKind
from tenure.retention import health_data, service
from tenure.retention.book_facts import add_months
from tenure.retention.churn.core import (
    ChurnModel,
    backtest_predictions,
    evaluate,
    summary_of,
    train,
)
from tenure.retention.churn.features import (
    ChurnOptions,
    FeatureData,
    build_features,
    observation_dates,
    observations,
    scoring_observations,
)
from tenure.warehouse import Warehouse

SENIORITY_RANK = {"c_level": 5.0, "vp": 4.0, "director": 3.0, "manager": 2.0, "staff": 1.0}
MODEL_FORMAT = 1
# Health snapshots as features: a callable giving (account, date, component, value) rows for
# the days asked about, within a window of days.
HealthReader = Callable[[Sequence[date], int], pd.DataFrame]


def health_reader(warehouse: Warehouse) -> HealthReader | None:
    """Health scores and components as features, once the health domain stored snapshots."""
    if not health_data.has_snapshots(warehouse):
        return None

    def read(dates: Sequence[date], window_days: int) -> pd.DataFrame:
        return health_data.health_rows(warehouse, dates, window_days)

    return read


def model_path(settings: Settings) -> Path:
    return settings.data_dir / "models" / "churn.pkl"


def _naive_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


def _until(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def load_feature_data(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    dates: Sequence[date],
    options: ChurnOptions,
    health: HealthReader | None = None,
) -> FeatureData:
    """Everything the features of observations on `dates` may read (nothing after the last)."""
    book, _ = service.book(session, settings)
    until = _until(max(dates))
    tickets = session.execute(
        select(Account.external_id, Ticket.opened_at, Ticket.closed_at, Ticket.kind)
        .join(Account, Ticket.account_id == Account.id)
        .where(Ticket.opened_at < until)
    )
    surveys = session.execute(
        select(
            Account.external_id,
            SurveyResponse.kind,
            SurveyResponse.sent_at,
            SurveyResponse.score,
            SurveyResponse.responded_at,
        )
        .join(Account, SurveyResponse.account_id == Account.id)
        .where(SurveyResponse.sent_at < until)
    )
    sentiments = session.execute(
        select(Account.external_id, TimelineEntry.at, TimelineEntry.sentiment)
        .join(Account, TimelineEntry.account_id == Account.id)
        .where(
            TimelineEntry.kind == TimelineKind.sentiment,
            TimelineEntry.sentiment.is_not(None),
            TimelineEntry.at < until,
        )
    )
    sponsors: dict[str, float] = {}
    for account, seniority in session.execute(
        select(Account.external_id, Contact.seniority)
        .join(Account, Contact.account_id == Account.id)
        .where(Contact.is_sponsor.is_(True), Contact.seniority.is_not(None))
    ):
        rank = SENIORITY_RANK[seniority.value]
        sponsors[account] = max(rank, sponsors.get(account, 0.0))
    data = FeatureData(
        book=book,
        accounts=service.account_records(session),
        metrics=metric_rows(warehouse, dates, options.metric_window_days),
        tickets=pd.DataFrame(
            [(a, _naive_utc(o), _naive_utc(c), k.value) for a, o, c, k in tickets],
            columns=["account", "opened_at", "closed_at", "kind"],
        ),
        surveys=pd.DataFrame(
            [
                (
                    a,
                    k.value,
                    s.astimezone(UTC).date(),
                    float(score) if score is not None else None,
                    r.astimezone(UTC).date() if r is not None and score is not None else None,
                )
                for a, k, s, score, r in surveys
            ],
            columns=["account", "kind", "sent_on", "score", "answered_on"],
        ),
        sentiments=pd.DataFrame(
            [(a, _naive_utc(at), s.value) for a, at, s in sentiments],
            columns=["account", "at", "sentiment"],
        ),
        sponsors=sponsors,
    )
    if health is not None:
        data.health = health(dates, options.metric_window_days)
    return data


def metric_rows(warehouse: Warehouse, dates: Sequence[date], window_days: int) -> pd.DataFrame:
    """Each account's latest value of every metric as of each date: the only rows the
    point-in-time join can pick, read one date at a time so a long daily series never has
    to fit in memory."""
    frames = []
    if warehouse.metrics.metric_names():
        for day in sorted(set(dates)):
            table = warehouse.metrics.latest(day, window_days)
            if table.num_rows:
                frames.append(table.to_pandas())
    if not frames:
        return pd.DataFrame(columns=["account", "metric", "date", "value"])
    rows = pd.concat(frames, ignore_index=True).drop_duplicates()
    return rows.rename(columns={"account_external_id": "account"})


@dataclass(frozen=True)
class History:
    options: ChurnOptions
    observations: pd.DataFrame
    features: pd.DataFrame


# Without --from, the churn model observes the accounts over this many months back.
HISTORY_MONTHS = 24


def default_observation_dates(as_of: date, options: ChurnOptions) -> list[date]:
    """The days `history` observes when no start is given."""
    return observation_dates(add_months(as_of, -HISTORY_MONTHS), as_of, options.step_days)


def history(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    as_of: date,
    start: date | None,
    options: ChurnOptions,
    health: HealthReader | None = None,
) -> History:
    """Observations every step from `start` (or back from as_of over two years), with
    features and the labels known by as_of."""
    first = start or add_months(as_of, -HISTORY_MONTHS)
    if first >= as_of:
        raise TenureError(f"--from {first}: must be before the as-of date {as_of}")
    dates = observation_dates(first, as_of, options.step_days, "first" if start else "last")
    book, _ = service.book(session, settings)
    obs = observations(book, dates, options, known_by=as_of)
    obs = obs[obs["churned"].notna()].reset_index(drop=True)
    if obs.empty:
        raise TenureError(
            f"no renewal between {first} and {as_of} has a known outcome: the churn model "
            "learns from past renewals (import contracts with their history)"
        )
    data = load_feature_data(
        session, warehouse, settings, sorted(set(obs["date"])), options, health
    )
    return History(options, obs, build_features(obs, data, options))


def backtest(hist: History, folds: int = 4) -> list[dict[str, Any]]:
    return evaluate(backtest_predictions(hist.features, hist.observations, hist.options, folds))


def train_model(hist: History, as_of: date, folds: int = 4) -> ChurnModel:
    """Both models on all the history, with the backtest that says which to trust."""
    obs = hist.observations
    model = train(hist.features, obs["churned"], hist.options, as_of, obs["account"])
    rows = backtest(hist, folds)
    model.backtest = summary_of(rows)
    model.backtest_rows, model.backtest_at = rows, utc_now()
    return model


def save_model(settings: Settings, model: ChurnModel) -> Path:
    """Written whole or not at all (temporary file, fsync, rename)."""
    path = model_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as handle:
        pickle.dump(
            {"format": MODEL_FORMAT, "sklearn": sklearn.__version__, "model": model}, handle
        )
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return path


def load_model(settings: Settings) -> ChurnModel:
    path = model_path(settings)
    if not path.exists():
        raise TenureError(f"no churn model at {path}: run `tenure churn train` first")
    # Tenure's own file in its data dir, written by save_model: trusted like the database.
    with open(path, "rb") as handle:
        stored = pickle.load(handle)
    if stored.get("format") != MODEL_FORMAT or stored.get("sklearn") != sklearn.__version__:
        raise TenureError(
            f"{path} was trained with another version of Tenure or scikit-learn "
            f"({stored.get('sklearn')}): run `tenure churn train` again"
        )
    model: ChurnModel = stored["model"]
    return model


def score(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    model: ChurnModel,
    as_of: date,
    name: str | None = None,
    health: HealthReader | None = None,
) -> list[dict[str, Any]]:
    """Churn probability and top reasons of every paying account on as_of, riskiest first."""
    book, currency = service.book(session, settings)
    obs = scoring_observations(book, as_of)
    if obs.empty:
        return []
    data = load_feature_data(session, warehouse, settings, [as_of], model.options, health)
    features = build_features(obs, data, model.options)
    chosen = name or model.best
    probabilities = model.probabilities(features, chosen)
    reasons = model.reasons(features)
    accounts = data.accounts
    records = []
    for row, account in enumerate(obs["account"]):
        renewal = obs["renewal_date"].iloc[row]
        records.append(
            {
                "account_external_id": account,
                "csm_email": accounts[account].csm_email if account in accounts else None,
                "arr": float(features["arr"].iloc[row]),
                "currency": currency,
                "renewal_date": renewal,
                "days_to_renewal": (renewal - as_of).days if renewal else None,
                "probability": float(probabilities[row]),
                "model": chosen,
                "reasons": reasons[row],
            }
        )
    return sorted(records, key=lambda r: -r["probability"])
