"""Snapshots: one per account per day in the warehouse, reproducible, versioned, and the
latest kept in the app database; the shipped default scorecard."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tenure.health.service import snapshot_store
from tenure.health.snapshots import snapshots
from tenure.models import Account, AccountHealth
from tenure.warehouse import Warehouse
from tests.conftest import contracts

SCORECARD = """\
name = "enterprise"
[[components]]
key = "product"
weight = 0.5
  [[components.measures]]
  metric = "logins_per_user_28d"
  method = "linear"
  floor = 0
  target = 20
[[components]]
key = "reach"
weight = 0.5
  [[components.measures]]
  metric = "active_users_28d"
  method = "percentile"
"""


@pytest.fixture
def loaded(initialised, files):
    accounts = [
        {"external_id": f"a{i}", "name": f"Account {i}", "tier": "paid", "segment": seg}
        for i, seg in enumerate(["big", "big", "big", "small", "small"])
    ]
    initialised("import", "accounts", str(files.csv("accounts.csv", accounts)))
    initialised("import", "contracts", str(files.csv("contracts.csv", contracts(accounts))))
    metrics = []
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        for i, (logins, users) in enumerate([(10, 100), (20, 300), (5, 200), (2, 5), (8, 9)]):
            bump = 2 if day == "2026-11-03" and i == 0 else 0
            metrics += [
                {
                    "account_external_id": f"a{i}",
                    "metric": "logins_per_user_28d",
                    "date": day,
                    "value": logins + bump,
                },
                {
                    "account_external_id": f"a{i}",
                    "metric": "active_users_28d",
                    "date": day,
                    "value": users,
                },
            ]
    initialised("import", "metrics", str(files.csv("metrics.csv", metrics)))
    initialised("scorecard", "load", str(files.text("card.toml", SCORECARD)))
    return initialised


def store(settings):
    return snapshot_store(Warehouse(settings))


def test_a_backfill_stores_one_snapshot_per_account_per_day(loaded, settings):
    result = loaded(
        "health", "compute", "--from", "2026-11-01", "--to", "2026-11-03", "--format", "json"
    )
    assert result.json() == [
        {
            "from": "2026-11-01",
            "to": "2026-11-03",
            "days": 3,
            "snapshots": 15,
            "red": 3,
            "amber": 1,
            "green": 1,
            "no_score": 0,
        }
    ]
    day = snapshots(store(settings).on_day(date(2026, 11, 2)))
    assert [s.account_external_id for s in day] == ["a0", "a1", "a2", "a3", "a4"]
    a0 = day[0]
    assert (a0.scorecard, a0.scorecard_version) == ("enterprise", 2)
    measures = {m.metric: m for m in a0.measures}
    # Percentile ranks within the segment: a0 has the fewest users of the three big ones.
    assert measures["active_users_28d"].value == 100
    assert measures["active_users_28d"].score == 0
    assert measures["logins_per_user_28d"].score == 50
    assert a0.health_exact == 25
    assert {m.metric: m.score for m in day[4].measures}["active_users_28d"] == 100
    assert sum(c.contribution for c in a0.components) == pytest.approx(a0.health_exact)


def test_recomputing_a_day_gives_the_same_numbers(loaded, settings):
    loaded("health", "compute", "--as-of", "2026-11-02")
    table = store(settings).table
    first = store(settings).on_day(date(2026, 11, 2))
    version = table.manifest().version
    loaded("health", "compute", "--as-of", "2026-11-02")
    again = store(settings).on_day(date(2026, 11, 2))
    assert again.equals(first)
    assert table.manifest().version == version  # identical rows write nothing


def test_a_new_scorecard_version_leaves_old_snapshots_alone(loaded, settings, files):
    loaded("health", "compute", "--as-of", "2026-11-02")
    changed = SCORECARD.replace("target = 20", "target = 10")
    loaded("scorecard", "load", str(files.text("card.toml", changed)))
    loaded("health", "compute", "--as-of", "2026-11-03")
    old = snapshots(store(settings).on_day(date(2026, 11, 2)))[0]
    new = snapshots(store(settings).on_day(date(2026, 11, 3)))[0]
    assert (old.scorecard_version, new.scorecard_version) == (2, 3)
    assert old.measure("product", "logins_per_user_28d").score == 50
    assert new.measure("product", "logins_per_user_28d").score == 100  # 12 of 10
    why = loaded("health", "why", "a0", "--as-of", "2026-11-03", "--format", "json").json()
    assert why["health"][0]["why"] == (
        "50, red: weakest reach 0 (red): active users 28d 100 scores 0. What moved: "
        "up 25 since 2026-11-02: product 50 -> 100, logins per user 28d up 20% (10 -> 12), "
        "scorecard enterprise v2 -> enterprise v3"
    )


def test_the_latest_health_is_kept_for_fast_pages(loaded, session):
    loaded("health", "compute", "--as-of", "2026-11-02")  # first stored
    loaded("health", "compute", "--from", "2026-11-01", "--to", "2026-11-03")  # updated
    loaded("health", "compute", "--as-of", "2026-11-01")  # an older day changes nothing here
    rows = {
        external_id: health
        for health, external_id in session.execute(
            select(AccountHealth, Account.external_id).join(Account)
        )
    }
    a0 = rows["a0"]
    assert (a0.date.isoformat(), a0.health, a0.band) == ("2026-11-03", 30, "red")
    assert a0.components == {"product": 60, "reach": 0}
    assert a0.scorecard is not None
    assert a0.scorecard.version == 2


def test_the_shipped_scorecard_scores_until_usage_metrics_exist(initialised, files):
    accounts = [{"external_id": "x", "name": "X", "tier": "paid"}]
    initialised("import", "accounts", str(files.csv("a.csv", accounts)))
    initialised("import", "contracts", str(files.csv("k.csv", contracts(accounts))))
    contacts = [
        {
            "external_id": "c1",
            "account_external_id": "x",
            "name": "Boss",
            "seniority": "vp",
            "is_sponsor": "true",
        }
    ]
    initialised("import", "contacts", str(files.csv("c.csv", contacts)))
    record = initialised("health", "--as-of", "2026-11-20", "--format", "json").json()[0]
    assert record["components"] == {
        "product": None,  # no usage metrics yet: "no data"
        "satisfaction": None,
        "support": None,
        "sponsorship": 80,
    }
    assert (record["health"], record["band"]) == (80, "green")
    listed = initialised("scorecard", "list", "--format", "json").json()
    assert [(s["name"], s["version"], s["current"]) for s in listed] == [("enterprise", 1, True)]
    table = initialised("health", "--as-of", "2026-11-20").stdout
    assert "no data" in table


def test_compute_refuses_mixed_options(loaded):
    refused = loaded("health", "compute", "--as-of", "2026-11-02", "--from", "2026-11-01", ok=False)
    assert refused.code == 1
    assert "either --as-of or --from/--to" in refused.stderr
    backwards = loaded("health", "compute", "--from", "2026-11-03", "--to", "2026-11-01", ok=False)
    assert "--to 2026-11-01 is before --from 2026-11-03" in backwards.stderr
    bad = loaded("health", "--as-of", "2026-13-01", ok=False)
    assert "--as-of: '2026-13-01': not a date" in bad.stderr
