"""A partitioned Parquet table with atomic, all-or-nothing upserts.

Layout of a table folder:

    _manifest.json     {"version": N, "partitions": {"<partition>": "<file>"},
                        "retired": {"<file>": <unix time it stopped being current>}}
    _lock              writers hold an exclusive flock on it
    g000042/...        the files written by version 42

A write merges the incoming rows into each partition it touches (incoming rows replace
existing rows with the same key), writes the new partition files into a new generation
folder, fsyncs them, then replaces the manifest in one atomic rename. A reader that loaded
the manifest before keeps a consistent view: superseded files are deleted only once they
have been unreferenced for a grace period. A crash before the rename leaves the previous
version whole, so nothing is ever half-written. A replace writes whole partitions the same way
(rows that are no longer there go with it).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    # Only in signatures: reading a table's manifest never needs PyArrow.
    import pyarrow as pa

from tenure.warehouse.reader import utc_connection

MANIFEST = "_manifest.json"
LOCK = "_lock"
# Long enough for any query that started on an older version to finish reading its files.
GRACE_SECONDS = 15 * 60


@dataclass(frozen=True)
class UpsertResult:
    version: int
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class Manifest:
    version: int = 0
    partitions: dict[str, str] = field(default_factory=dict)
    retired: dict[str, float] = field(default_factory=dict)


def read_manifest(root: Path) -> Manifest:
    """The table's current version: which file holds each partition."""
    try:
        raw = json.loads((root / MANIFEST).read_text())
    except FileNotFoundError:
        return Manifest()
    return Manifest(
        version=int(raw["version"]),
        partitions=dict(raw["partitions"]),
        retired=dict(raw.get("retired", {})),
    )


def current_files(root: Path) -> dict[str, str]:
    """Partition -> file (relative to `root`) of the table's current version."""
    return read_manifest(root).partitions


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in `path` survive a crash."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class PartitionedParquetTable:
    """A folder of Parquet files keyed by `key`, partitioned by `partition_sql` over its rows.

    `partition_sql` is a DuckDB expression naming the partition of a row, e.g.
    `metric || '.' || strftime(date, '%Y-%m')`; it must give strings safe in a file name.
    """

    def __init__(
        self, root: Path, schema: pa.Schema, key: Sequence[str], partition_sql: str
    ) -> None:
        self.root = root
        self.schema = schema
        self.key = list(key)
        self.partition_sql = partition_sql

    # -- reading -------------------------------------------------------------------------
    def manifest(self) -> Manifest:
        return read_manifest(self.root)

    def files(self, partitions: Sequence[str] | None = None) -> list[str]:
        """Absolute paths of the current files, optionally only for some partitions."""
        current = self.manifest().partitions
        names = current if partitions is None else [p for p in partitions if p in current]
        return [str(self.root / current[name]) for name in sorted(names)]

    def partitions(self) -> list[str]:
        return sorted(self.manifest().partitions)

    # -- writing -------------------------------------------------------------------------
    @contextmanager
    def _writer_lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def upsert(self, rows: pa.Table) -> UpsertResult:
        """Merge `rows` (unique by key) into the table in one atomic step. Rows identical to
        what is stored change nothing: a repeated upsert writes no new version."""
        rows = rows.select(self.schema.names).cast(self.schema)
        with self._writer_lock(), utc_connection() as con:
            con.register("incoming", rows)
            manifest = self.manifest()
            # The stored files of the partitions the rows fall in: compared, then merged.
            old_files = self._touched(con, manifest)
            created, updated, unchanged = self._compare(con, rows.num_rows, old_files)
            if created == 0 and updated == 0:
                return UpsertResult(manifest.version, 0, 0, unchanged)
            version = self._write_version(
                manifest, lambda target: self._merge_into(con, old_files, target)
            )
            return UpsertResult(version, created, updated, unchanged)

    def replace(self, rows: pa.Table, partitions: Iterable[str]) -> int:
        """Make each of `partitions` hold exactly the rows of `rows` that fall in it (none:
        the partition goes), in one atomic step: what a recomputed day needs, where rows that
        no longer exist must go too (an upsert by key would keep them). Every row must fall in
        one of `partitions`. Returns the new version."""
        replaced = set(partitions)
        rows = rows.select(self.schema.names).cast(self.schema)

        def write(target: Path) -> dict[str, str]:
            if not rows.num_rows:
                return {}
            with utc_connection() as con:
                con.register("incoming", rows)
                written = self._copy(con, "SELECT * FROM incoming", target)
            stray = set(written) - replaced
            if stray:
                raise ValueError(f"rows outside the replaced partitions: {sorted(stray)[:5]}")
            return written

        with self._writer_lock():
            manifest = self.manifest()
            if not replaced:
                return manifest.version
            return self._write_version(manifest, write, dropped=replaced)

    def _write_version(
        self,
        manifest: Manifest,
        write: Callable[[Path], dict[str, str]],
        dropped: Iterable[str] = (),
    ) -> int:
        """Write the next version: `write` fills a new generation folder with the partitions
        it changes (name -> file), `dropped` partitions go, the rest stay; the manifest rename
        is the commit. Callers hold the writer lock."""
        version = manifest.version + 1
        generation = f"g{version:06d}"
        target = self.root / generation
        if target.exists():  # left by a writer that died before its manifest rename
            shutil.rmtree(target)
        target.mkdir()
        try:
            written = write(target)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        now = time.time()
        current = dict(manifest.partitions)
        retired = dict(manifest.retired)
        for name in {*dropped, *written}:
            if name in current:
                retired[current.pop(name)] = now
        for name, path in written.items():
            current[name] = f"{generation}/{path}"
        expired = {path for path, at in retired.items() if at < now - GRACE_SECONDS}
        retired = {path: at for path, at in retired.items() if path not in expired}
        self._commit(Manifest(version=version, partitions=current, retired=retired))
        self._delete(expired, keep={*current.values(), *retired})
        return version

    def _touched(self, con: duckdb.DuckDBPyConnection, manifest: Manifest) -> list[str]:
        """The stored files of the partitions the registered `incoming` rows fall in."""
        touched = con.execute(f"SELECT DISTINCT {self.partition_sql} FROM incoming").fetchall()
        return [
            str(self.root / manifest.partitions[p]) for (p,) in touched if p in manifest.partitions
        ]

    def _compare(
        self, con: duckdb.DuckDBPyConnection, incoming: int, old_files: list[str]
    ) -> tuple[int, int, int]:
        """How many of the `incoming` rows (registered on `con`) are new, change a stored row,
        or repeat one exactly."""
        if not old_files:
            return incoming, 0, 0
        values = [c for c in self.schema.names if c not in self.key]
        on = " AND ".join(f"i.{k} = o.{k}" for k in self.key)
        same = " AND ".join(f"i.{c} IS NOT DISTINCT FROM o.{c}" for c in values) or "TRUE"
        stored = f"read_parquet([{', '.join(map(_quote, old_files))}], hive_partitioning = false)"
        found = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {same}) FROM incoming i "
            f"JOIN {stored} o ON {on}"
        ).fetchone()
        matched, identical = (int(found[0]), int(found[1])) if found else (0, 0)
        return incoming - matched, matched - identical, identical

    def _merge_into(
        self, con: duckdb.DuckDBPyConnection, old_files: list[str], target: Path
    ) -> dict[str, str]:
        """The registered `incoming` rows over the stored ones of `old_files`, into `target`."""
        key = ", ".join(self.key)
        columns = ", ".join(self.schema.names)
        existing = (
            f"SELECT {columns} FROM read_parquet([{', '.join(map(_quote, old_files))}], "
            "hive_partitioning = false) "
            f"ANTI JOIN incoming USING ({key}) UNION ALL "
            if old_files
            else ""
        )
        return self._copy(con, f"{existing}SELECT {columns} FROM incoming", target)

    def _copy(
        self, con: duckdb.DuckDBPyConnection, source_sql: str, target: Path
    ) -> dict[str, str]:
        """Write the rows of `source_sql` into `target`, one sorted file per partition, all
        fsynced before the manifest may name them. Returns partition -> file under `target`."""
        con.execute(
            f"COPY (SELECT *, {self.partition_sql} AS _partition FROM ({source_sql}) "
            f"ORDER BY {', '.join(self.key)}) TO {_quote(str(target))} "
            "(FORMAT parquet, PARTITION_BY (_partition), COMPRESSION zstd, "
            "FILENAME_PATTERN 'part_{i}')"
        )
        written: dict[str, str] = {}
        for folder in sorted(target.glob("_partition=*")):
            files = sorted(folder.glob("*.parquet"))
            if len(files) != 1:
                raise RuntimeError(f"expected one file in {folder}, got {files}")
            with open(files[0], "rb+") as handle:
                os.fsync(handle.fileno())
            fsync_dir(folder)
            written[folder.name.removeprefix("_partition=")] = str(files[0].relative_to(target))
        fsync_dir(target)
        return written

    def _commit(self, manifest: Manifest) -> None:
        tmp = self.root / f"{MANIFEST}.tmp"
        with open(tmp, "w") as handle:
            json.dump(
                {
                    "version": manifest.version,
                    "partitions": manifest.partitions,
                    "retired": manifest.retired,
                },
                handle,
            )
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.root / MANIFEST)
        fsync_dir(self.root)

    def _delete(self, files: set[str], keep: set[str]) -> None:
        """Delete expired files, then generation folders nothing refers to any more (those of
        writers that died before their commit included: we hold the writer lock)."""
        for path in files:
            (self.root / path).unlink(missing_ok=True)
        in_use = {path.split("/", 1)[0] for path in keep}
        for folder in self.root.glob("g[0-9]*"):
            if folder.name not in in_use:
                shutil.rmtree(folder, ignore_errors=True)
