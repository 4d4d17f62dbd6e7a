"""A churn data set shaped like the public SaaS ones (usage, satisfaction, support minutes,
company size, churned; one row per account), loaded through Tenure's imports: Tenure's
backtest must reach the AUC a tuned logistic regression reaches on the same table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tenure.retention.evaluation import auc
from tests.conftest import Cli, Files

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


def reference_auc(data: dict[str, np.ndarray]) -> float:
    """A tuned logistic regression on the table as it is: standardised columns, the
    regularisation strength chosen by cross-validation, scored out of fold."""
    x = np.column_stack(
        [data[k] for k in ("usage", "satisfaction", "support_minutes")] + [data["company_size"]]
    )
    model = make_pipeline(
        StandardScaler(),
        LogisticRegressionCV(
            Cs=10, l1_ratios=(0.0,), scoring="roc_auc", use_legacy_attributes=False, max_iter=2000
        ),
    )
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    p = cross_val_predict(model, x, data["churned"], cv=folds, method="predict_proba")[:, 1]
    result = auc(data["churned"].astype(int), p)
    assert result is not None
    return result


def write_imports(files: Files, data: dict[str, np.ndarray]) -> dict[str, Path]:
    ids = [f"cust{n:05d}" for n in range(ACCOUNTS)]
    accounts = [
        {"external_id": a, "name": a, "company_size": int(data["company_size"][n])}
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
                "status": "churned" if data["churned"][n] else "renewed",
            }
        )
        if not data["churned"][n]:
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
    metrics = [
        {"account_external_id": a, "metric": name, "date": SNAPSHOT, "value": data[name][n]}
        for n, a in enumerate(ids)
        for name in ("usage", "satisfaction", "support_minutes")
    ]
    return {
        "accounts": files.csv("accounts.csv", accounts),
        "contracts": files.csv("contracts.csv", contracts),
        "metrics": files.csv("metrics.csv", metrics),
    }


@pytest.mark.slow
def test_backtest_matches_a_tuned_logistic_regression(cli: Cli, files: Files) -> None:
    data = dataset()
    expected = reference_auc(data)
    cli("init")
    for kind, path in write_imports(files, data).items():
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
    models = {r["model"]: r for r in results}
    logistic = models["logistic"]
    assert logistic["method"] == "cross-validated"
    assert logistic["observations"] == ACCOUNTS
    assert logistic["churned"] == int(data["churned"].sum())
    assert logistic["auc"] >= expected - 0.01
    assert models["boosting"]["auc"] >= expected - 0.03
