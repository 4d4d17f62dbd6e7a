"""The intake log: an append-only, fsync'd file of accepted batches.

The server answers 200 only once a batch is in this log and on disk, so killing it right
after loses nothing. A loader later moves the log into the events table (Parquet) and deletes
what it moved. Layout, in `<warehouse>/usage/log/`:

    <start-ns>-<pid>.open   the segment one server process is appending to (it holds a flock)
    <start-ns>-<pid>.seg    a closed segment waiting for the loader

A segment is a sequence of frames: magic, payload length, CRC-32, payload (JSON Lines of log
records, one batch per frame). A frame torn by a crash fails its length or CRC check and is
cut off, with everything after it: it was never acknowledged.
"""

from __future__ import annotations

import fcntl
import io
import os
import struct
import threading
import time
import zlib
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.json as pj

from tenure.usage.events import LOG_SCHEMA
from tenure.warehouse.tables import fsync_dir

MAGIC = b"TNR1"
HEADER = struct.Struct(">4sII")
OPEN = ".open"
CLOSED = ".seg"
# A writer holds its segment's flock from the moment it creates it; an unlocked .open file
# older than this belongs to a process that died.
ABANDONED_AFTER_SECONDS = 5.0


def frame(records: list[dict[str, object]]) -> bytes:
    """One batch of log records as a frame."""
    payload = b"".join(orjson.dumps(record) + b"\n" for record in records)
    return HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload


class LogWriter:
    """Appends frames to this process's open segment with group commit: concurrent appends
    share one fsync, and each returns only once its frame is on disk."""

    def __init__(self, folder: Path, max_segment_bytes: int = 64 * 1024 * 1024):
        self.folder = folder
        self.max_segment_bytes = max_segment_bytes
        self._write_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._fd: int | None = None
        self._path: Path | None = None
        self._size = 0
        self._written = 0
        self._synced = 0

    def _open(self) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{os.getpid()}{OPEN}"
        path = self.folder / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        fsync_dir(self.folder)
        self._fd, self._path, self._size = fd, path, 0
        return fd

    def append(self, data: bytes) -> None:
        """Write one frame and return once it is durable."""
        with self._write_lock:
            fd = self._fd if self._fd is not None else self._open()
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            self._size += len(data)
            self._written += 1
            sequence = self._written
        with self._sync_lock:
            if self._synced >= sequence:
                return  # another append's fsync (or a rotation) covered this frame
            with self._write_lock:
                target = self._written
                current = self._fd
            assert current is not None
            os.fsync(current)
            self._synced = target
        if self._size >= self.max_segment_bytes:
            self.rotate()

    def rotate(self) -> bool:
        """Close the open segment so a loader can take it; False when there was nothing."""
        with self._sync_lock, self._write_lock:
            if self._fd is None or self._path is None:
                return False
            os.fsync(self._fd)
            self._synced = self._written
            closed = self._path.with_suffix(CLOSED)
            os.rename(self._path, closed)
            fsync_dir(self.folder)
            os.close(self._fd)  # releases the flock
            self._fd, self._path, self._size = None, None, 0
            return True

    def close(self) -> None:
        self.rotate()


def read_frames(path: Path) -> tuple[list[bytes], int]:
    """The payloads of a segment's complete frames and the offset where they end."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], 0
    payloads: list[bytes] = []
    offset = 0
    while offset + HEADER.size <= len(data):
        magic, length, crc = HEADER.unpack_from(data, offset)
        start = offset + HEADER.size
        end = start + length
        if magic != MAGIC or end > len(data):
            break
        payload = data[start:end]
        if zlib.crc32(payload) != crc:
            break
        payloads.append(payload)
        offset = end
    return payloads, offset


def _try_lock(path: Path) -> int | None:
    """An fd holding the segment's flock, or None when a live writer holds it."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def recover_abandoned(folder: Path) -> list[Path]:
    """Close the open segments of processes that died: cut each at its last whole frame and
    rename it so the loader takes it. Returns the segments recovered."""
    recovered = []
    for path in sorted(folder.glob(f"*{OPEN}")):
        try:
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            continue
        if age < ABANDONED_AFTER_SECONDS:
            continue
        fd = _try_lock(path)
        if fd is None:
            continue
        try:
            _payloads, end = read_frames(path)
            os.ftruncate(fd, end)
            os.fsync(fd)
            closed = path.with_suffix(CLOSED)
            os.rename(path, closed)
            fsync_dir(folder)
            recovered.append(closed)
        finally:
            os.close(fd)
    return recovered


def closed_segments(folder: Path) -> list[Path]:
    if not folder.exists():
        return []
    recover_abandoned(folder)
    return sorted(folder.glob(f"*{CLOSED}"))


def all_segments(folder: Path) -> list[Path]:
    """Closed and open segments, oldest first: what queries read beside the events table."""
    if not folder.exists():
        return []
    return sorted([*folder.glob(f"*{CLOSED}"), *folder.glob(f"*{OPEN}")], key=lambda p: p.name)


def read_records(paths: list[Path]) -> pa.Table:
    """The log records of these segments as one Arrow table of LOG_SCHEMA, in log order."""
    payloads = [payload for path in paths for payload in read_frames(path)[0]]
    if not payloads:
        return LOG_SCHEMA.empty_table()
    options = pj.ParseOptions(explicit_schema=LOG_SCHEMA, unexpected_field_behavior="ignore")
    table = pj.read_json(io.BytesIO(b"".join(payloads)), parse_options=options)
    return table.select(LOG_SCHEMA.names).cast(LOG_SCHEMA)
