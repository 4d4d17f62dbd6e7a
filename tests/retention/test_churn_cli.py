"""`tenure churn train|backtest|score` and `tenure health backtest` from imported files."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from tenure.app import create_app
from tenure.config import Settings
from tenure.health.service import snapshot_store
from tenure.health.snapshots import SNAPSHOT_SCHEMA
from tenure.warehouse import Warehouse
from tests.conftest import Cli, Files
from tests.retention.synthetic import Company, company

AS_OF = "2026-01-01"


def import_company(cli: Cli, files: Files, simulated: Company) -> None:
    cli("init")
    accounts = [
        {
            "external_id": a.external_id,
            "name": a.external_id.upper(),
            "tier": a.tier,
            "segment": a.segment,
            "industry": a.industry,
            "csm_email": a.csm_email,
        }
        for a in simulated.accounts.values()
    ]
    contracts = [
        {
            "external_id": f"c{n}",
            "account_external_id": c.account,
            "start_date": c.start_date,
            "end_date": c.end_date,
            "arr": c.arr,
            "currency": "USD",
        }
        for n, c in enumerate(simulated.contracts)
    ]
    tickets = [
        {
            "external_id": f"t{n}",
            "account_external_id": t.account,
            "opened_at": t.opened_at.isoformat() + "Z",
            "closed_at": t.closed_at.isoformat() + "Z",
            "kind": t.kind,
        }
        for n, t in enumerate(simulated.tickets.itertuples())
    ]
    surveys = [
        {
            "external_id": f"s{n}",
            "account_external_id": s.account,
            "kind": s.kind,
            "sent_at": f"{s.sent_on}T09:00:00Z",
            "score": None if s.score != s.score or s.score is None else int(s.score),
            "responded_at": f"{s.answered_on}T09:00:00Z" if s.answered_on else None,
        }
        for n, s in enumerate(simulated.surveys.itertuples())
    ]
    metrics = simulated.metrics.rename(columns={"account": "account_external_id"})
    for kind, rows in [
        ("accounts", accounts),
        ("contracts", contracts),
        ("tickets", tickets),
        ("surveys", surveys),
        ("metrics", metrics.to_dict("records")),
    ]:
        cli("import", kind, str(files.csv(f"{kind}.csv", rows)))


@pytest.fixture(scope="module")
def simulated() -> Company:
    return company(accounts=150, seed=2)


@pytest.mark.slow
def test_train_backtest_and_score(cli: Cli, files: Files, simulated: Company) -> None:
    import_company(cli, files, simulated)
    result = cli("churn", "score", ok=False)
    assert "no churn model" in result.stderr
    backtest = cli("churn", "backtest", "--as-of", AS_OF, "--format", "json").json()
    assert isinstance(backtest, list)
    models = {r["model"]: r for r in backtest}
    assert set(models) == {"logistic", "boosting"}
    for row in models.values():
        assert row["method"] == "time-ordered"
        assert row["auc"] > 0.65
        assert row["lift"] > 1.2
        assert row["calibration"]
    trained = cli("churn", "train", "--as-of", AS_OF, "--format", "json").json()
    assert isinstance(trained, dict)
    effects = {e["feature"]: e for e in trained["effects"]}
    assert effects["logins_28d"]["odds_ratio_per_sd"] < 1
    assert {m["model"] for m in trained["models"]} == {"logistic", "boosting"}
    scores = cli("churn", "score", "--as-of", AS_OF, "--format", "json").json()
    assert isinstance(scores, list)
    assert scores
    probabilities = [s["probability"] for s in scores]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0 <= p <= 1 for p in probabilities)
    assert all(isinstance(s["reasons"], list) for s in scores)
    top = cli("churn", "score", "--as-of", AS_OF, "--limit", "3", "--model", "logistic").stdout
    assert "Churn risk on 2026-01-01" in top


def test_churn_needs_known_outcomes(cli: Cli) -> None:
    cli("init")
    result = cli("churn", "backtest", "--as-of", AS_OF, ok=False)
    assert "no renewal between" in result.stderr


def _snapshot(account: str, day: date, score: float) -> dict[str, Any]:
    band = "red" if score <= 50 else "amber" if score <= 74 else "green"
    return {
        "account_external_id": account,
        "date": day,
        "scorecard": "enterprise",
        "scorecard_version": 1,
        "health": round(score),
        "health_exact": score,
        "band": band,
        "components": [
            {
                "key": "product",
                "label": "Product usage",
                "weight": 0.5,
                "effective_weight": 0.5,
                "score": score,
                "contribution": score / 2,
            },
            {
                "key": "support",
                "label": "Support",
                "weight": 0.5,
                "effective_weight": 0.5,
                "score": score,
                "contribution": score / 2,
            },
        ],
        "measures": [],
    }


def backtest_company(cli: Cli, files: Files, settings: Settings) -> None:
    """Twelve accounts renewing on 2026-06-01, four of them churning, each with snapshots
    120, 90 and 30 days before (the churners red in all three)."""
    accounts = [{"external_id": f"a{n}", "name": f"A{n}"} for n in range(12)]
    cli("import", "accounts", str(files.csv("accounts.csv", accounts)))
    contracts = []
    for n in range(12):
        contracts.append(
            {
                "external_id": f"old{n}",
                "account_external_id": f"a{n}",
                "start_date": "2025-06-01",
                "end_date": "2026-06-01",
                "arr": 1000,
                "currency": "USD",
            }
        )
        if n >= 4:  # a0..a3 churn on 2026-06-01
            contracts.append(
                {
                    "external_id": f"new{n}",
                    "account_external_id": f"a{n}",
                    "start_date": "2026-06-01",
                    "end_date": "2027-06-01",
                    "arr": 1000,
                    "currency": "USD",
                }
            )
    cli("import", "contracts", str(files.csv("contracts.csv", contracts)))
    rows = []
    for n in range(12):
        score = 20.0 + 6 * n if n >= 4 else 30.0 + 5 * n  # churners 30-45, stayers 44-86
        for days_before in (120, 90, 30):
            rows.append(_snapshot(f"a{n}", date(2026, 6, 1) - timedelta(days=days_before), score))
    snapshot_store(Warehouse(settings)).write(pa.Table.from_pylist(rows, schema=SNAPSHOT_SCHEMA))


def test_health_backtest_command(cli: Cli, files: Files, settings: Settings) -> None:
    cli("init")
    result = cli("health", "backtest", "--from", "2026-01-01", "--to", "2026-12-31", ok=False)
    assert "no health snapshots" in result.stderr
    backtest_company(cli, files, settings)
    data = cli(
        "health", "backtest", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "json"
    ).json()
    assert isinstance(data, dict)
    [summary] = data["summary"]
    assert (summary["renewals"], summary["scored"], summary["churned"]) == (12, 12, 4)
    # Churners 30, 35, 40, 45 against stayers 44, 50, ..., 86: only 45 > 44 is out of order.
    assert summary["auc"] == pytest.approx(31 / 32)
    bands = {b["band"]: b for b in data["bands"]}
    assert bands["red"]["churned"] == 4
    assert {w["component"] for w in data["weights"]} == {"product", "support"}
    # The churners were red on the first day of the history (120 days before): when they
    # turned red is unknown, not that first day.
    assert all(r["lead_days"] is None for r in data["lead_times"])
    assert all(r["turned_red"] is None for r in data["lead_times"])
    assert all(r["red_since_history_start"] for r in data["lead_times"])
    assert summary["churners_red_from_the_start"] == 4
    table = cli("health", "backtest", "--from", "2026-01-01", "--to", "2026-12-31").stdout
    assert "auc" in table
    # With snapshots stored, the renewal forecast bands accounts by health.
    renewals = cli("retention", "renewals", "--as-of", "2027-01-01", "--format", "json").json()
    assert isinstance(renewals, dict)
    assert {r["band_source"] for r in renewals["rates"]} == {"health"}
    past = {r["band"]: r for r in renewals["rates"]}
    # Red (50 or less): a0..a3 churned, a4 (44) and a5 (50) renewed.
    assert past["red"]["past_renewals"] == 6
    assert past["red"]["rate"] == pytest.approx(2 / 6)
    due = {r["account_external_id"]: r["band"] for r in renewals["renewals"]}
    assert due["a11"] == "green"
    assert due["a4"] == "red"


def test_health_backtest_and_churn_api(cli: Cli, files: Files, settings: Settings) -> None:
    test_health_backtest_command(cli, files, settings)
    cli("users", "create", "--email", "boss@example.com", "--name", "Boss", "--role", "manager")
    data = cli("tokens", "create", "--email", "boss@example.com", "--format", "json").json()
    assert isinstance(data, list)
    headers = {"Authorization": f"Bearer {data[0]['token']}"}
    app = create_app(settings)
    with TestClient(app) as client:
        response = client.get(
            "/api/v1/retention/health-backtest",
            params={"from": "2026-01-01", "to": "2026-12-31"},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["summary"]["auc"] == pytest.approx(31 / 32)
        missing = client.get("/api/v1/churn/scores", headers=headers)
        assert missing.status_code == 400
        assert "run `tenure churn train` first" in missing.json()["detail"]
        # Twelve accounts observed three times each before one renewal: 36 outcomes, enough.
        backtest = client.get(
            "/api/v1/churn/backtest", params={"as_of": "2026-12-31"}, headers=headers
        )
        assert backtest.status_code == 200, backtest.text
        assert {r["model"] for r in backtest.json()} == {"logistic", "boosting"}
        too_little = client.get(
            "/api/v1/churn/backtest", params={"as_of": "2026-05-31"}, headers=headers
        )
        assert too_little.status_code == 400
        assert "has a known outcome" in too_little.json()["detail"]
    app.state.database.dispose()
