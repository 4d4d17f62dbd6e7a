"""The embedded event store: de-duplication, memberships and what queries see."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb

from tenure.usage.events import micros, records_to_table
from tenure.usage.log import LogWriter, frame
from tenure.usage.store import EventStore

RECEIVED = micros(datetime(2026, 11, 23, tzinfo=UTC))


def rec(message_id, day, kind="track", user="u1", account=None, hour=10):
    return {
        "message_id": message_id,
        "type": kind,
        "event": None if kind == "group" else "Signed In",
        "user_id": user,
        "anonymous_id": None,
        "account_external_id": account,
        "timestamp": micros(datetime(2026, 11, day, hour, tzinfo=UTC)),
        "properties": None,
        "received_at": RECEIVED,
    }


def stored_ids(store):
    files = store.events.files()
    if not files:
        return []
    with duckdb.connect() as con:
        rows = con.sql("SELECT message_id FROM read_parquet(?) ORDER BY 1", params=[files])
        return [r[0] for r in rows.fetchall()]


def test_each_message_id_is_stored_once(tmp_path):
    store = EventStore(tmp_path)
    first = store.add(records_to_table([rec("a", 1), rec("b", 2), rec("a", 1)]), True)
    assert (first.received, first.stored, first.days) == (
        3,
        2,
        (date(2026, 11, 1), date(2026, 11, 2)),
    )
    # Replayed the same day, and replayed with a new timestamp (a client that let the server
    # stamp it): neither is stored again.
    again = store.add(records_to_table([rec("a", 1), rec("b", 20), rec("c", 3)]), True)
    assert (again.stored, again.days) == (1, (date(2026, 11, 3),))
    assert stored_ids(store) == ["a", "b", "c"]
    assert sorted(store.dirty()[0]) == [date(2026, 11, d) for d in (1, 2, 3)]


def test_memberships_keep_each_users_latest_group_call(tmp_path):
    store = EventStore(tmp_path)
    store.add(records_to_table([rec("g1", 5, "group", "u1", "acme")]), True)
    store.add(
        records_to_table(
            [rec("g0", 1, "group", "u1", "beta"), rec("g2", 6, "group", "u2", "beta")]
        ),
        True,
    )
    rows = sorted(
        store.read_memberships().select(["user_id", "account_external_id"]).to_pylist(), key=str
    )
    assert rows == [
        {"user_id": "u1", "account_external_id": "acme"},
        {"user_id": "u2", "account_external_id": "beta"},
    ]
    store.add(records_to_table([rec("g3", 7, "group", "u1", "beta")]), True)
    latest = dict(
        zip(
            *store.read_memberships()
            .select(["user_id", "account_external_id"])
            .to_pydict()
            .values(),
            strict=True,
        )
    )
    assert latest == {"u1": "beta", "u2": "beta"}


def test_days_of_users_without_an_account_are_remembered(tmp_path):
    store = EventStore(tmp_path)
    store.add(
        records_to_table([rec("a", 1, user="x"), rec("b", 4, user="x", account="acme")]), True
    )
    assert store.days_of_users(["x"]) == [date(2026, 11, 1)]
    assert store.days_of_users(["nobody"]) == []


def test_pending_log_events_are_seen_once_until_loaded(tmp_path):
    store = EventStore(tmp_path)
    store.add(records_to_table([rec("a", 1)]), True)
    writer = LogWriter(store.log_folder)
    writer.append(frame([rec("a", 1), rec("b", 2)]))
    writer.append(frame([rec("b", 2), rec("c", 2)]))  # a replay still in the log
    assert sorted(store.pending()["message_id"].to_pylist()) == ["b", "c"]
    writer.rotate()
    loaded = store.load_log()
    assert loaded is not None
    assert (loaded.received, loaded.stored) == (4, 2)
    assert store.pending().num_rows == 0
    assert stored_ids(store) == ["a", "b", "c"]
    assert list(store.log_folder.glob("*.seg")) == []
