"""Health snapshots in the warehouse: one row per account per day, with every component and
measure, the scorecard version that scored it, and what each part contributed.

Kept in a PartitionedParquetTable partitioned by month and keyed by account + day, so
recomputing a day replaces that day's rows in one atomic step.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pyarrow as pa

from tenure.health.snapshot_rows import (
    COLUMNS,
    COMPONENT_TYPE,
    MEASURE_TYPE,
    SNAPSHOT_KEY,
    SNAPSHOT_SCHEMA,
    SUMMARY_COLUMNS,
    ComponentPart,
    MeasurePart,
    Snapshot,
    snapshots,
    summaries,
)
from tenure.warehouse import duck
from tenure.warehouse.tables import PartitionedParquetTable, UpsertResult

# The shapes live in snapshot_rows (pure); they stay importable from here.
__all__ = [
    "COLUMNS",
    "COMPONENT_TYPE",
    "MEASURE_TYPE",
    "SNAPSHOT_KEY",
    "SNAPSHOT_SCHEMA",
    "SUMMARY_COLUMNS",
    "ComponentPart",
    "MeasurePart",
    "Snapshot",
    "SnapshotStore",
    "snapshots",
    "summaries",
]


class SnapshotStore:
    """The health snapshots of a warehouse."""

    def __init__(self, root: Path):
        self.table = PartitionedParquetTable(
            root, SNAPSHOT_SCHEMA, key=SNAPSHOT_KEY, partition_sql="strftime(date, '%Y-%m')"
        )

    def write(self, rows: pa.Table) -> UpsertResult:
        """Upsert snapshots (an account's day already stored is replaced). All or nothing."""
        return self.table.upsert(rows)

    def _files(self, until: date | None = None, since: date | None = None) -> list[str]:
        partitions = [
            p
            for p in self.table.partitions()
            if (until is None or p <= until.strftime("%Y-%m"))
            and (since is None or p >= since.strftime("%Y-%m"))
        ]
        return self.table.files(partitions)

    def _query(
        self, files: list[str], sql: str, params: Sequence[object], detail: bool = True
    ) -> pa.Table:
        """Run `sql` over `files`; without `detail` the measures are not read (null)."""
        if not files:
            return SNAPSHOT_SCHEMA.empty_table()
        columns = COLUMNS if detail else SUMMARY_COLUMNS
        with duck.connect() as con:
            result = con.sql(
                sql.replace("{columns}", columns).replace(
                    "{source}", "read_parquet(?, hive_partitioning = false)"
                ),
                params=[files, *params],
            ).to_arrow_table()
        if not detail:
            result = result.append_column(
                "measures", pa.nulls(result.num_rows, SNAPSHOT_SCHEMA.field("measures").type)
            )
        return result.cast(SNAPSHOT_SCHEMA)

    def on_day(
        self, day: date, accounts: Sequence[str] | None = None, detail: bool = True
    ) -> pa.Table:
        return self._query(
            self._files(until=day, since=day),
            "SELECT {columns} FROM {source} WHERE date = ? "
            "AND (? IS NULL OR list_contains(?, account_external_id)) "
            "ORDER BY account_external_id",
            [day, _list(accounts), _list(accounts)],
            detail,
        )

    def accounts_on(self, day: date) -> set[str]:
        """Accounts that have a snapshot on `day`."""
        files = self._files(until=day, since=day)
        if not files:
            return set()
        with duck.connect() as con:
            rows = con.sql(
                "SELECT account_external_id FROM read_parquet(?, hive_partitioning = false) "
                "WHERE date = ?",
                params=[files, day],
            ).fetchall()
        return {r[0] for r in rows}

    def latest(
        self,
        day: date,
        accounts: Sequence[str] | None = None,
        before: bool = False,
        detail: bool = True,
    ) -> pa.Table:
        """Each account's latest snapshot on or before `day` (strictly before with `before`)."""
        op = "<" if before else "<="
        return self._query(
            self._files(until=day),
            f"SELECT {{columns}} FROM {{source}} WHERE date {op} ? "
            "AND (? IS NULL OR list_contains(?, account_external_id)) "
            "QUALIFY row_number() OVER (PARTITION BY account_external_id ORDER BY date DESC) = 1 "
            "ORDER BY account_external_id",
            [day, _list(accounts), _list(accounts)],
            detail,
        )

    def history(self, account: str, start: date | None = None, end: date | None = None) -> pa.Table:
        return self._query(
            self._files(until=end, since=start),
            "SELECT {columns} FROM {source} WHERE account_external_id = ? "
            "AND (? IS NULL OR date >= ?) AND (? IS NULL OR date <= ?) ORDER BY date",
            [account, start, start, end, end],
        )


def _list(accounts: Sequence[str] | None) -> list[str] | None:
    return list(accounts) if accounts is not None else None
