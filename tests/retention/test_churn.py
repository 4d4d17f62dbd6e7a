"""The churn model core: observations and labels, point-in-time features, models, backtest."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from tenure.kit.errors import TenureError
from tenure.retention.book_facts import AccountRecord, Book, ContractRecord
from tenure.retention.churn.core import Design, backtest_predictions, evaluate, train
from tenure.retention.churn.features import (
    ChurnOptions,
    FeatureData,
    build_features,
    observation_dates,
    observations,
    scoring_observations,
)
from tests.retention.synthetic import Company, company

D = date.fromisoformat
OPTIONS = ChurnOptions(step_days=30, lead_days=30, horizon_days=90)


def c(account: str, start: str, end: str, arr: int = 100) -> ContractRecord:
    return ContractRecord(account, D(start), D(end), Decimal(arr))


def test_observation_dates_go_back_from_the_last() -> None:
    assert observation_dates(D("2026-01-01"), D("2026-03-02"), 30) == [
        D("2026-01-01"),
        D("2026-01-31"),
        D("2026-03-02"),
    ]


def test_observations_and_labels_by_hand() -> None:
    book = Book(
        [
            c("stays", "2025-01-01", "2026-01-01"),
            c("stays", "2026-01-01", "2027-01-01"),
            c("leaves", "2025-01-01", "2026-01-01"),
            c("later", "2025-06-01", "2026-06-01"),
            c("free", "2025-01-01", "2026-01-01", arr=0),
        ]
    )
    dates = [D("2025-09-01"), D("2025-10-01"), D("2025-11-01"), D("2025-12-01")]
    obs = observations(book, dates, OPTIONS, known_by=D("2026-06-30"))
    rows = {(r.account, r.date): (r.renewal_date, r.churned) for r in obs.itertuples()}
    # Renewal 2026-01-01 is in [date + 30, date + 120) for 2025-10-01, 11-01 and 12-01
    # (2025-09-01 + 120 days = 2025-12-30 is too early; 2025-12-01 + 30 = 2025-12-31 fits).
    assert rows == {
        ("stays", D("2025-10-01")): (D("2026-01-01"), 0.0),
        ("stays", D("2025-11-01")): (D("2026-01-01"), 0.0),
        ("stays", D("2025-12-01")): (D("2026-01-01"), 0.0),
        ("leaves", D("2025-10-01")): (D("2026-01-01"), 1.0),
        ("leaves", D("2025-11-01")): (D("2026-01-01"), 1.0),
        ("leaves", D("2025-12-01")): (D("2026-01-01"), 1.0),
    }  # "later" renews outside every window; "free" pays nothing
    unknown = observations(book, dates, OPTIONS, known_by=D("2025-12-31"))
    assert unknown["churned"].isna().all()  # no renewal had happened by then
    everyone = observations(book, dates, replace(OPTIONS, due_only=False), D("2026-06-30"))
    later = everyone[everyone["account"] == "later"]
    assert later["churned"].tolist() == [0.0, 0.0, 0.0, 0.0]
    scoring = scoring_observations(book, D("2025-12-15"))
    assert scoring["account"].tolist() == ["later", "leaves", "stays"]
    assert scoring["renewal_date"].tolist() == [D("2026-06-01"), D("2026-01-01"), D("2026-01-01")]


def _as_known_on(data: FeatureData, day: date) -> FeatureData:
    """Only what could be known at the end of `day`: later rows removed, later closes and
    answers blanked, later contracts unknown."""
    end = pd.Timestamp(day) + pd.Timedelta(days=1)
    tickets = data.tickets[data.tickets["opened_at"] < end].copy()
    tickets.loc[tickets["closed_at"] >= end, "closed_at"] = pd.NaT
    surveys = data.surveys[pd.to_datetime(data.surveys["sent_on"]) <= pd.Timestamp(day)].copy()
    late = pd.to_datetime(surveys["answered_on"]) > pd.Timestamp(day)
    surveys.loc[late, ["score", "answered_on"]] = None
    contracts = [c for cs in data.book.by_account.values() for c in cs if c.start_date <= day]
    return FeatureData(
        book=Book(contracts),
        accounts=data.accounts,
        metrics=data.metrics[pd.to_datetime(data.metrics["date"]) <= pd.Timestamp(day)],
        tickets=tickets,
        surveys=surveys,
        sentiments=data.sentiments[data.sentiments["at"] < end],
        sponsors=data.sponsors,
    )


@pytest.fixture(scope="module")
def simulated() -> Company:
    return company(accounts=240, seed=2)


def test_no_feature_reads_data_after_its_observation_date(simulated: Company) -> None:
    data = simulated.data()
    dates = observation_dates(D("2024-03-01"), D("2025-12-01"), 90)
    obs = observations(data.book, dates, OPTIONS, known_by=D("2026-01-01"))
    features = build_features(obs, data, OPTIONS)
    checked = 0
    for day in dates:
        rows = obs.index[obs["date"] == day]
        again = build_features(obs.loc[rows], _as_known_on(data, day), OPTIONS)
        expected = features.loc[rows, again.columns]
        pd.testing.assert_frame_equal(again, expected, check_dtype=False)
        assert set(features.columns) >= set(again.columns)
        # Every column missing from the truncated build was all-empty for these rows.
        for column in set(features.columns) - set(again.columns):
            assert features.loc[rows, column].isna().all()
        checked += len(rows)
    assert checked == len(obs) > 100
    # The comparison has teeth: by the first date much of the data was still to come.
    early = _as_known_on(data, dates[0])
    assert len(early.metrics) < len(data.metrics) / 2
    assert len(early.tickets) < len(data.tickets) / 2
    assert early.surveys["score"].notna().sum() < data.surveys["score"].notna().sum() / 2


def test_models_find_the_signal_in_a_time_ordered_backtest(simulated: Company) -> None:
    data = simulated.data()
    dates = observation_dates(D("2023-06-01"), D("2026-01-01"), 30)
    obs = observations(data.book, dates, OPTIONS, known_by=D("2026-01-01"))
    features = build_features(obs, data, OPTIONS)
    predictions = backtest_predictions(features, obs, OPTIONS, folds=4)
    assert predictions.method == "time-ordered"
    assert predictions.folds == 4
    results = {r["model"]: r for r in evaluate(predictions)}
    for name in ("logistic", "boosting"):
        assert results[name]["auc"] > 0.7
        assert results[name]["lift"] > 1.5
        calibration = results[name]["calibration"]
        assert sum(b["observations"] for b in calibration) == results[name]["observations"]
        # Higher predicted bins hold more churners.
        assert calibration[-1]["observed"] > calibration[0]["observed"]
    model = train(features, obs["churned"], OPTIONS, D("2026-01-01"), obs["account"])
    effects = {e["feature"]: e for e in model.effects()}
    assert effects["logins_28d"]["coefficient"] < 0  # more logins, less churn
    assert effects["logins_28d"]["odds_ratio_per_sd"] < 1
    strongest = [e["feature"] for e in model.effects()[:3]]
    assert "logins_28d" in strongest  # usage drives the simulation
    assert effects["logins_28d"]["scale"] == "log(1 + x)"  # counts have a long tail
    reasons = model.reasons(features.head(20))
    assert all(len(r) <= 3 for r in reasons)
    assert any("typical" in text for r in reasons for text in r)
    probabilities = model.probabilities(features, "boosting")
    assert ((probabilities >= 0) & (probabilities <= 1)).all()


def test_one_snapshot_falls_back_to_cross_validation(simulated: Company) -> None:
    data = simulated.data()
    obs = observations(
        data.book, [D("2025-06-01")], replace(OPTIONS, horizon_days=180), D("2026-01-01")
    )
    features = build_features(obs, data, OPTIONS)
    predictions = backtest_predictions(features, obs, OPTIONS)
    assert predictions.method == "cross-validated"
    assert len(predictions.labels) == obs["churned"].notna().sum()


def test_too_few_outcomes_are_refused() -> None:
    features = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    labels = pd.Series([0.0, 1.0, 0.0])
    with pytest.raises(TenureError, match="3 observations with a known outcome, 1 churned"):
        train(features, labels, OPTIONS, D("2026-01-01"))


def test_design_encodes_common_categories_and_keeps_columns_stable() -> None:
    features = pd.DataFrame(
        {
            "x": [1.0, np.nan, 3.0] * 4,
            "empty": [np.nan] * 12,
            "segment": ["a"] * 6 + ["b"] * 5 + ["rare"],
            "industry": ["same"] * 12,
        }
    )
    design = Design.learn(features)
    assert design.names == ["x", "segment=a", "segment=b"]
    matrix = design.matrix(pd.DataFrame({"segment": ["b", "new"]}))
    assert np.isnan(matrix[:, 0]).all()  # a missing column is "no data"
    assert matrix[:, 1:].tolist() == [[0.0, 1.0], [0.0, 0.0]]


def test_a_skewed_feature_is_logged_unless_its_plain_scale_fits_clearly_better() -> None:
    rng = np.random.default_rng(5)
    n = 4000
    usage = rng.lognormal(3.0, 1.2, n)  # a long tail; risk falls with its logarithm
    calls = (rng.geometric(0.45, n) - 1).astype(float)  # risk jumps at four calls and more
    logit = -1.5 - 0.8 * (np.log1p(usage) - 3.0) + np.where(calls >= 4, 2.5, 0.0)
    churned = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    features = pd.DataFrame({"usage": usage, "calls": calls})
    assert Design.learn(features).logged == {"usage", "calls"}  # no outcomes: by skewness
    assert Design.learn(features, churned).logged == {"usage"}


def test_attributes_become_features_but_outcome_like_ones_do_not() -> None:
    book = Book([c("a", "2025-01-01", "2026-01-01"), c("b", "2025-01-01", "2026-01-01")])
    accounts = {
        "a": AccountRecord("a", attributes={"employees": "120", "region": "EMEA", "churned": 1}),
        "b": AccountRecord("b", attributes={"employees": 4000, "region": "NA", "Lifecycle": "x"}),
    }
    obs = pd.DataFrame(
        {"account": ["a", "b"], "date": [D("2025-10-01")] * 2, "renewal_date": [None] * 2}
    )
    features = build_features(obs, FeatureData(book=book, accounts=accounts), OPTIONS)
    assert features["attr_employees"].tolist() == [120.0, 4000.0]
    assert features["attr_region"].tolist() == ["EMEA", "NA"]
    assert "attr_churned" not in features
    assert "attr_Lifecycle" not in features
    design = Design.learn(pd.concat([features] * 5, ignore_index=True))
    assert "attr_employees" in design.numeric
    assert design.categories["attr_region"] == ["EMEA", "NA"]
