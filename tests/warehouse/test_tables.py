"""The Parquet table behind every time series: atomic upserts, consistent readers."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenure.kit.errors import TenureError
from tenure.warehouse.metrics import MetricStore, metric_schema
from tenure.warehouse.tables import MANIFEST


def rows(items: list[tuple[str, str, date, float | None]]) -> pa.Table:
    schema = metric_schema()
    return pa.Table.from_pylist(
        [dict(zip(schema.names, item, strict=True)) for item in items], schema
    )


def test_upsert_replaces_by_key_and_counts(tmp_path):
    store = MetricStore(tmp_path / "m")
    first = store.write(
        rows([("a", "x", date(2026, 1, 1), 1.0), ("a", "x", date(2026, 2, 1), 2.0)])
    )
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    second = store.write(
        rows([("a", "x", date(2026, 1, 1), 5.0), ("b", "x", date(2026, 1, 1), None)])
    )
    assert (second.created, second.updated, second.unchanged) == (1, 1, 0)
    again = store.write(rows([("a", "x", date(2026, 1, 1), 5.0)]))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert again.version == second.version  # nothing new written
    assert store.read().to_pylist() == [
        {"account_external_id": "a", "metric": "x", "date": date(2026, 1, 1), "value": 5.0},
        {"account_external_id": "a", "metric": "x", "date": date(2026, 2, 1), "value": 2.0},
        {"account_external_id": "b", "metric": "x", "date": date(2026, 1, 1), "value": None},
    ]
    assert store.metric_names() == ["x"]


def test_latest_and_filters(tmp_path):
    store = MetricStore(tmp_path / "m")
    store.write(
        rows(
            [
                ("a", "x", date(2026, 1, 1), 1.0),
                ("a", "x", date(2026, 1, 20), 2.0),
                ("a", "x", date(2026, 2, 5), 3.0),
                ("b", "y", date(2025, 1, 1), 9.0),
            ]
        )
    )
    latest = store.latest(date(2026, 1, 31), window_days=30).to_pylist()
    assert latest == [
        {"account_external_id": "a", "metric": "x", "date": date(2026, 1, 20), "value": 2.0}
    ]
    assert store.read(metrics=["y"]).num_rows == 1
    assert store.read(accounts=["a"], start=date(2026, 1, 2)).num_rows == 2
    assert MetricStore(tmp_path / "empty").latest(date(2026, 1, 1), 30).num_rows == 0


def test_bad_metric_names_are_refused(tmp_path):
    with pytest.raises(TenureError, match="'Bad Name'"):
        MetricStore(tmp_path / "m").write(rows([("a", "Bad Name", date(2026, 1, 1), 1.0)]))


def test_a_writer_that_died_before_its_commit_leaves_the_previous_version(tmp_path):
    store = MetricStore(tmp_path / "m")
    store.write(rows([("a", "x", date(2026, 1, 1), 1.0)]))
    manifest = json.loads((store.table.root / MANIFEST).read_text())
    # A crashed writer leaves a generation folder its manifest never named.
    orphan = store.table.root / "g000002"
    orphan.mkdir()
    (orphan / "junk.parquet").write_bytes(b"half a file")
    assert store.read().num_rows == 1
    store.write(rows([("a", "x", date(2026, 3, 1), 2.0)]))
    assert store.read().num_rows == 2
    assert (
        json.loads((store.table.root / MANIFEST).read_text())["version"] == manifest["version"] + 1
    )
    assert not (orphan / "junk.parquet").exists()


def test_replace_makes_partitions_hold_exactly_the_rows_given(tmp_path):
    store = MetricStore(tmp_path / "m")
    table = store.table
    store.write(
        rows(
            [
                ("a", "x", date(2026, 1, 1), 1.0),
                ("b", "x", date(2026, 1, 2), 2.0),
                ("a", "x", date(2026, 2, 1), 3.0),
                ("a", "x", date(2026, 3, 1), 4.0),
            ]
        )
    )
    before = table.manifest()
    # January recomputed without b; February gone altogether; March untouched.
    version = table.replace(rows([("a", "x", date(2026, 1, 1), 9.0)]), ["x.2026-01", "x.2026-02"])
    assert version == before.version + 1
    assert store.read().to_pylist() == [
        {"account_external_id": "a", "metric": "x", "date": date(2026, 1, 1), "value": 9.0},
        {"account_external_id": "a", "metric": "x", "date": date(2026, 3, 1), "value": 4.0},
    ]
    after = table.manifest()
    assert sorted(after.partitions) == ["x.2026-01", "x.2026-03"]
    assert after.partitions["x.2026-03"] == before.partitions["x.2026-03"]
    # The replaced files stay readable for readers that loaded the old manifest.
    assert {before.partitions["x.2026-01"], before.partitions["x.2026-02"]} <= set(after.retired)
    assert table.replace(rows([]), []) == version  # nothing to replace, nothing written


def test_replace_refuses_rows_outside_its_partitions_and_keeps_the_table(tmp_path):
    store = MetricStore(tmp_path / "m")
    store.write(rows([("a", "x", date(2026, 1, 1), 1.0)]))
    before = store.table.manifest()
    with pytest.raises(ValueError, match=r"x\.2026-05"):
        store.table.replace(
            rows([("a", "x", date(2026, 1, 1), 2.0), ("a", "x", date(2026, 5, 1), 3.0)]),
            ["x.2026-01"],
        )
    assert store.table.manifest() == before
    assert store.read().column("value").to_pylist() == [1.0]
    assert sorted(p.name for p in store.table.root.glob("g*")) == ["g000001"]


keys = st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["x", "y"]), st.integers(0, 90))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.tuples(keys, st.floats(-1e6, 1e6)), max_size=20), max_size=5))
def test_matches_a_dictionary_of_last_writes(tmp_path_factory, batches):
    store = MetricStore(tmp_path_factory.mktemp("m"))
    expected: dict[tuple[str, str, date], float] = {}
    for batch in batches:
        unique = {(a, m, date(2026, 1, 1) + timedelta(days=d)): v for (a, m, d), v in batch}
        store.write(rows([(*k, v) for k, v in unique.items()]))
        expected.update(unique)
    stored = {
        (r["account_external_id"], r["metric"], r["date"]): r["value"]
        for r in store.read().to_pylist()
    }
    assert stored == expected


def test_latest_rows_are_latest_as_records(tmp_path):
    """The PyArrow-free read of one account's latest values gives what `latest` gives."""
    store = MetricStore(tmp_path / "m")
    store.write(
        rows(
            [
                ("a", "x", date(2026, 1, 1), 1.0),
                ("a", "x", date(2026, 1, 20), 2.0),
                ("a", "y", date(2025, 1, 1), 7.0),  # outside the window
                ("b", "x", date(2026, 1, 21), 3.0),
            ]
        )
    )
    day = date(2026, 1, 31)
    found = store.latest_rows(day, 60, ["a"])
    assert found == store.latest(day, 60, accounts=["a"]).to_pylist()
    assert found == [
        {"account_external_id": "a", "metric": "x", "date": date(2026, 1, 20), "value": 2.0}
    ]
    assert MetricStore(tmp_path / "empty").latest_rows(day, 60, ["a"]) == []
