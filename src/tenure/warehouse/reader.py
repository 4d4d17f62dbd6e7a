"""The connection the warehouse's read queries run on: one in-memory DuckDB per process, each
thread with its own connection to it, kept for the thread's life.

Why: opening an in-memory DuckDB costs 20-30 ms (more on a busy machine), a connection to an
open one about 1 ms, and a page reads the warehouse up to thirty times (the Today page did, at
about 25 ms each). A connection is used by one thread only (DuckDB connections are not
thread-safe); the database is made again in a forked child (`tenure serve --workers`), which
must not share its parent's.

`reader()` is for reads of Parquet files only: nothing is created on it (no table, view or
setting), so one query leaves nothing behind for the next. `connection()` is a new connection
of its own to the same database, for Ibis (which sets its settings and registers its views on
it, both local to a connection) and closed by its user. Writers open their own databases.
"""

from __future__ import annotations

import os
import threading

import duckdb

_local = threading.local()
_lock = threading.Lock()
_database: tuple[int, duckdb.DuckDBPyConnection] | None = None


def reader() -> duckdb.DuckDBPyConnection:
    """This thread's connection to the process's in-memory DuckDB (never close it)."""
    pid = os.getpid()
    con: duckdb.DuckDBPyConnection | None = getattr(_local, "con", None)
    if con is not None and getattr(_local, "pid", None) == pid:
        return con
    con = connection()
    _local.con, _local.pid = con, pid
    return con


def utc_connection() -> duckdb.DuckDBPyConnection:
    """`connection()` with UTC as its time zone: the stores name partitions from timestamps,
    which must not depend on the machine's zone. Close it after."""
    con = connection()
    con.execute("SET TimeZone = 'UTC'")
    return con


def connection() -> duckdb.DuckDBPyConnection:
    """A new connection to the process's in-memory DuckDB, for one thread; close it after."""
    global _database
    pid = os.getpid()
    with _lock:  # cursor() changes the database connection's list of cursors
        if _database is None or _database[0] != pid:
            _database = (pid, duckdb.connect())
        return _database[1].cursor()
