"""The embedded fast path gives exactly the partials of the Ibis definitions."""

from __future__ import annotations

from datetime import date

import duckdb
import ibis
import pyarrow as pa
import pytest

from tenure.config import Settings
from tenure.usage import compute
from tenure.usage.catalogue import load_catalogue, parse_catalogue
from tenure.usage.events import loose
from tenure.usage.rollup import day_rollup, read_day
from tenure.usage.service import rebuild_partials
from tenure.usage.sources import CONTACTS_SCHEMA
from tenure.usage.store import EventStore
from tenure.warehouse import Warehouse
from tests.usage.synthetic import product
from tests.usage.test_incremental import log_records

START = date(2026, 1, 1)
STRINGS_ONLY = """
[[metrics]]
name = "features_7d"
aggregation = "distinct_values"
property = "feature"
window_days = 7

[[metrics]]
name = "users_7d"
aggregation = "distinct_users"
window_days = 7
types = ["track", "identify", "group", "page", "screen"]

[[metrics]]
name = "clicks_7d"
aggregation = "count"
events = ["Link Clicked", "Other"]
window_days = 7
"""


def partial_rows(store: EventStore) -> list[tuple]:
    files = store.partials.files()
    with duckdb.connect() as con:
        return con.sql(
            "SELECT measure, account_external_id, day, key, value FROM read_parquet(?, "
            "hive_partitioning = false) ORDER BY ALL",
            params=[files],
        ).fetchall()


@pytest.mark.parametrize(("seed", "text"), [(1, None), (2, STRINGS_ONLY), (3, STRINGS_ONLY)])
def test_fast_partials_equal_the_ibis_partials(tmp_path, seed, text):
    data = product(seed, START, days=20, per_day=60)
    # Ids that are a user id for one event and an anonymous id for another are one key.
    data.events[0]["anonymous_id"] = data.events[1]["user_id"] or "u1"
    data.events[0]["user_id"] = None
    catalogue = load_catalogue() if text is None else parse_catalogue(text, "test.toml")
    links = pa.Table.from_pylist(data.contacts, schema=CONTACTS_SCHEMA)
    days = sorted({e["timestamp"].date() for e in data.events})
    rows = {}
    for fast in (True, False):
        warehouse = Warehouse(Settings(data_dir=tmp_path / str(fast)))
        store = EventStore(warehouse.root)
        store.add(log_records(data.events), remember_ids=False)
        rebuild_partials(store, warehouse, days, links, catalogue, fast=fast)
        rows[fast] = partial_rows(store)
    assert len(rows[True]) > 200
    assert rows[True] == rows[False]


def test_the_daily_rollup_equals_its_ibis_definition(tmp_path):
    data = product(4, START, days=15, per_day=80)
    catalogue = load_catalogue()
    activity = catalogue.get("events_28d").measure
    features = catalogue.get("features_used_28d").measure
    links = pa.Table.from_pylist(data.contacts, schema=CONTACTS_SCHEMA)
    warehouse = Warehouse(Settings(data_dir=tmp_path))
    store = EventStore(warehouse.root)
    store.add(log_records(data.events), remember_ids=False)
    fast = pa.concat_tables(
        [
            day_rollup(read_day(store.event_files([day]), True), day, links, activity, features)
            for day in store.event_days()
        ]
    )
    con = ibis.duckdb.connect()
    attributed = compute.attribute(ibis.memtable(loose(data.events_table())), ibis.memtable(links))
    expected = con.to_pyarrow(compute.daily_rollup(attributed, activity, features, "duckdb"))

    def rows(table):
        return sorted(
            tuple(r.values())
            for r in table.select(
                ["account_external_id", "day", "events", "users", "features"]
            ).to_pylist()
        )

    assert len(rows(fast)) > 30
    assert rows(fast) == rows(expected)
