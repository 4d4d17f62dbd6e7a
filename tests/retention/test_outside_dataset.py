"""Churn data sets from outside Tenure, loaded through Tenure's imports: Tenure's backtest must
reach the AUC a tuned logistic regression reaches on the same table. One is shaped like the
public SaaS ones (usage, satisfaction, support minutes, company size, churned; one row per
account), the other is a public one (R's modeldata `mlc_churn`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tenure.retention.evaluation import auc
from tests.conftest import Cli, Files
from tests.retention.public_churn import modeldata

ACCOUNTS = 3000
SNAPSHOT = "2025-12-01"  # the day the data set's columns describe


def dataset(seed: int = 11) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    usage = rng.lognormal(3.0, 1.0, ACCOUNTS)  # events a month: a long tail
    satisfaction = rng.integers(1, 6, ACCOUNTS).astype(float)
    support = rng.exponential(40.0, ACCOUNTS).round()  # support minutes
    size = rng.lognormal(4.0, 1.2, ACCOUNTS).round() + 1  # employees
    logit = (
        -1.6
        - 0.9 * (np.log(usage) - 3.0)
        - 0.45 * (satisfaction - 3)
        + 0.012 * (support - 40)
        - 0.15 * (np.log(size) - 4.0)
    )
    churned = rng.uniform(size=ACCOUNTS) < 1 / (1 + np.exp(-logit))
    return {
        "usage": usage.round(1),
        "satisfaction": satisfaction,
        "support_minutes": support,
        "company_size": size,
        "churned": churned,
    }


def reference_auc(x: np.ndarray, churned: np.ndarray) -> float:
    """A tuned logistic regression on the table as it is: standardised columns, the
    regularisation strength chosen by cross-validation, scored out of fold."""
    model = make_pipeline(
        StandardScaler(),
        LogisticRegressionCV(
            Cs=10, l1_ratios=(0.0,), scoring="roc_auc", use_legacy_attributes=False, max_iter=5000
        ),
    )
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    p = cross_val_predict(model, x, churned, cv=folds, method="predict_proba")[:, 1]
    result = auc(churned.astype(int), p)
    assert result is not None
    return result


def write_imports(
    files: Files,
    churned: np.ndarray,
    attributes: dict[str, np.ndarray],
    metrics: dict[str, np.ndarray],
) -> dict[str, Path]:
    """The table as Tenure's imports: an account per row with its attributes, a contract that
    ended on 2026-01-01 (renewed, or churned), and each measure as a metric on SNAPSHOT."""
    ids = [f"cust{n:05d}" for n in range(len(churned))]
    accounts = [
        {"external_id": a, "name": a, **{k: v[n] for k, v in attributes.items()}}
        for n, a in enumerate(ids)
    ]
    contracts = []
    for n, a in enumerate(ids):
        contracts.append(
            {
                "external_id": f"{a}-2025",
                "account_external_id": a,
                "start_date": "2025-01-01",
                "end_date": "2026-01-01",
                "arr": 12000,
                "currency": "USD",
                "status": "churned" if churned[n] else "renewed",
            }
        )
        if not churned[n]:
            contracts.append(
                {
                    "external_id": f"{a}-2026",
                    "account_external_id": a,
                    "start_date": "2026-01-01",
                    "end_date": "2027-01-01",
                    "arr": 12000,
                    "currency": "USD",
                    "status": "active",
                }
            )
    rows = [
        {"account_external_id": a, "metric": name, "date": SNAPSHOT, "value": values[n]}
        for n, a in enumerate(ids)
        for name, values in metrics.items()
    ]
    return {
        "accounts": files.csv("accounts.csv", accounts),
        "contracts": files.csv("contracts.csv", contracts),
        "metrics": files.csv("metrics.csv", rows),
    }


def backtest(cli: Cli, imports: dict[str, Path]) -> dict[str, dict]:
    """`tenure churn backtest` on the imported snapshot: the renewals of 2026-01-01, observed
    on SNAPSHOT (one date, so cross-validated by account)."""
    cli("init")
    for kind, path in imports.items():
        cli("import", kind, str(path))
    results = cli(
        "churn",
        "backtest",
        "--as-of",
        "2026-06-01",
        "--from",
        SNAPSHOT,
        "--step-days",
        "365",
        "--lead-days",
        "0",
        "--horizon-days",
        "60",
        "--format",
        "json",
    ).json()
    assert isinstance(results, list)
    return {r["model"]: r for r in results}


@pytest.mark.slow
def test_backtest_matches_a_tuned_logistic_regression(cli: Cli, files: Files) -> None:
    data = dataset()
    columns = ("usage", "satisfaction", "support_minutes", "company_size")
    expected = reference_auc(np.column_stack([data[k] for k in columns]), data["churned"])
    models = backtest(
        cli,
        write_imports(
            files,
            data["churned"],
            {"company_size": data["company_size"].astype(int)},
            {k: data[k] for k in ("usage", "satisfaction", "support_minutes")},
        ),
    )
    logistic = models["logistic"]
    assert logistic["method"] == "cross-validated"
    assert logistic["observations"] == ACCOUNTS
    assert logistic["churned"] == int(data["churned"].sum())
    assert logistic["auc"] >= expected - 0.01
    assert models["boosting"]["auc"] >= expected - 0.03


@pytest.mark.slow
def test_backtest_on_a_public_churn_data_set(cli: Cli, files: Files) -> None:
    """R's modeldata `mlc_churn` (5,000 customers, 14% churned), through Tenure's imports:
    the numbers as metrics, state, area code and plans as account attributes."""
    frame = modeldata("mlc_churn")
    churned = (frame["churn"] == "yes").to_numpy()
    numeric = [c for c in frame.columns if c != "churn" and pd.api.types.is_numeric_dtype(frame[c])]
    categorical = [c for c in frame.columns if c not in numeric and c != "churn"]
    assert len(frame) == 5000
    assert (len(numeric), len(categorical)) == (15, 4)
    table = pd.concat(
        [
            frame[numeric].astype(float),
            pd.get_dummies(frame[categorical].astype(str), drop_first=True).astype(float),
        ],
        axis=1,
    )
    expected = reference_auc(table.to_numpy(), churned)
    models = backtest(
        cli,
        write_imports(
            files,
            churned,
            {c: frame[c].astype(str).to_numpy() for c in categorical},
            {c: frame[c].astype(float).to_numpy() for c in numeric},
        ),
    )
    logistic = models["logistic"]
    assert logistic["observations"] == len(frame)
    assert logistic["churned"] == int(churned.sum())
    assert logistic["auc"] >= expected - 0.01
    # Boosting finds what a linear model cannot (churn jumps at four support calls).
    assert models["boosting"]["auc"] >= expected + 0.05
