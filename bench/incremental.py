"""Incremental usage metrics: adding one day to a year of history against recomputing all.

A year of events for a few hundred accounts goes into Tenure's store; "recompute all" builds
every day's partials and the whole default catalogue for every day of the year (what
`tenure metrics compute --from --to` does on a fresh store); "one day" then loads the next
day's events and runs `tenure metrics compute --as-of` that day. For reference it also times
that one day computed straight from the raw events (its lookback window, no partials).

    .venv/bin/python bench/incremental.py [--events 3000000] [--accounts 300]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tenure.config import Settings
from tenure.db import Database
from tenure.migrate import upgrade
from tenure.models import Account, Tier
from tenure.usage.catalogue import load_catalogue
from tenure.usage.events import LOG_SCHEMA
from tenure.usage.service import compute_metrics, metrics_from_events
from tenure.usage.sources import accounts_table, contacts_table, read_parquet
from tenure.usage.store import EventStore
from tenure.warehouse import Warehouse

OUT = Path(__file__).resolve().parent / "out" / "incremental"
START = date(2025, 1, 1)
EVENTS = np.array(["Signed In", "Feature Used", "Link Clicked", "Link Created", "Stats Viewed"])
FEATURES = np.array([f'{{"feature":"f{n}"}}' for n in range(12)] + ['{"link_id":"l1"}'])


def day_events(rng: np.random.Generator, day: date, count: int, accounts: int) -> pa.Table:
    account = rng.integers(0, accounts, count)
    user = account * 30 + rng.integers(0, 30, count)
    kind = rng.choice(len(EVENTS), count, p=[0.2, 0.5, 0.2, 0.05, 0.05])
    props = np.where(kind == 1, rng.integers(0, 12, count), 12)
    # Users work in bursts: sessions of a few events minutes apart.
    hour = rng.integers(8, 19, count)
    minute = rng.integers(0, 60, count)
    first = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    micros = int(first.timestamp() * 1e6) + (hour * 3600 + minute * 60) * 1_000_000
    return pa.table(
        {
            "message_id": pa.array([f"{day}-{n}" for n in range(count)]),
            "type": pa.array(["track"] * count),
            "event": pa.array(EVENTS[kind]),
            "user_id": pc.binary_join_element_wise(
                pa.array(["u"] * count), pa.array(user.astype(str)), "-"
            ),
            "anonymous_id": pa.nulls(count, pa.string()),
            "account_external_id": pc.binary_join_element_wise(
                pa.array(["acct"] * count), pa.array(account.astype(str)), "-"
            ),
            "timestamp": pa.array(micros, pa.int64()),
            "properties": pa.array(FEATURES[props]),
            "received_at": pa.array(micros, pa.int64()),
        },
        schema=LOG_SCHEMA,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3_000_000, help="events in the year")
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    shutil.rmtree(OUT, ignore_errors=True)
    settings = Settings(data_dir=OUT)
    database = Database(settings)
    upgrade(database.engine)
    warehouse = Warehouse(settings)
    store = EventStore(warehouse.root)
    rng = np.random.default_rng(3)
    per_day = args.events // args.days
    print(f"loading {args.days} days x {per_day:,} events for {args.accounts} accounts...")
    for n in range(args.days):
        store.add(day_events(rng, START + timedelta(days=n), per_day, args.accounts), False)
    with database.unit_of_work() as session:
        for a in range(args.accounts):
            session.add(
                Account(
                    external_id=f"acct-{a}",
                    name=f"Account {a}",
                    tier=Tier.paid,
                    customer_since=START - timedelta(days=30),
                )
            )
    year = [START + timedelta(days=n) for n in range(args.days)]
    with database.unit_of_work() as session:
        started = time.perf_counter()
        run = compute_metrics(session, warehouse, settings, year)
        everything = time.perf_counter() - started
    print(
        f"recompute all: {len(run.days)} days, {len(run.partial_days)} days of events, "
        f"{run.rows:,} values in {everything:.1f} s"
    )

    new_day = START + timedelta(days=args.days)
    store.add(day_events(rng, new_day, per_day, args.accounts), True)
    with database.unit_of_work() as session:
        started = time.perf_counter()
        run = compute_metrics(session, warehouse, settings, [new_day])
        one_day = time.perf_counter() - started
        accounts, contacts = accounts_table(session), contacts_table(session)
    assert run.partial_days == [new_day]
    assert run.days == [new_day]
    print(f"one more day: {run.rows:,} values in {one_day:.2f} s (1 day of events read)")

    catalogue = load_catalogue()
    lookback = catalogue.lookback_days()
    window = [d for d in [*year, new_day] if d > new_day - timedelta(days=lookback)]
    con = ibis.duckdb.connect()
    started = time.perf_counter()
    direct = metrics_from_events(
        con,
        read_parquet(con, store.event_files(window)),
        [new_day],
        accounts,
        contacts,
        catalogue,
        "duckdb",
    )
    straight = time.perf_counter() - started
    stored = warehouse.metrics.read(start=new_day, end=new_day)
    assert stored.sort_by([("account_external_id", "ascending"), ("metric", "ascending")]).equals(
        direct.sort_by([("account_external_id", "ascending"), ("metric", "ascending")])
    ), "incremental and direct values differ"
    print(
        f"the same day straight from {lookback} days of raw events: {straight:.2f} s (same values)"
    )
    print(f"\nincremental day vs recompute all: {everything / one_day:.0f}x cheaper")
    print(f"incremental day vs that day from raw events: {straight / one_day:.1f}x cheaper")
    database.dispose()


if __name__ == "__main__":
    sys.exit(main())
