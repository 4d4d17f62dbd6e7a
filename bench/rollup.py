"""Daily rollup: events, distinct users and distinct features per account per day.

Tenure's embedded fast path (tenure.usage.rollup: NumPy over Parquet dictionary codes, one
day file at a time) against a straightforward vectorised pandas version (groupby + nunique),
with plain DuckDB SQL beside them, all reading the same events files of Tenure's store.
Each contender runs in its own process so its peak memory is its own. pandas cannot hold
10^8 rows of strings in 4 GB, so it runs on the first days only and the comparison is per
event. Also reports the fast path against the machine's memory-scan floor (the bytes of the
columns it reads, uncompressed, over the measured memory bandwidth).

    .venv/bin/python bench/rollup.py [--events 20000000] [--pandas-events 5000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tenure.usage.catalogue import Measure
from tenure.usage.events import EVENT_SCHEMA
from tenure.usage.rollup import day_partials, day_rollup, read_day
from tenure.usage.store import EventStore

OUT = Path(__file__).resolve().parent / "out" / "rollup"
START = date(2025, 1, 1)
FEATURES = [f"feature_{n:02d}" for n in range(12)]
ACTIVITY = ("page", "screen", "track")
MEASURES = [
    Measure("count", ACTIVITY, None),
    Measure("users", ACTIVITY, None),
    Measure("values", ("track",), ("Feature Used",), "feature"),
]


def generate(events: int, accounts: int, days: int, users: int, seed: int = 7) -> EventStore:
    """A year of events in Tenure's store layout: one Parquet file per UTC day."""
    stamp = OUT / f"{events}-{accounts}-{days}-{users}.done"
    store = EventStore(OUT / "warehouse")
    if stamp.exists():
        return store
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    per_day = rng.multinomial(events, np.full(days, 1 / days))
    properties = pa.array([f'{{"feature":"{f}"}}' for f in FEATURES] + [None])
    started = time.perf_counter()
    for day, count in enumerate(per_day):
        account = rng.integers(0, accounts, count)
        user = account * users + rng.zipf(1.6, count).clip(1, users) - 1
        feature_used = rng.random(count) < 0.65
        feature = np.where(feature_used, rng.integers(0, len(FEATURES), count), len(FEATURES))
        first = np.datetime64(START + timedelta(days=day), "us").astype(np.int64)
        seconds = np.sort(rng.integers(0, 86_400_000_000, count))
        ids = pc.binary_join_element_wise(
            pa.array([f"d{day}"] * count), pa.array(np.arange(count).astype(str)), "-"
        )
        table = pa.table(
            {
                "message_id": ids,
                "type": pa.array(["track"] * count),
                "event": pa.array(np.where(feature_used, "Feature Used", "Signed In")),
                "user_id": pc.binary_join_element_wise(
                    pa.array(["user"] * count), pa.array(user.astype(str)), "-"
                ),
                "anonymous_id": pa.nulls(count, pa.string()),
                "account_external_id": pc.binary_join_element_wise(
                    pa.array(["acct"] * count), pa.array(account.astype(str)), "-"
                ),
                "timestamp": pa.array(first + seconds).cast(pa.timestamp("us", tz="UTC")),
                "properties": properties.take(pa.array(feature)),
            },
            schema=EVENT_SCHEMA,
        )
        store.events.upsert(table)
        if day % 30 == 0:
            print(f"  generated day {day}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    stamp.touch()
    return store


def day_files(store: EventStore, limit_events: int | None = None) -> list[tuple[date, str]]:
    files = []
    total = 0
    for day in store.event_days():
        path = store.event_files([day])[0]
        files.append((day, path))
        total += pq.ParquetFile(path).metadata.num_rows
        if limit_events is not None and total >= limit_events:
            break
    return files


def rows_of(files: list[tuple[date, str]]) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for _d, p in files)


# -- contenders (each runs in a child process) ---------------------------------------------
def run_fast(files: list[tuple[date, str]]) -> pa.Table:
    """Tenure's daily rollup (tenure.usage.rollup.day_rollup), one day file at a time."""
    links = pa.table(
        {"user_id": pa.array([], pa.string()), "account_external_id": pa.array([], pa.string())}
    )
    return pa.concat_tables(
        [
            day_rollup(read_day([path], with_properties=True), day, links, MEASURES[0], MEASURES[2])
            for day, path in files
        ]
    )


def run_partials(files: list[tuple[date, str]]) -> pa.Table:
    """What `tenure metrics compute` stores for these measures: the fast path's partial rows,
    user keys and feature names included (the figures then come from counting rows)."""
    links = pa.table(
        {"user_id": pa.array([], pa.string()), "account_external_id": pa.array([], pa.string())}
    )
    out = []
    for day, path in files:
        partials, left = day_partials(read_day([path], with_properties=True), day, MEASURES, links)
        assert not left
        kinds = pc.utf8_slice_codeunits(partials["measure"], 0, 4)
        figures = [
            partials.filter(pc.equal(kinds, prefix))
            .group_by(["account_external_id", "day"])
            .aggregate([(column, how)])
            .rename_columns(["account_external_id", "day", name])
            for prefix, column, how, name in (
                ("coun", "value", "sum", "events"),
                ("user", "key", "count", "users"),
                ("valu", "key", "count", "features"),
            )
        ]
        out.append(
            figures[0]
            .join(figures[1], ["account_external_id", "day"])
            .join(figures[2], ["account_external_id", "day"], join_type="left outer")
        )
    return pa.concat_tables(out)


def run_pandas(files: list[tuple[date, str]]) -> pa.Table:
    import pandas as pd

    frame = pd.concat(
        [
            pd.read_parquet(
                path,
                columns=[
                    "type",
                    "event",
                    "user_id",
                    "anonymous_id",
                    "account_external_id",
                    "timestamp",
                    "properties",
                ],
            )
            for _d, path in files
        ],
        ignore_index=True,
    )
    frame["day"] = frame["timestamp"].dt.date
    frame["user_key"] = frame["user_id"].fillna(frame["anonymous_id"])
    frame["feature"] = (
        frame["properties"]
        .str.extract(r'"feature":"([^"]*)"')[0]
        .where(frame["event"] == "Feature Used")
    )
    activity = frame[frame["type"].isin(ACTIVITY)]
    result = activity.groupby(["account_external_id", "day"]).agg(
        events=("user_key", "size"), users=("user_key", "nunique"), features=("feature", "nunique")
    )
    return pa.Table.from_pandas(result.reset_index(), preserve_index=False)


def run_duckdb(files: list[tuple[date, str]]) -> pa.Table:
    import duckdb

    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        return con.sql(
            'SELECT account_external_id, "timestamp"::DATE AS day, count(*) AS events, '
            "count(DISTINCT coalesce(user_id, anonymous_id)) AS users, "
            "count(DISTINCT json_extract_string(properties, '$.feature')) "
            "FILTER (WHERE event = 'Feature Used') AS features "
            "FROM read_parquet(?) WHERE type IN ('page', 'screen', 'track') GROUP BY ALL",
            params=[[p for _d, p in files]],
        ).to_arrow_table()


CONTENDERS = {
    "fast": run_fast,
    "partials": run_partials,
    "pandas": run_pandas,
    "duckdb": run_duckdb,
}


def child(name: str, limit: int | None, result_path: Path) -> None:
    store = EventStore(OUT / "warehouse")
    files = day_files(store, limit)
    started = time.perf_counter()
    table = CONTENDERS[name](files)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    normal = pa.table(
        {
            "account_external_id": table["account_external_id"].cast(pa.string()),
            "day": table["day"].cast(pa.date32()),
            "events": table["events"].cast(pa.int64()),
            "users": table["users"].cast(pa.int64()),
            "features": pc.fill_null(table["features"], 0).cast(pa.int64()),
        }
    ).sort_by([("account_external_id", "ascending"), ("day", "ascending")])
    pq.write_table(normal, result_path)
    print(
        json.dumps(
            {"seconds": seconds, "peak": peak, "events": rows_of(files), "groups": normal.num_rows}
        )
    )


def measure(name: str, limit: int | None) -> dict[str, float]:
    result = OUT / f"result-{name}-{limit}.parquet"
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            name,
            "--limit",
            str(limit or 0),
            "--result",
            str(result),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    figures = json.loads(output.stdout.strip().splitlines()[-1])
    figures["result"] = str(result)
    return figures


def bandwidth() -> float:
    """Bytes per second a sequential read of memory reaches here (best of 5)."""
    data = np.ones(64 * 1024 * 1024, np.int64)  # 512 MB
    best = min(_timed(data.sum) for _ in range(5))
    return data.nbytes / best


def _timed(function: object) -> float:
    started = time.perf_counter()
    function()  # type: ignore[operator]
    return time.perf_counter() - started


def uncompressed_bytes(files: list[tuple[date, str]], columns: list[str]) -> int:
    total = 0
    for _d, path in files:
        meta = pq.ParquetFile(path).metadata
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            for c in range(group.num_columns):
                if group.column(c).path_in_schema in columns:
                    total += group.column(c).total_uncompressed_size
    return total


def same(a: str, b: str, days: set[date] | None = None) -> bool:
    left, right = pq.read_table(a), pq.read_table(b)
    if days is not None:
        keep = pa.array(sorted(days), pa.date32())
        left = left.filter(pc.is_in(left["day"], keep))
        right = right.filter(pc.is_in(right["day"], keep))
    return left.equals(right)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--pandas-events", type=int, default=5_000_000)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--users", type=int, default=60, help="users per account")
    parser.add_argument("--child")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--result")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.limit or None, Path(args.result))
        return
    print(f"generating {args.events:,} events ({args.accounts} accounts x {args.days} days)...")
    store = generate(args.events, args.accounts, args.days, args.users)
    files = day_files(store)
    fast = measure("fast", None)
    stored = measure("partials", None)
    duck = measure("duckdb", None)
    fast_small = measure("fast", args.pandas_events)
    pandas = measure("pandas", args.pandas_events)
    small_days = {d for d, _p in day_files(store, args.pandas_events)}
    assert same(fast["result"], duck["result"]), "fast path and DuckDB disagree"
    assert same(fast["result"], stored["result"]), "rollup and partial rows disagree"
    assert same(fast_small["result"], pandas["result"], small_days), "fast path and pandas disagree"
    rate = {
        name: f["events"] / f["seconds"]
        for name, f in {
            "fast": fast,
            "partials": stored,
            "duckdb": duck,
            "fast_small": fast_small,
            "pandas": pandas,
        }.items()
    }
    read = uncompressed_bytes(
        files, ["type", "event", "user_id", "anonymous_id", "account_external_id", "properties"]
    )
    speed = bandwidth()
    floor = read / speed
    print(f"\n{fast['events']:,} events, {fast['groups']:,} account-days; results identical")
    print(f"{'':22}{'seconds':>10}{'events/s':>14}{'peak MB':>10}")
    for label, f, r in (
        ("Tenure fast path", fast, rate["fast"]),
        ("  as stored partials", stored, rate["partials"]),
        ("plain DuckDB SQL", duck, rate["duckdb"]),
        (f"fast path, {fast_small['events']:,}", fast_small, rate["fast_small"]),
        (f"pandas, {pandas['events']:,}", pandas, rate["pandas"]),
    ):
        print(f"{label:22}{f['seconds']:>10.2f}{r:>14,.0f}{f['peak'] / 1e6:>10.0f}")
    print(
        f"\nfast path vs pandas, per event: {rate['fast'] / rate['pandas']:.1f}x "
        f"(same rows: {rate['fast_small'] / rate['pandas']:.1f}x)"
    )
    print(
        f"fast path vs plain DuckDB SQL: {rate['fast'] / rate['duckdb']:.1f}x; "
        f"DuckDB vs pandas: {rate['duckdb'] / rate['pandas']:.1f}x"
    )
    print(
        f"memory-scan floor: {read / 1e9:.2f} GB of columns (uncompressed) at "
        f"{speed / 1e9:.1f} GB/s = {floor:.2f} s; fast path = {fast['seconds'] / floor:.0f}x "
        "the floor"
    )
    per_1e8 = fast["seconds"] * 1e8 / fast["events"]
    print(
        f"extrapolated to 10^8 events: fast path {per_1e8:.0f} s, pandas "
        f"{1e8 / rate['pandas']:.0f} s (if memory allowed)"
    )


if __name__ == "__main__":
    main()
