"""The churn model on the demo company: from events, tickets and surveys alone (the simulator's
latent state never reaches Tenure), the time-ordered backtest reaches an AUC of 0.75."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from tenure.config import Settings
from tenure.db import Database
from tenure.demo import service as demo
from tenure.demo.scenarios import ScenarioName
from tenure.demo.writers import EventsFormat
from tenure.usage import service as usage
from tenure.warehouse import Warehouse
from tests.conftest import Cli

AS_OF = date(2026, 11, 1)


@pytest.mark.slow
@pytest.mark.timeout(900)
# SQLite only: the relational side is tested on both databases elsewhere; this is about the
# model, and takes a minute or two.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_backtest_auc_on_the_demo_company(
    cli: Cli, settings: Settings, database: Database, tmp_path: Path
) -> None:
    cli("init")
    warehouse = Warehouse(settings)
    out = tmp_path / "demo"
    demo.generate(ScenarioName.enterprise, None, 24, 1, AS_OF, out, EventsFormat.jsonl)
    with database.unit_of_work() as session:
        demo.load(session, warehouse, out)
    # The usage metrics of the days the model observes (every 30 days back from the as-of
    # date, as `tenure churn backtest` does), computed from the loaded events.
    days = sorted(AS_OF - timedelta(days=30 * k) for k in range(25))
    with database.unit_of_work() as session:
        usage.compute_metrics(session, warehouse, settings, days)
    assert "logins_per_user_28d" in warehouse.metrics.metric_names()
    results = cli("churn", "backtest", "--as-of", AS_OF.isoformat(), "--format", "json").json()
    assert isinstance(results, list)
    models = {r["model"]: r for r in results}
    assert models["logistic"]["method"] == "time-ordered"
    assert models["logistic"]["churned"] >= 25  # enough renewals to judge by
    best = max(r["auc"] for r in results)
    assert best >= 0.75, results
    assert min(r["auc"] for r in results) >= 0.7, results
    assert max(r["lift"] for r in results) >= 2.0
