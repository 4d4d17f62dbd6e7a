"""Health snapshots in the warehouse: one row per account per day, with every component and
measure, the scorecard version that scored it, and what each part contributed.

Kept in a PartitionedParquetTable partitioned by month and keyed by account + day, so
recomputing a day replaces that day's rows in one atomic step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from tenure.warehouse.tables import PartitionedParquetTable, UpsertResult

COMPONENT_TYPE = pa.struct(
    [
        pa.field("key", pa.string()),
        pa.field("label", pa.string()),
        pa.field("weight", pa.float64()),  # configured share of the score
        pa.field("effective_weight", pa.float64()),  # share after missing parts are left out
        pa.field("score", pa.float64()),  # exact, null = no data
        pa.field("contribution", pa.float64()),  # points of the exact score
    ]
)
MEASURE_TYPE = pa.struct(
    [
        pa.field("component", pa.string()),
        pa.field("metric", pa.string()),
        pa.field("label", pa.string()),
        pa.field("method", pa.string()),
        pa.field("window_days", pa.int32()),
        pa.field("value", pa.float64()),  # the metric's latest value in the window
        pa.field("score", pa.float64()),  # 0-100, null = no data
        pa.field("weight", pa.float64()),  # configured share of its component
        pa.field("contribution", pa.float64()),  # points of the exact score
    ]
)
SNAPSHOT_SCHEMA = pa.schema(
    [
        pa.field("account_external_id", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        pa.field("scorecard", pa.string()),
        pa.field("scorecard_version", pa.int32()),
        pa.field("health", pa.int32()),
        pa.field("health_exact", pa.float64()),
        pa.field("band", pa.string()),
        pa.field("components", pa.list_(COMPONENT_TYPE)),
        pa.field("measures", pa.list_(MEASURE_TYPE)),
    ]
)
SNAPSHOT_KEY = ("account_external_id", "date")
COLUMNS = ", ".join(SNAPSHOT_SCHEMA.names)
# Everything but the measures: what lists of many accounts need.
SUMMARY_COLUMNS = ", ".join(n for n in SNAPSHOT_SCHEMA.names if n != "measures")


@dataclass(frozen=True)
class ComponentPart:
    key: str
    label: str
    weight: float
    effective_weight: float
    score: float | None
    contribution: float


@dataclass(frozen=True)
class MeasurePart:
    component: str
    metric: str
    label: str
    method: str
    window_days: int
    value: float | None
    score: float | None
    weight: float
    contribution: float


@dataclass(frozen=True)
class Snapshot:
    account_external_id: str
    date: date
    scorecard: str | None
    scorecard_version: int | None
    health: int | None
    health_exact: float | None
    band: str | None
    components: tuple[ComponentPart, ...]
    measures: tuple[MeasurePart, ...]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Snapshot:
        return cls(
            **{
                **row,
                "components": tuple(ComponentPart(**c) for c in row["components"] or ()),
                "measures": tuple(MeasurePart(**m) for m in row["measures"] or ()),
            }
        )

    def component(self, key: str) -> ComponentPart | None:
        return next((c for c in self.components if c.key == key), None)

    def measure(self, component: str, metric: str) -> MeasurePart | None:
        return next(
            (m for m in self.measures if m.component == component and m.metric == metric), None
        )


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
        with duckdb.connect() as con:
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
        with duckdb.connect() as con:
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


def snapshots(table: pa.Table) -> list[Snapshot]:
    return [Snapshot.from_row(row) for row in table.to_pylist()]


def summaries(table: pa.Table) -> list[Snapshot]:
    """Snapshots without their measures: quicker when many accounts are listed."""
    index = table.schema.get_field_index("measures")
    light = table.set_column(index, "measures", pa.nulls(table.num_rows, table.field(index).type))
    return snapshots(light)
