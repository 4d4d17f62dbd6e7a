"""The embedded store's small pieces: a Parquet table whose partitions can be replaced whole,
and a JSON state file written atomically."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from tenure.warehouse.tables import GRACE_SECONDS, Manifest, PartitionedParquetTable


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ReplaceableTable(PartitionedParquetTable):
    """A PartitionedParquetTable whose partitions can also be replaced whole: what a
    recomputed day needs, where rows that no longer exist must go too (an upsert by key would
    keep them). Same layout, manifest and atomic commit as the base table."""

    def replace(self, rows: pa.Table, partitions: Iterable[str]) -> int:
        """Make each of `partitions` hold exactly the rows of `rows` that fall in it (none:
        the partition goes). Every row must fall in one of them. Returns the new version."""
        replaced = set(partitions)
        rows = rows.select(self.schema.names).cast(self.schema)
        with self._writer_lock():
            manifest = self.manifest()
            if not replaced:
                return manifest.version
            version = manifest.version + 1
            generation = f"g{version:06d}"
            target = self.root / generation
            if target.exists():
                shutil.rmtree(target)
            target.mkdir()
            written = self._write(rows, target) if rows.num_rows else {}
            stray = set(written) - replaced
            if stray:
                shutil.rmtree(target)
                raise ValueError(f"rows outside the replaced partitions: {sorted(stray)[:5]}")
            now = time.time()
            current = dict(manifest.partitions)
            retired = dict(manifest.retired)
            for name in replaced:
                if name in current:
                    retired[current.pop(name)] = now
            for name, path in written.items():
                current[name] = f"{generation}/{path}"
            expired = {path for path, at in retired.items() if at < now - GRACE_SECONDS}
            retired = {path: at for path, at in retired.items() if path not in expired}
            self._commit(Manifest(version=version, partitions=current, retired=retired))
            self._delete(expired, keep={*current.values(), *retired})
            return version

    def _write(self, rows: pa.Table, target: Path) -> dict[str, str]:
        key = ", ".join(self.key)
        with duckdb.connect() as con:
            con.execute("SET TimeZone = 'UTC'")
            con.register("incoming", rows)
            con.execute(
                f"COPY (SELECT *, {self.partition_sql} AS _partition FROM incoming "
                f"ORDER BY {key}) TO '{target}' (FORMAT parquet, PARTITION_BY (_partition), "
                "COMPRESSION zstd, FILENAME_PATTERN 'part_{i}')"
            )
        written: dict[str, str] = {}
        for folder in sorted(target.glob("_partition=*")):
            files = sorted(folder.glob("*.parquet"))
            if len(files) != 1:
                raise RuntimeError(f"expected one file in {folder}, got {files}")
            with open(files[0], "rb+") as handle:
                os.fsync(handle.fileno())
            _fsync_dir(folder)
            written[folder.name.removeprefix("_partition=")] = str(files[0].relative_to(target))
        _fsync_dir(target)
        return written


class StateFile:
    """A small JSON document replaced atomically (write, fsync, rename)."""

    def __init__(self, path: Path):
        self.path = path

    def read(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        return data

    def write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w") as handle:
            json.dump(data, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)

    @contextmanager
    def update(self) -> Iterator[dict[str, Any]]:
        """Read, let the caller change, write. Callers hold the store's lock."""
        data = self.read()
        yield data
        self.write(data)
