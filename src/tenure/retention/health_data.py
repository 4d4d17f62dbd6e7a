"""Reading stored health snapshots for retention: bands for the renewal forecast, scores and
components as churn-model features, and the history the health-score backtest judges.

Snapshots are written by the health domain (`tenure health compute`) into the warehouse;
retention only reads them, in one query per call rather than one per account or day.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

import pandas as pd  # type: ignore[import-untyped]

from tenure.health.service import snapshot_store
from tenure.retention.backtest import SnapshotRecord
from tenure.retention.renewals import BandAt
from tenure.warehouse import Warehouse
from tenure.warehouse.reader import reader


def _files(warehouse: Warehouse, start: date | None, end: date | None) -> list[str]:
    table = snapshot_store(warehouse).table
    wanted = [
        p
        for p in table.partitions()
        if (start is None or p >= start.strftime("%Y-%m"))
        and (end is None or p <= end.strftime("%Y-%m"))
    ]
    return table.files(wanted)


def has_snapshots(warehouse: Warehouse) -> bool:
    return bool(snapshot_store(warehouse).table.partitions())


def snapshot_records(
    warehouse: Warehouse, start: date | None = None, end: date | None = None
) -> list[SnapshotRecord]:
    """Every snapshot dated start..end: account, day, exact score, band and the score and
    configured weight of each component."""
    files = _files(warehouse, start, end)
    if not files:
        return []
    table = (
        reader()
        .sql(
            "SELECT account_external_id, date, health_exact, band, components "
            "FROM read_parquet(?, hive_partitioning = false) "
            "WHERE (? IS NULL OR date >= ?) AND (? IS NULL OR date <= ?) "
            "ORDER BY account_external_id, date",
            params=[files, start, start, end, end],
        )
        .to_arrow_table()
    )
    # Column by column through Arrow: turning each row's list of component structs into
    # Python (`fetchall`) took most of the health backtest's first load.
    lists = table.column("components").combine_chunks()
    offsets = lists.offsets.to_pylist()
    parts = lists.values
    keys = parts.field("key").to_pylist()
    scores = parts.field("score").to_pylist()
    weights = parts.field("weight").to_pylist()
    columns = (table.column(c).to_pylist() for c in ("account_external_id", "date", "health_exact"))
    records = []
    for i, (account, day, score, band) in enumerate(
        zip(*columns, table.column("band").to_pylist(), strict=True)
    ):
        first, last = offsets[i], offsets[i + 1]
        records.append(
            SnapshotRecord(
                account=account,
                day=day,
                score=score,
                band=band,
                components=dict(zip(keys[first:last], scores[first:last], strict=True)),
                weights=dict(zip(keys[first:last], weights[first:last], strict=True)),
            )
        )
    return records


def band_lookup(warehouse: Warehouse, start: date, end: date) -> BandAt | None:
    """Each account's band on a day: that of its latest snapshot on or before the day
    (within start..end); None when there are no snapshots at all."""
    if not has_snapshots(warehouse):
        return None
    days: dict[str, list[date]] = defaultdict(list)
    bands: dict[str, list[str | None]] = defaultdict(list)
    files = _files(warehouse, start, end)
    if files:
        # Only the three columns a band needs: decoding every snapshot's components (as
        # `snapshot_records` does) took most of the renewals page's time.
        con = reader()
        rows = con.sql(
            "SELECT account_external_id, date, band "
            "FROM read_parquet(?, hive_partitioning = false) "
            "WHERE date >= ? AND date <= ? ORDER BY account_external_id, date",
            params=[files, start, end],
        ).fetchall()
        for account, day, band_name in rows:
            days[account].append(day)
            bands[account].append(band_name)

    def band(account: str, day: date) -> str | None:
        index = bisect.bisect_right(days.get(account, []), day) - 1
        return bands[account][index] if index >= 0 else None

    return band


def health_rows(warehouse: Warehouse, dates: Sequence[date], window_days: int) -> pd.DataFrame:
    """account, date, component, value: the exact score ("score") and each component's score
    of each account's latest snapshot within the window before each of `dates` (the only
    snapshots the churn features can pick)."""
    columns = ["account", "date", "component", "value"]
    days = sorted(set(dates))
    files = (
        _files(warehouse, date.fromordinal(days[0].toordinal() - window_days), days[-1])
        if days
        else []
    )
    if not files:
        return pd.DataFrame(columns=columns)
    con = reader()
    found = con.sql(
        "WITH days AS (SELECT unnest(?::DATE[]) AS d) "
        "SELECT DISTINCT account_external_id, date, health_exact, components FROM ("
        "  SELECT s.*, days.d FROM read_parquet(?, hive_partitioning = false) s "
        "  JOIN days ON s.date <= days.d AND s.date > days.d - to_days(?) "
        "  QUALIFY row_number() OVER "
        "    (PARTITION BY s.account_external_id, days.d ORDER BY s.date DESC) = 1)",
        params=[days, files, window_days],
    ).fetchall()
    rows = []
    for account, day, score, components in found:
        rows.append((account, day, "score", score))
        rows.extend((account, day, c["key"], c["score"]) for c in components or [])
    return pd.DataFrame(rows, columns=columns)
