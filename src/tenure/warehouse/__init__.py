"""The warehouse: time series (metrics, health snapshots, events) reached through Ibis.

By default Parquet files under the data dir, read by an in-memory DuckDB through Ibis. Many
readers never block each other or the one writer (a file lock serialises writers), which is
what lets the CLI and `tenure serve` run on the same data dir at once.
"""

from tenure.warehouse.connection import Warehouse
from tenure.warehouse.metrics import MetricStore, metric_schema
from tenure.warehouse.tables import PartitionedParquetTable, UpsertResult

__all__ = ["MetricStore", "PartitionedParquetTable", "UpsertResult", "Warehouse", "metric_schema"]
