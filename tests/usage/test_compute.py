"""The Ibis definitions of the metric catalogue against a plain Python reference."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import ibis
import pytest

from tenure.usage import compute
from tenure.usage.catalogue import load_catalogue, parse_catalogue
from tenure.usage.events import loose
from tests.usage.synthetic import as_dict, assert_same, product, reference_metrics

START = date(2026, 1, 1)

EXTRA = """
[[metrics]]
name = "n_sum_14d"
aggregation = "sum"
property = "n"
window_days = 14

[[metrics]]
name = "active_days_10d"
aggregation = "active_days"
window_days = 10
scale_by_tenure = true

[[metrics]]
name = "users_change_2w"
aggregation = "change"
metric = "active_users_7d"
weeks = 2

[[metrics]]
name = "active_users_7d"
aggregation = "distinct_users"
window_days = 7
types = ["track", "page", "screen", "identify"]

[[metrics]]
name = "short_sessions_7d"
aggregation = "sessions"
window_days = 7
session_gap_minutes = 5

[[metrics]]
name = "page_views_3d"
aggregation = "count"
types = ["page"]
window_days = 3
"""


def metrics(data, catalogue, days):
    con = ibis.duckdb.connect()
    events = ibis.memtable(loose(data.events_table()))
    links = compute.user_links(
        compute.group_memberships(events), ibis.memtable(data.contacts_table())
    )
    partials = compute.partials(compute.attribute(events, links), catalogue.measures(), "duckdb")
    expr = compute.metric_values(
        partials, days, ibis.memtable(data.accounts_table()), catalogue, "duckdb"
    )
    return as_dict(con.to_pyarrow(expr))


@pytest.mark.parametrize("seed", [1, 2])
def test_default_catalogue_matches_the_reference(seed):
    data = product(seed, START, days=120)
    catalogue = load_catalogue()
    days = [START + timedelta(days=n) for n in (0, 13, 59, 60, 61, 119)]
    assert_same(metrics(data, catalogue, days), reference_metrics(data, catalogue, days))


def test_other_aggregations_match_the_reference():
    data = product(3, START, days=60, per_day=40)
    catalogue = parse_catalogue(EXTRA, "extra.toml")
    days = [START + timedelta(days=n) for n in (0, 5, 20, 45, 59, 70)]
    assert_same(metrics(data, catalogue, days), reference_metrics(data, catalogue, days))


def test_events_before_a_group_call_count_for_the_account_it_names():
    data = product(4, START, days=5, per_day=0)
    when = datetime(2026, 1, 2, 10, tzinfo=UTC)
    data.events = [
        {
            "message_id": "1",
            "type": "track",
            "event": "Signed In",
            "user_id": "new",
            "anonymous_id": None,
            "account_external_id": None,
            "timestamp": when,
            "properties": None,
        },
        {
            "message_id": "2",
            "type": "group",
            "event": None,
            "user_id": "new",
            "anonymous_id": None,
            "account_external_id": "delta",
            "properties": None,
            "timestamp": when + timedelta(days=2),
        },
    ]
    got = metrics(data, load_catalogue(), [date(2026, 1, 2)])
    assert got[("delta", "logins_28d", date(2026, 1, 2))] == 1.0
    assert got[("acme", "logins_28d", date(2026, 1, 2))] == 0.0
