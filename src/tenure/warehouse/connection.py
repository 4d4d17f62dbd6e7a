"""Where the warehouse is, from TENURE_WAREHOUSE_URL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from tenure.config import Settings
from tenure.kit.errors import TenureError
from tenure.warehouse.metrics import MetricStore

if TYPE_CHECKING:
    from ibis.backends.duckdb import Backend as DuckDBBackend


class Warehouse:
    """The embedded warehouse: a folder of Parquet tables queried by an in-memory DuckDB."""

    def __init__(self, settings: Settings):
        url = urlparse(settings.resolved_warehouse_url)
        if url.scheme != "file":
            raise TenureError(
                f"TENURE_WAREHOUSE_URL {settings.resolved_warehouse_url!r}: the metrics series "
                "is kept in a local Parquet warehouse (file://PATH); point event sources at "
                "other engines through the usage settings instead"
            )
        self.root = Path(url.path)
        self.metrics = MetricStore(self.root / "metrics")

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def connect(self) -> DuckDBBackend:
        """A new connection through Ibis to the process's in-memory DuckDB (a connection to an
        open database costs 1 ms, a new database 20-30 ms): short-lived, never holds a file
        lock, so any number of processes can read while one writes. Closed by `disconnect()`."""
        import ibis

        from tenure.warehouse.reader import connection

        return ibis.duckdb.from_connection(connection())
