"""The metrics series: one value per account per metric per day ("Fighting Churn With Data").

Health, usage and retention all read and write metrics through this one interface.
"""

from __future__ import annotations

from datetime import date
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tenure.kit.errors import TenureError
from tenure.kit.metric_names import check_metric_name
from tenure.warehouse.tables import PartitionedParquetTable, UpsertResult, current_files

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pyarrow as pa
    from ibis.backends.duckdb import Backend as DuckDBBackend

METRIC_COLUMNS = ("account_external_id", "metric", "date", "value")
COLUMNS = ", ".join(METRIC_COLUMNS)
METRIC_KEY = ("account_external_id", "metric", "date")


@cache
def metric_schema() -> pa.Schema:
    """The metrics series' Arrow schema. Built on first use: PyArrow (with NumPy) costs a
    command such as `tenure accounts show`, which only reads a few values, a tenth of a
    second it need not wait for."""
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("account_external_id", pa.string(), nullable=False),
            pa.field("metric", pa.string(), nullable=False),
            pa.field("date", pa.date32(), nullable=False),
            pa.field("value", pa.float64()),
        ]
    )


def _empty() -> pa.Table:
    import pyarrow as pa

    # Not `empty_table()`: that imports pandas, half a second a CLI call never needs.
    return pa.Table.from_batches([], schema=metric_schema())


class MetricStore:
    """Metrics kept as Parquet, partitioned by metric and month, upserted atomically."""

    def __init__(self, root: Path):
        self.root = root

    @cached_property
    def table(self) -> PartitionedParquetTable:
        return PartitionedParquetTable(
            self.root,
            metric_schema(),
            key=METRIC_KEY,
            # Partition names are file names: metric names are snake_case, so this is safe.
            partition_sql="metric || '.' || strftime(date, '%Y-%m')",
        )

    def write(self, rows: pa.Table) -> UpsertResult:
        """Upsert rows with the columns of `metric_schema()`, unique by (account, metric, day); a
        key already stored takes the new value. All or nothing."""
        names = set(rows.column("metric").unique().to_pylist()) if rows.num_rows else set()
        for name in names:
            why = check_metric_name(str(name))
            if why:
                raise TenureError(f"metric {name!r}: {why}")
        return self.table.upsert(rows)

    def metric_names(self) -> list[str]:
        return sorted({p.rsplit(".", 1)[0] for p in current_files(self.root)})

    def files(
        self, metrics: list[str] | None = None, start: date | None = None, end: date | None = None
    ) -> list[str]:
        """The files of these metrics (None: all), of the months from `start` to `end` (each
        None: unbounded): a partition is one metric's month."""
        current = current_files(self.root)
        wanted = set(metrics) if metrics is not None else None
        first = start.strftime("%Y-%m") if start is not None else None
        last = end.strftime("%Y-%m") if end is not None else None
        chosen = []
        for partition in sorted(current):
            metric, month = partition.rsplit(".", 1)
            if wanted is not None and metric not in wanted:
                continue
            if (first is not None and month < first) or (last is not None and month > last):
                continue
            chosen.append(str(self.root / current[partition]))
        return chosen

    def to_ibis(self, con: DuckDBBackend, metrics: list[str] | None = None) -> ir.Table:
        """The metrics series as an Ibis table (columns of `metric_schema()`)."""
        import ibis

        files = self.files(metrics)
        if not files:
            return ibis.memtable(metric_schema().empty_table())
        return con.read_parquet(files, hive_partitioning=False).select(*METRIC_COLUMNS)

    def read(
        self,
        metrics: list[str] | None = None,
        accounts: list[str] | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> pa.Table:
        """Rows for the given metrics and accounts with start <= date <= end, sorted."""
        from tenure.warehouse.reader import reader

        files = self.files(metrics, start, end)
        if not files:
            return _empty()
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
        con = reader()
        result = con.sql(
            f"SELECT {COLUMNS} FROM read_parquet(?, hive_partitioning = false) {where} "
            "ORDER BY account_external_id, metric, date",
            params=[files, *params],
        ).to_arrow_table()
        return result.cast(metric_schema())

    def latest(
        self,
        as_of: date,
        window_days: int,
        metrics: list[str] | None = None,
        accounts: list[str] | None = None,
    ) -> pa.Table:
        """Each account's latest value of each metric within (as_of - window_days, as_of]."""
        from tenure.warehouse.reader import reader

        # Only the months the window touches: reading every month's files only to filter
        # them out by date made this most of a page's time.
        files = self.files(metrics, _window_start(as_of, window_days), as_of)
        if not files:
            return _empty()
        result = (
            reader()
            .sql(_LATEST, params=_latest_params(files, as_of, window_days, metrics, accounts))
            .to_arrow_table()
        )
        return result.cast(metric_schema())

    def latest_days(
        self, days: list[date], window_days: int
    ) -> dict[date, list[tuple[str, str, float | None]]]:
        """`latest` of every account as of each of these days, in one query, as (account,
        metric, value) rows: a page that compares today with a week ago pays one warehouse
        round trip, not two."""
        from tenure.warehouse.reader import reader

        out: dict[date, list[tuple[str, str, float | None]]] = {day: [] for day in days}
        files = self.files(None, _window_start(min(days), window_days), max(days)) if days else []
        if not files:
            return out
        found = reader().execute(_LATEST_DAYS, [files, sorted(out), window_days]).fetchall()
        for as_of, account, metric, value in found:
            out[as_of].append((account, metric, None if value is None else float(value)))
        return out

    def latest_rows(
        self, as_of: date, window_days: int, accounts: list[str]
    ) -> list[dict[str, Any]]:
        """`latest` for a few accounts as plain records (columns of `metric_schema()`), read
        without PyArrow: what one account's page or `tenure accounts show` lists."""
        from tenure.warehouse.reader import reader

        files = self.files(None, _window_start(as_of, window_days), as_of)
        if not files:
            return []
        found = (
            reader()
            .execute(_LATEST, _latest_params(files, as_of, window_days, None, accounts))
            .fetchall()
        )
        return [dict(zip(METRIC_COLUMNS, row, strict=True)) for row in found]


_LATEST = (
    "SELECT account_external_id, metric, max(date) AS date, "
    "arg_max(value, date) AS value FROM read_parquet(?, hive_partitioning = false) "
    "WHERE date <= ? AND date > ? - to_days(?) "
    "AND (? IS NULL OR list_contains(?, metric)) "
    "AND (? IS NULL OR list_contains(?, account_external_id)) "
    "GROUP BY ALL ORDER BY account_external_id, metric"
)

_LATEST_DAYS = (
    "SELECT d.as_of, account_external_id, metric, "
    "arg_max(value, date) AS value FROM read_parquet(?, hive_partitioning = false) "
    "JOIN (SELECT unnest(?::DATE[]) AS as_of) d "
    "ON date <= d.as_of AND date > d.as_of - to_days(?) "
    "GROUP BY ALL ORDER BY d.as_of, account_external_id, metric"
)


def _window_start(as_of: date, window_days: int) -> date:
    """The first day of (as_of - window_days, as_of]: only its months' files are read."""
    return date.fromordinal(max(1, as_of.toordinal() - window_days + 1))


def _latest_params(
    files: list[str],
    as_of: date,
    window_days: int,
    metrics: list[str] | None,
    accounts: list[str] | None,
) -> list[object]:
    return [files, as_of, as_of, window_days, metrics, metrics, accounts, accounts]
