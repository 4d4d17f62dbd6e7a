"""The retention API: KPIs, cohorts, the sBG forecast and the renewal forecast."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tenure.config import Settings
from tests.conftest import Cli, Files, add_users, api_client, token
from tests.retention.test_cli import load


@pytest.fixture
def client(cli: Cli, files: Files, settings: Settings) -> Iterator[TestClient]:
    load(cli, files)
    add_users(cli, ("boss@example.com", "manager", "Boss"))
    with api_client(settings) as test_client:
        yield test_client


@pytest.fixture
def headers(cli: Cli, client: TestClient) -> dict[str, str]:
    del client  # the users exist once the client is up
    return token(cli, "boss@example.com")


def test_kpis_endpoint(client: TestClient, headers: dict[str, str]) -> None:
    assert client.get("/api/v1/kpis").status_code == 401
    response = client.get(
        "/api/v1/kpis",
        params={"from": "2026-01-01", "to": "2026-12-31", "by": "segment"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    data = response.json()
    rows = {r["group"]: r for r in data["kpis"]}
    assert rows["all"]["from"] == "2026-01-01"
    assert rows["all"]["arr_start"] == 275_000
    assert rows["all"]["grr"] == pytest.approx(170 / 275)
    assert rows["enterprise"]["segment"] == "enterprise"
    moves = [m for m in data["movements"] if m["group"] == "all"]
    assert sum(m["arr"] for m in moves if m["movement"] not in ("start", "end")) == -10_000
    bad = client.get(
        "/api/v1/kpis", params={"from": "2026-02-01", "to": "2026-01-01"}, headers=headers
    )
    assert bad.status_code == 400
    assert "before it starts" in bad.json()["detail"]
    bad = client.get("/api/v1/kpis", params={"by": "region"}, headers=headers)
    assert bad.status_code == 422


def test_cohorts_forecast_and_renewals_endpoints(
    client: TestClient, headers: dict[str, str]
) -> None:
    cohorts = client.get(
        "/api/v1/retention/cohorts",
        params={"cohort": "year", "as_of": "2026-12-31"},
        headers=headers,
    ).json()
    assert {(c["cohort"], c["period"]) for c in cohorts} >= {("2025", 0), ("2025", 1)}
    published = client.post(
        "/api/v1/retention/forecast",
        json={"survivors": [1000, 869, 743, 653, 593, 551, 517, 491], "periods": 12},
        headers=headers,
    ).json()
    assert published["alpha"] == pytest.approx(0.668, abs=1e-3)
    assert published["beta"] == pytest.approx(3.806, abs=1e-3)
    assert len(published["survivors"]) == 13
    refused = client.post(
        "/api/v1/retention/forecast", json={"survivors": [100, 100, 100]}, headers=headers
    )
    assert refused.status_code == 400
    assert "nobody churned" in refused.json()["detail"]
    book = client.get(
        "/api/v1/retention/forecast", params={"as_of": "2026-12-31"}, headers=headers
    ).json()
    assert book["cohorts"] == 2
    renewals = client.get(
        "/api/v1/retention/renewals", params={"as_of": "2026-11-15"}, headers=headers
    ).json()
    assert {r["account_external_id"] for r in renewals["renewals"]} == {"i", "a", "e", "c", "d"}
    assert all(isinstance(s["arr_renewing_180d"], float) for s in renewals["summary"])
