"""The metrics series: one value per account per metric per day ("Fighting Churn With Data").

Health, usage and retention all read and write metrics through this one interface.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from tenure.kit.errors import TenureError
from tenure.kit.metric_names import check_metric_name
from tenure.warehouse.tables import PartitionedParquetTable, UpsertResult

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends.duckdb import Backend as DuckDBBackend

METRIC_SCHEMA = pa.schema(
    [
        pa.field("account_external_id", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        pa.field("value", pa.float64()),
    ]
)
COLUMNS = ", ".join(METRIC_SCHEMA.names)
METRIC_KEY = ("account_external_id", "metric", "date")


class MetricStore:
    """Metrics kept as Parquet, partitioned by metric and month, upserted atomically."""

    def __init__(self, root: Path):
        self.table = PartitionedParquetTable(
            root,
            METRIC_SCHEMA,
            key=METRIC_KEY,
            # Partition names are file names: metric names are snake_case, so this is safe.
            partition_sql="metric || '.' || strftime(date, '%Y-%m')",
        )

    def write(self, rows: pa.Table) -> UpsertResult:
        """Upsert rows with the columns of METRIC_SCHEMA, unique by (account, metric, day); a
        key already stored takes the new value. All or nothing."""
        names = set(rows.column("metric").unique().to_pylist()) if rows.num_rows else set()
        for name in names:
            why = check_metric_name(str(name))
            if why:
                raise TenureError(f"metric {name!r}: {why}")
        return self.table.upsert(rows)

    def metric_names(self) -> list[str]:
        return sorted({p.rsplit(".", 1)[0] for p in self.table.partitions()})

    def files(
        self,
        metrics: list[str] | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> list[str]:
        """The files of these metrics (all: None) whose month overlaps [start, end]."""
        if metrics is None and start is None and end is None:
            return self.table.files()
        wanted = None if metrics is None else set(metrics)
        first = start.strftime("%Y-%m") if start is not None else ""
        last = end.strftime("%Y-%m") if end is not None else "9999-99"
        chosen = []
        for partition in self.table.partitions():
            metric, month = partition.rsplit(".", 1)
            if (wanted is None or metric in wanted) and first <= month <= last:
                chosen.append(partition)
        return self.table.files(chosen)

    def to_ibis(self, con: DuckDBBackend, metrics: list[str] | None = None) -> ir.Table:
        """The metrics series as an Ibis table (columns of METRIC_SCHEMA)."""
        import ibis

        files = self.files(metrics)
        if not files:
            return ibis.memtable(METRIC_SCHEMA.empty_table())
        return con.read_parquet(files, hive_partitioning=False).select(*METRIC_SCHEMA.names)

    def read(
        self,
        metrics: list[str] | None = None,
        accounts: list[str] | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> pa.Table:
        """Rows for the given metrics and accounts with start <= date <= end, sorted."""
        from tenure.warehouse import duck

        files = self.files(metrics, start, end)
        if not files:
            # Not `empty_table()`: that imports pandas, half a second a CLI call never needs.
            return pa.Table.from_batches([], schema=METRIC_SCHEMA)
        clauses: list[str] = []
        params: list[object] = []
        if metrics is not None:
            clauses.append("list_contains(?, metric)")
            params.append(metrics)
        if accounts is not None:
            clauses.append("list_contains(?, account_external_id)")
            params.append(accounts)
        if start is not None:
            clauses.append("date >= ?")
            params.append(start)
        if end is not None:
            clauses.append("date <= ?")
            params.append(end)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with duck.connect() as con:
            result = con.sql(
                f"SELECT {COLUMNS} FROM read_parquet(?, hive_partitioning = false) {where} "
                "ORDER BY account_external_id, metric, date",
                params=[files, *params],
            ).to_arrow_table()
        return result.cast(METRIC_SCHEMA)

    def latest(
        self,
        as_of: date,
        window_days: int,
        metrics: list[str] | None = None,
        accounts: list[str] | None = None,
    ) -> pa.Table:
        """Each account's latest value of each metric within (as_of - window_days, as_of]."""
        from tenure.warehouse import duck

        # Only the months the window touches: health reads this for every day it scores.
        first = as_of - timedelta(days=window_days - 1) if window_days > 0 else as_of
        files = self.files(metrics, first, as_of)
        if not files:
            # Not `empty_table()`: that imports pandas, half a second a CLI call never needs.
            return pa.Table.from_batches([], schema=METRIC_SCHEMA)
        with duck.connect() as con:
            result = con.sql(
                "SELECT account_external_id, metric, max(date) AS date, "
                "arg_max(value, date) AS value FROM read_parquet(?, hive_partitioning = false) "
                "WHERE date <= ? AND date > ? - to_days(?) "
                "AND (? IS NULL OR list_contains(?, metric)) "
                "AND (? IS NULL OR list_contains(?, account_external_id)) "
                "GROUP BY ALL ORDER BY account_external_id, metric",
                params=[files, as_of, as_of, window_days, metrics, metrics, accounts, accounts],
            ).to_arrow_table()
        return result.cast(METRIC_SCHEMA)
