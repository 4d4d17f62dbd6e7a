"""Metrics on the embedded store are incremental and still equal a computation from scratch:
a new day reads one day of events; late events and late group calls redo the days they touch."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from tenure.models import Account, Contact, Tier
from tenure.usage.catalogue import load_catalogue
from tenure.usage.events import EVENT_SCHEMA, micros, records_to_table
from tenure.usage.service import compute_metrics, metrics_from_events
from tenure.usage.store import EventStore
from tenure.warehouse import Warehouse
from tests.usage.synthetic import Product, as_dict, assert_same, product

START = date(2026, 3, 1)
DAYS = 70


def log_records(events: list[dict]) -> pa.Table:
    return records_to_table(
        [
            {**e, "timestamp": micros(e["timestamp"]), "received_at": micros(e["timestamp"])}
            for e in events
        ]
    )


def add_entities(session, data: Product) -> None:
    accounts = {}
    for row in data.accounts:
        account = Account(
            external_id=row["account_external_id"],
            name=row["account_external_id"].title(),
            tier=Tier(row["tier"]),
            customer_since=row["customer_since"],
        )
        session.add(account)
        accounts[row["account_external_id"]] = account
    for number, row in enumerate(data.contacts):
        session.add(
            Contact(
                external_id=f"c{number}",
                account=accounts[row["account_external_id"]],
                name=row["user_id"],
                user_id=row["user_id"],
            )
        )
    session.flush()


def from_scratch(data: Product, days: list[date]) -> dict:
    con = ibis.duckdb.connect()
    table = pa.Table.from_pylist(data.events, schema=EVENT_SCHEMA)
    result = metrics_from_events(
        con,
        ibis.memtable(table),
        days,
        data.accounts_table(),
        data.contacts_table(),
        load_catalogue(),
        "duckdb",
    )
    return as_dict(result)


def stored(warehouse: Warehouse, days: list[date]) -> dict:
    table = warehouse.metrics.read(start=min(days), end=max(days))
    mask = pc.is_in(table["date"], pa.array(days, pa.date32()))
    return as_dict(table.filter(mask))


def test_incremental_metrics_equal_a_recomputation(session, settings):
    data = product(21, START, days=DAYS)
    add_entities(session, data)
    warehouse = Warehouse(settings)
    store = EventStore(warehouse.root)
    last = START + timedelta(days=DAYS - 1)
    # History up to the day before `last`, metrics for its last two weeks.
    history = [e for e in data.events if e["timestamp"].date() < last]
    store.add(log_records(history), remember_ids=False)
    backfill = [last - timedelta(days=n) for n in range(1, 15)]
    compute_metrics(session, warehouse, settings, backfill)

    # A new day costs that day's events only.
    today = [e for e in data.events if e["timestamp"].date() == last]
    store.add(log_records(today), remember_ids=True)
    run = compute_metrics(session, warehouse, settings, [last])
    assert run.partial_days == [last]
    assert run.days == [last]
    days = [*backfill, last]
    assert_same(stored(warehouse, days), from_scratch(data, days))

    # A late event, five days back, and a group call that ties a user's earlier anonymous-to-
    # Tenure activity to an account: the days they touch are redone, the others are not.
    late_day = last - timedelta(days=5)
    when = datetime.combine(late_day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=11)
    late = {
        "message_id": "late-1",
        "type": "track",
        "event": "Signed In",
        "user_id": "stranger",
        "anonymous_id": None,
        "account_external_id": None,
        "timestamp": when,
        "properties": None,
    }
    group = {
        **late,
        "message_id": "late-2",
        "type": "group",
        "event": None,
        "account_external_id": "gamma",
        "timestamp": when + timedelta(days=5),
    }
    data.events += [late, group]
    store.add(log_records([late, group]), remember_ids=True)
    run = compute_metrics(session, warehouse, settings, [last])
    assert late_day in run.partial_days
    assert last in run.partial_days
    assert min(run.days) == late_day
    assert last - timedelta(days=6) not in run.days
    assert_same(stored(warehouse, days), from_scratch(data, days))
    assert stored(warehouse, [late_day])[("gamma", "logins_28d", late_day)] >= 1


def test_contacts_imported_later_redo_their_users_days(session, settings):
    data = product(22, START, days=30, per_day=10)
    data.contacts = []
    first = datetime.combine(START, datetime.min.time(), tzinfo=UTC) + timedelta(days=10, hours=9)
    data.events += [
        {
            "message_id": f"newbie-{n}",
            "type": "track",
            "event": "Signed In",
            "user_id": "newbie",
            "anonymous_id": None,
            "account_external_id": None,
            "timestamp": first + timedelta(days=n),
            "properties": None,
        }
        for n in range(3)
    ]
    add_entities(session, data)
    warehouse = Warehouse(settings)
    store = EventStore(warehouse.root)
    store.add(log_records(data.events), remember_ids=False)
    days = [START + timedelta(days=n) for n in (10, 29)]
    compute_metrics(session, warehouse, settings, days)
    assert_same(stored(warehouse, days), from_scratch(data, days))
    account = session.query(Account).filter_by(external_id="delta").one()
    session.add(Contact(external_id="late", account=account, name="N", user_id="newbie"))
    session.flush()
    data.contacts = [{"user_id": "newbie", "account_external_id": "delta"}]
    run = compute_metrics(session, warehouse, settings, [days[-1]])
    assert days[0] in run.days
    assert sorted(run.partial_days) == [START + timedelta(days=n) for n in (10, 11, 12)]
    assert_same(stored(warehouse, days), from_scratch(data, days))
