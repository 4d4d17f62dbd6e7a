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
version whole, so nothing is ever half-written.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

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


def _fsync_dir(path: Path) -> None:
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
        try:
            raw = json.loads((self.root / MANIFEST).read_text())
        except FileNotFoundError:
            return Manifest()
        return Manifest(
            version=int(raw["version"]),
            partitions=dict(raw["partitions"]),
            retired=dict(raw.get("retired", {})),
        )

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
        with self._writer_lock():
            manifest = self.manifest()
            created, updated, unchanged = self._compare(rows, manifest)
            if created == 0 and updated == 0:
                return UpsertResult(manifest.version, 0, 0, unchanged)
            version = manifest.version + 1
            generation = f"g{version:06d}"
            target = self.root / generation
            if target.exists():  # left by a writer that died before its manifest rename
                shutil.rmtree(target)
            target.mkdir()
            written = self._merge_into(rows, manifest, target)
            now = time.time()
            partitions = dict(manifest.partitions)
            retired = dict(manifest.retired)
            for name, path in written.items():
                if name in partitions:
                    retired[partitions[name]] = now
                partitions[name] = f"{generation}/{path}"
            expired = {path for path, at in retired.items() if at < now - GRACE_SECONDS}
            retired = {path: at for path, at in retired.items() if path not in expired}
            self._commit(Manifest(version=version, partitions=partitions, retired=retired))
            self._delete(expired, keep={*partitions.values(), *retired})
            return UpsertResult(version, created, updated, unchanged)

    def _compare(self, rows: pa.Table, manifest: Manifest) -> tuple[int, int, int]:
        """How many incoming rows are new, change a stored row, or repeat one exactly."""
        if rows.num_rows == 0:
            return 0, 0, 0
        values = [c for c in self.schema.names if c not in self.key]
        on = " AND ".join(f"i.{k} = o.{k}" for k in self.key)
        same = " AND ".join(f"i.{c} IS NOT DISTINCT FROM o.{c}" for c in values) or "TRUE"
        with duckdb.connect() as con:
            con.register("incoming", rows)
            touched = [
                row[0]
                for row in con.execute(
                    f"SELECT DISTINCT {self.partition_sql} FROM incoming"
                ).fetchall()
            ]
            old_files = [
                str(self.root / manifest.partitions[p]) for p in touched if p in manifest.partitions
            ]
            if not old_files:
                return rows.num_rows, 0, 0
            stored = (
                f"read_parquet([{', '.join(map(_quote, old_files))}], hive_partitioning = false)"
            )
            found = con.execute(
                f"SELECT count(*), count(*) FILTER (WHERE {same}) FROM incoming i "
                f"JOIN {stored} o ON {on}"
            ).fetchone()
        matched, identical = (int(found[0]), int(found[1])) if found else (0, 0)
        return rows.num_rows - matched, matched - identical, identical

    def _merge_into(self, rows: pa.Table, manifest: Manifest, target: Path) -> dict[str, str]:
        key = ", ".join(self.key)
        columns = ", ".join(self.schema.names)
        with duckdb.connect() as con:
            con.register("incoming", rows)
            touched = [
                row[0]
                for row in con.execute(
                    f"SELECT DISTINCT {self.partition_sql} FROM incoming"
                ).fetchall()
            ]
            old_files = [
                str(self.root / manifest.partitions[p]) for p in touched if p in manifest.partitions
            ]
            existing = (
                f"SELECT {columns} FROM read_parquet([{', '.join(map(_quote, old_files))}], "
                "hive_partitioning = false) "
                f"ANTI JOIN incoming USING ({key}) UNION ALL "
                if old_files
                else ""
            )
            con.execute(
                f"COPY (SELECT *, {self.partition_sql} AS _partition FROM "
                f"({existing}SELECT {columns} FROM incoming) ORDER BY {key}) "
                f"TO {_quote(str(target))} (FORMAT parquet, PARTITION_BY (_partition), "
                "COMPRESSION zstd, FILENAME_PATTERN 'part_{i}')"
            )
        written: dict[str, str] = {}
        for partition in touched:
            folder = target / f"_partition={partition}"
            files = sorted(folder.glob("*.parquet"))
            if len(files) != 1:
                raise RuntimeError(f"expected one file for partition {partition}, got {files}")
            with open(files[0], "rb+") as handle:
                os.fsync(handle.fileno())
            written[partition] = str(files[0].relative_to(target))
        for folder in {target, *(p.parent for p in target.rglob("*.parquet"))}:
            _fsync_dir(folder)
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
        _fsync_dir(self.root)

    def _delete(self, files: set[str], keep: set[str]) -> None:
        """Delete expired files, then generation folders nothing refers to any more (those of
        writers that died before their commit included: we hold the writer lock)."""
        for path in files:
            (self.root / path).unlink(missing_ok=True)
        in_use = {path.split("/", 1)[0] for path in keep}
        for folder in self.root.glob("g[0-9]*"):
            if folder.name not in in_use:
                shutil.rmtree(folder, ignore_errors=True)
