"""`tenure import events FILE`: events in bulk, checked like the intake checks them.

JSON Lines hold Segment calls (camelCase, as the intake takes them) or rows in the stored
columns; CSV and Parquet hold the stored columns (message_id, type, event, user_id,
anonymous_id, account_external_id, timestamp, properties). Every row needs a message_id, so
that importing a file twice stores nothing twice. A file with any bad row is refused whole,
every problem listed as `FILE:ROW: field: value: why`. Large files are written a chunk at a
time; an import stopped midway is completed by running it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from tenure.kit.dates import utc_now
from tenure.kit.errors import TenureError
from tenure.kit.files import read_rows, require_file
from tenure.kit.progress import OnProgress, progress_bar
from tenure.usage.events import (
    CALL_TYPES,
    LOG_SCHEMA,
    MAX_EVENT_BYTES,
    MAX_ID_CHARS,
    MAX_NAME_CHARS,
    BadEvent,
    Problem,
    is_flat_row,
    micros,
    normalize_call,
    normalize_row,
    records_to_table,
    show,
)
from tenure.usage.store import EventStore

CHUNK_ROWS = 250_000
MAX_PROBLEMS = 200


@dataclass(frozen=True)
class EventImport:
    file: str
    rows: int
    stored: int

    @property
    def duplicates(self) -> int:
        return self.rows - self.stored

    def summary(self) -> str:
        return (
            f"{self.file}: {self.rows:,} events: {self.stored:,} stored, "
            f"{self.duplicates:,} already there"
        )


def refuse(path: Path, problems: list[str], more: int = 0) -> TenureError:
    count = len(problems) + more
    noun = "problem" if count == 1 else "problems"
    listed = problems + ([f"... and {more} more"] if more else [])
    return TenureError(f"{path}: refused, nothing imported ({count} {noun}):", problems=listed)


def _records(path: Path, received_at: int) -> Iterator[tuple[int, dict[str, Any] | BadEvent]]:
    for row in read_rows(path):
        try:
            if path.suffix.lower() == ".csv" or is_flat_row(row.values):
                yield row.line, normalize_row(row.values, received_at)
                continue
            problems = [] if "messageId" in row.values else [MISSING_MESSAGE_ID]
            try:
                record = normalize_call(row.values, None, received_at)
            except BadEvent as bad:
                raise BadEvent([*bad.problems, *problems]) from None
            if problems:
                raise BadEvent(problems)
            yield row.line, record
        except BadEvent as bad:
            yield row.line, bad


MISSING_MESSAGE_ID = Problem("messageId", None, "required in a file (it makes imports idempotent)")


def import_text_file(
    store: EventStore, path: Path, progress: OnProgress | None = None
) -> EventImport:
    """CSV or JSON Lines: checked whole first, then stored a chunk at a time."""
    received_at = micros(utc_now())
    problems: list[str] = []
    more = 0
    rows = 0
    with progress_bar(f"checking {path.name}", total=None, progress=progress):
        for line, result in _records(path, received_at):
            rows += 1
            if isinstance(result, BadEvent):
                for problem in result.problems:
                    if len(problems) < MAX_PROBLEMS:
                        problems.append(f"{path}:{line}: {problem.describe()}")
                    else:
                        more += 1
    if problems:
        raise refuse(path, problems, more)
    stored = 0
    importing = progress_bar(f"importing {path.name}", total=rows, progress=progress)
    with importing as bar, store.lock("loader"):
        chunk: list[dict[str, Any]] = []
        for _line, result in _records(path, received_at):
            assert not isinstance(result, BadEvent)
            chunk.append(result)
            if len(chunk) >= CHUNK_ROWS:
                stored += store.add(records_to_table(chunk), remember_ids=False).stored
                bar.advance(len(chunk))
                chunk = []
        if chunk:
            stored += store.add(records_to_table(chunk), remember_ids=False).stored
            bar.advance(len(chunk))
    return EventImport(str(path), rows, stored)


# Each check: the field it names, a DuckDB condition true for a bad row, and why (the same
# rules as tenure.usage.events.normalize_row, over a whole Parquet file at once).
PARQUET_CHECKS = (
    (
        "message_id",
        "NULLIF(trim(message_id), '') IS NULL",
        "required (it makes imports idempotent)",
    ),
    ("message_id", f"length(trim(message_id)) > {MAX_ID_CHARS}", "not an id"),
    (
        "type",
        f"type IS NULL OR type NOT IN ({', '.join(repr(t) for t in CALL_TYPES)})",
        f"not one of {', '.join(CALL_TYPES)}",
    ),
    (
        "event",
        "type = 'track' AND NULLIF(trim(event), '') IS NULL",
        "a track call needs an event name",
    ),
    ("event", f"length(event) > {MAX_NAME_CHARS}", f"longer than {MAX_NAME_CHARS} characters"),
    (
        "account_external_id",
        "type = 'group' AND NULLIF(trim(account_external_id), '') IS NULL",
        "a group call needs the account (groupId)",
    ),
    (
        "user_id",
        "NULLIF(trim(user_id), '') IS NULL AND NULLIF(trim(anonymous_id), '') IS NULL",
        "a call needs user_id or anonymous_id",
    ),
    ("user_id", f"length(trim(user_id)) > {MAX_ID_CHARS}", "not an id"),
    ("anonymous_id", f"length(trim(anonymous_id)) > {MAX_ID_CHARS}", "not an id"),
    ("account_external_id", f"length(trim(account_external_id)) > {MAX_ID_CHARS}", "not an id"),
    (
        "timestamp",
        "ts IS NULL OR ts < TIMESTAMPTZ '1970-01-01 00:00:00+00' "
        "OR ts >= TIMESTAMPTZ '2100-01-01 00:00:00+00'",
        "not an ISO 8601 date-time between 1970 and 2100",
    ),
    (
        "properties",
        "properties IS NOT NULL AND (NOT coalesce(json_valid(properties), false) "
        "OR json_type(properties::JSON) <> 'OBJECT')",
        "not a JSON object",
    ),
    (
        "properties",
        f"length(properties) > {MAX_EVENT_BYTES}",
        f"larger than the {MAX_EVENT_BYTES // 1024} KB event limit",
    ),
)
REQUIRED = ("message_id", "type", "timestamp")
OPTIONAL = ("event", "user_id", "anonymous_id", "account_external_id", "properties")


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _parquet_view(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    names = set(pq.read_schema(path).names)
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise TenureError(f"{path}: missing columns: {', '.join(missing)}")
    timestamp_type = str(pq.read_schema(path).field("timestamp").type)
    ts = (
        'TRY_CAST("timestamp" AS TIMESTAMPTZ)'
        if timestamp_type in ("string", "large_string")
        else 'CAST("timestamp" AS TIMESTAMPTZ)'
    )
    optional = ", ".join(
        f"CAST({name} AS VARCHAR) AS {name}" if name in names else f"NULL::VARCHAR AS {name}"
        for name in OPTIONAL
    )
    con.execute(
        "CREATE VIEW source AS SELECT file_row_number + 1 AS row_number, "
        "CAST(message_id AS VARCHAR) AS message_id, CAST(type AS VARCHAR) AS type, "
        f'"timestamp" AS raw_timestamp, {ts} AS ts, {optional} '
        f"FROM read_parquet({_quote(str(path))}, file_row_number = true)"
    )


def _parquet_problems(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[list[str], int]:
    problems: list[tuple[int, str]] = []
    # One scan counts the rows each check refuses; only a check that refuses some is listed.
    counts = con.execute(
        "SELECT "
        + ", ".join(f"count(*) FILTER (WHERE {condition})" for _, condition, _ in PARQUET_CHECKS)
        + " FROM source"
    ).fetchall()[0]
    total = sum(counts)
    for (name, condition, why), count in zip(PARQUET_CHECKS, counts, strict=True):
        if not count:
            continue
        value = "raw_timestamp::VARCHAR" if name == "timestamp" else name
        rows = con.execute(
            f"SELECT row_number, {value} FROM source WHERE {condition} "
            f"ORDER BY row_number LIMIT {MAX_PROBLEMS}"
        ).fetchall()
        problems.extend((row, f"{path}:{row}: {name}: {show(found)}: {why}") for row, found in rows)
    problems.sort()
    listed = [text for _row, text in problems[:MAX_PROBLEMS]]
    return listed, total - len(listed)


def import_parquet_file(
    store: EventStore, path: Path, progress: OnProgress | None = None
) -> EventImport:
    received_at = micros(utc_now())
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        _parquet_view(con, path)
        with progress_bar(f"checking {path.name}", total=None, progress=progress):
            problems, more = _parquet_problems(con, path)
        if problems:
            raise refuse(path, problems, more)
        rows = int(con.execute("SELECT count(*) FROM source").fetchall()[0][0])
        query = con.sql(
            "SELECT trim(message_id) AS message_id, type, event, "
            "NULLIF(trim(user_id), '') AS user_id, NULLIF(trim(anonymous_id), '') AS anonymous_id, "
            "NULLIF(trim(account_external_id), '') AS account_external_id, "
            'epoch_us(ts) AS "timestamp", '
            "CASE WHEN properties IS NULL OR properties::JSON::VARCHAR = '{}' THEN NULL "
            "ELSE properties END AS properties, "
            f"{received_at}::BIGINT AS received_at FROM source"
        )
        reader = query.to_arrow_reader(CHUNK_ROWS)
        assert reader is not None
        stored = 0
        importing = progress_bar(f"importing {path.name}", total=rows, progress=progress)
        with importing as bar, store.lock("loader"):
            for batch in reader:
                table = pa.Table.from_batches([batch]).cast(LOG_SCHEMA)
                stored += store.add(table, remember_ids=False).stored
                bar.advance(table.num_rows)
    return EventImport(str(path), rows, stored)


def import_events(store: EventStore, path: Path, progress: OnProgress | None = None) -> EventImport:
    """Import one file of events. Raises TenureError listing every problem, having written
    nothing, when any row is bad. `progress` is told the rows stored so far (else a bar)."""
    require_file(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return import_parquet_file(store, path, progress)
    if suffix in (".csv", ".jsonl", ".ndjson", ".json"):
        return import_text_file(store, path, progress)
    raise TenureError(f"{path}: unknown file type {suffix!r}: use .jsonl, .csv or .parquet")
