"""`tenure backup FILE` and `tenure restore FILE`: one archive holding a consistent copy of
the app database and the warehouse, taken while `tenure serve` runs.

Why it is consistent without stopping anything:
- SQLite is copied with its online backup API (a snapshot under a read lock, WAL included);
  PostgreSQL with `pg_dump`, which reads one transaction snapshot.
- A warehouse table is copied through its manifest: the files one manifest names form one
  version, and a superseded file is deleted only after a grace period (warehouse/tables.py),
  so they are all still there while they are copied. Other warehouse files are replaced by
  atomic renames (a copy reads the old or the new one) or only appended to (the intake log).

The archive is a tar file with `backup.json` first: format, when, database kind, every
table's row count and every file's SHA-256, checked again on restore.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tenure import __version__
from tenure.config import Settings
from tenure.kit.dates import utc_now
from tenure.kit.errors import TenureError
from tenure.warehouse.tables import LOCK, MANIFEST

FORMAT = 1
INDEX = "backup.json"
SQLITE_FILE = "database/tenure.db"
PG_DUMP_FILE = "database/tenure.pgdump"
# Lock files hold no data: a restored data dir makes its own.
SKIPPED_SUFFIXES = (".lock",)
SKIPPED_NAMES = {LOCK}


@dataclass(frozen=True)
class BackupResult:
    path: Path
    database: str
    tables: dict[str, int]
    files: int
    bytes: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_sqlite(settings: Settings) -> bool:
    return sa.make_url(settings.resolved_database_url).get_backend_name() == "sqlite"


def _sqlite_path(settings: Settings) -> Path:
    database = sa.make_url(settings.resolved_database_url).database
    if not database or database == ":memory:":
        raise TenureError("the SQLite database is in memory: there is nothing to back up")
    return Path(database)


def _libpq_url(settings: Settings) -> str:
    """The database URL as pg_dump and pg_restore read it (no SQLAlchemy driver name)."""
    url = sa.make_url(settings.resolved_database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _count(connection: sa.Connection) -> dict[str, int]:
    """Rows in every table (Alembic's own included)."""
    names = sa.inspect(connection).get_table_names()
    return {
        name: int(connection.scalar(sa.select(sa.func.count()).select_from(sa.table(name))) or 0)
        for name in sorted(names)
    }


def table_counts(settings: Settings) -> dict[str, int]:
    engine = sa.create_engine(settings.resolved_database_url)
    try:
        with engine.connect() as connection:
            return _count(connection)
    finally:
        engine.dispose()


def _copy_database(settings: Settings, folder: Path, counts: dict[str, int]) -> str:
    """Copy the database into `folder`, filling `counts` with each table's rows in the copy."""
    (folder / "database").mkdir()
    if _is_sqlite(settings):
        source_path = _sqlite_path(settings)
        if not source_path.is_file():
            raise TenureError(f"{source_path}: no database to back up (run `tenure init`)")
        source = sqlite3.connect(source_path)
        target = sqlite3.connect(folder / SQLITE_FILE)
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
        copy = sa.create_engine(f"sqlite:///{folder / SQLITE_FILE}")
        try:
            with copy.connect() as connection:
                counts.update(_count(connection))
        finally:
            copy.dispose()
        return "sqlite"
    # pg_dump reads the snapshot this transaction exports, so the row counts taken here are
    # exactly those of the dump.
    engine = sa.create_engine(settings.resolved_database_url)
    try:
        snapshot_options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        with engine.connect().execution_options(**snapshot_options) as connection:
            snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            counts.update(_count(connection))
            done = subprocess.run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={folder / PG_DUMP_FILE}",
                    f"--dbname={_libpq_url(settings)}",
                ],
                capture_output=True,
                text=True,
            )
            connection.rollback()
    finally:
        engine.dispose()
    if done.returncode != 0:
        raise TenureError(f"pg_dump failed: {done.stderr.strip()}")
    return "postgresql"


def _warehouse_files(root: Path) -> Iterator[Path]:
    """The warehouse files of one consistent version, relative to `root`."""
    if not root.is_dir():
        return
    tables = {p.parent for p in root.rglob(MANIFEST)}
    for table in sorted(tables):
        manifest_text = (table / MANIFEST).read_text()
        manifest = json.loads(manifest_text)
        yield (table / MANIFEST).relative_to(root)
        for name in sorted(manifest.get("partitions", {}).values()):
            yield (table / name).relative_to(root)
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name in SKIPPED_NAMES or path.suffix in SKIPPED_SUFFIXES:
            continue
        if any(table in path.parents for table in tables):
            continue  # a table's files come from its manifest above, not from a listing
        yield path.relative_to(root)


def _copy_warehouse(root: Path, folder: Path) -> None:
    for relative in _warehouse_files(root):
        target = folder / "warehouse" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / relative, target)


def backup(settings: Settings, warehouse_root: Path, path: Path) -> BackupResult:
    """Write the archive to `path` (a temporary file renamed at the end: never half a file)."""
    if path.exists():
        raise TenureError(f"{path}: already exists; choose a new file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".backup-") as scratch:
        folder = Path(scratch) / "content"
        folder.mkdir()
        counts: dict[str, int] = {}
        kind = _copy_database(settings, folder, counts)
        _copy_warehouse(warehouse_root, folder)
        files = {
            str(p.relative_to(folder)): _sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()
        }
        index: dict[str, Any] = {
            "format": FORMAT,
            "tenure_version": __version__,
            "created_at": utc_now().isoformat(timespec="seconds"),
            "database": kind,
            "tables": counts,
            "files": files,
        }
        partial = Path(scratch) / "backup.tar"
        with tarfile.open(partial, "w") as archive:
            data = json.dumps(index, indent=2).encode()
            info = tarfile.TarInfo(INDEX)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            for name in files:
                archive.add(folder / name, arcname=name, recursive=False)
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, path)
    return BackupResult(path, kind, counts, len(files), path.stat().st_size)


def _read_index(archive: tarfile.TarFile, path: Path) -> dict[str, Any]:
    try:
        member = archive.extractfile(INDEX)
    except KeyError:
        raise TenureError(f"{path}: not a Tenure backup (no {INDEX})") from None
    if member is None:
        raise TenureError(f"{path}: not a Tenure backup ({INDEX} is not a file)")
    index: dict[str, Any] = json.loads(member.read())
    if index.get("format") != FORMAT:
        raise TenureError(f"{path}: backup format {index.get('format')!r}; expected {FORMAT}")
    return index


def _is_empty(settings: Settings, warehouse_root: Path) -> list[str]:
    """What already holds data where the restore would write."""
    found: list[str] = []
    if _is_sqlite(settings):
        if _sqlite_path(settings).exists():
            found.append(str(_sqlite_path(settings)))
    else:
        engine = sa.create_engine(settings.resolved_database_url)
        try:
            with engine.connect() as connection:
                if sa.inspect(connection).get_table_names():
                    found.append(engine.url.render_as_string(hide_password=True))
        finally:
            engine.dispose()
    if warehouse_root.is_dir() and any(p.is_file() for p in warehouse_root.rglob("*")):
        found.append(str(warehouse_root))
    return found


def restore(settings: Settings, warehouse_root: Path, path: Path) -> BackupResult:
    """Restore the archive into an empty data dir and database; refuses anything else."""
    if not path.is_file():
        raise TenureError(f"{path}: no such file")
    occupied = _is_empty(settings, warehouse_root)
    if occupied:
        raise TenureError(
            "restore needs an empty data dir and database; these hold data already:",
            problems=occupied,
        )
    try:
        archive = tarfile.open(path, "r")
    except tarfile.TarError as error:
        raise TenureError(f"{path}: not a Tenure backup ({error})") from None
    with archive, tempfile.TemporaryDirectory(prefix=".restore-") as scratch:
        index = _read_index(archive, path)
        folder = Path(scratch)
        archive.extractall(folder, filter="data")
        bad = [name for name, digest in index["files"].items() if _sha256(folder / name) != digest]
        if bad:
            raise TenureError(f"{path}: damaged, these files do not match:", problems=bad)
        kind = index["database"]
        if kind != ("sqlite" if _is_sqlite(settings) else "postgresql"):
            raise TenureError(
                f"{path}: a {kind} backup; TENURE_DATABASE_URL points at another kind of database"
            )
        copied = folder / "warehouse"
        if copied.is_dir():
            warehouse_root.parent.mkdir(parents=True, exist_ok=True)
            if warehouse_root.exists():
                warehouse_root.rmdir() if not any(warehouse_root.iterdir()) else shutil.rmtree(
                    warehouse_root
                )
            shutil.copytree(copied, warehouse_root)
        if kind == "sqlite":
            target = _sqlite_path(settings)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".restoring")
            shutil.copy2(folder / SQLITE_FILE, partial)
            os.replace(partial, target)
        else:
            done = subprocess.run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    f"--dbname={_libpq_url(settings)}",
                    str(folder / PG_DUMP_FILE),
                ],
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise TenureError(f"pg_restore failed: {done.stderr.strip()}")
    counts = table_counts(settings)
    if counts != index["tables"]:
        raise TenureError(f"{path}: restored row counts differ from the backup's: {counts}")
    return BackupResult(path, kind, counts, len(index["files"]), path.stat().st_size)
