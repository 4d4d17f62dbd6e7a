"""DuckDB connections for the short queries over Parquet files and Arrow tables the stores
run (an upsert, a day's latest metrics, a snapshot read).

`duckdb.connect()` builds a new in-memory database with its own thread pool each time: tens
of milliseconds, paid hundreds of times by `tenure demo up` (health reads the latest metrics
twice per day it scores). A cursor of one in-memory database shared by the process costs
microseconds and is a connection of its own: its settings (`SET TimeZone`), registered Arrow
tables and temp tables are its alone and go when it closes. Local files are never cached
(`cache_local_files` is off), so a reader sees what is on disk now. Not for work that
creates views or tables outside the temp schema: every cursor would see them.
"""

from __future__ import annotations

import os
import threading

import duckdb

_lock = threading.Lock()
_shared: dict[int, duckdb.DuckDBPyConnection] = {}


def connect() -> duckdb.DuckDBPyConnection:
    """A new connection to the process's shared in-memory database; close it when done
    (`with connect() as con:`), which leaves the database open for the next."""
    pid = os.getpid()  # a forked child must not use its parent's database
    with _lock:
        database = _shared.get(pid)
        if database is None:
            _shared.clear()
            database = _shared[pid] = duckdb.connect()
        return database.cursor()
