"""Writing a simulated company in Tenure's import formats: CSV for the entities, Segment
JSON Lines or Parquet for the events. Files appear whole or not at all (written aside,
then renamed), and the same company always gives the same bytes."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from tenure.demo.company import Company
from tenure.demo.events import EVENT_SCHEMA

ACCOUNT_COLUMNS = (
    "external_id",
    "name",
    "tier",
    "segment",
    "industry",
    "csm_email",
    "customer_since",
    "lifecycle_stage",
)
CONTRACT_COLUMNS = (
    "external_id",
    "account_external_id",
    "start_date",
    "end_date",
    "arr",
    "currency",
    "quantity",
    "units",
    "status",
)
CONTACT_COLUMNS = (
    "external_id",
    "account_external_id",
    "name",
    "email",
    "title",
    "seniority",
    "is_sponsor",
    "user_id",
)
TICKET_COLUMNS = (
    "external_id",
    "account_external_id",
    "opened_at",
    "closed_at",
    "kind",
    "priority",
    "satisfied",
    "subject",
)
SURVEY_COLUMNS = (
    "external_id",
    "account_external_id",
    "contact_email",
    "kind",
    "sent_at",
    "score",
    "responded_at",
    "comment",
)
# Import order: every file refers only to accounts written before it.
ENTITY_FILES = ("accounts", "contracts", "contacts", "tickets", "surveys")
ROW_GROUP = 1_000_000


class EventsFormat(StrEnum):
    jsonl = "jsonl"
    parquet = "parquet"
    none = "none"


EVENT_FILES = {EventsFormat.jsonl: "events.jsonl", EventsFormat.parquet: "events.parquet"}


def cell(value: Any) -> str:
    """A CSV cell: empty for null, ISO 8601 with Z for moments, true/false for booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@contextmanager
def replacing(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """A file written beside `path` and renamed over it once complete."""
    partial = path.with_name(path.name + ".partial")
    try:
        with open(partial, mode, newline=None if "b" in mode else "") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with replacing(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([cell(v) for v in row] for row in rows)


def account_columns(company: Company) -> tuple[str, ...]:
    extra: dict[str, None] = {}
    for account in company.accounts:
        extra.update(dict.fromkeys(account.attributes))
    return ACCOUNT_COLUMNS + tuple(extra)


def write_entities(company: Company, out: Path) -> dict[str, int]:
    """accounts.csv, contracts.csv, contacts.csv, tickets.csv and surveys.csv; returns the
    rows written per file."""
    out.mkdir(parents=True, exist_ok=True)
    columns = account_columns(company)
    accounts = [
        [getattr(a, c) if c in ACCOUNT_COLUMNS else a.attributes.get(c) for c in columns]
        for a in company.accounts
    ]
    contracts = [
        [
            c.external_id,
            c.account_external_id,
            c.start_date,
            c.end_date,
            f"{c.arr}.00",
            c.currency,
            c.quantity,
            c.units,
            c.status,
        ]
        for c in company.contracts
    ]
    contacts = [[getattr(c, n) for n in CONTACT_COLUMNS] for c in company.contacts]
    tickets = [[getattr(t, n) for n in TICKET_COLUMNS] for t in company.tickets]
    surveys = [[getattr(s, n) for n in SURVEY_COLUMNS] for s in company.surveys]
    tables = {
        "accounts": (columns, accounts),
        "contracts": (CONTRACT_COLUMNS, contracts),
        "contacts": (CONTACT_COLUMNS, contacts),
        "tickets": (TICKET_COLUMNS, tickets),
        "surveys": (SURVEY_COLUMNS, surveys),
    }
    for name, (names, rows) in tables.items():
        write_csv(out / f"{name}.csv", names, rows)
    return {name: len(rows) for name, (_, rows) in tables.items()}


class EventSink(Protocol):
    def write(self, table: pa.Table) -> None: ...


def segment_messages(table: pa.Table) -> Iterator[dict[str, Any]]:
    """The Segment calls (track, identify, group) of a table of stored event columns."""
    stamps = np.datetime_as_string(
        table["timestamp"].to_numpy().astype("datetime64[ms]"), unit="ms"
    )
    columns = [
        table[name].to_pylist()
        for name in (
            "message_id",
            "type",
            "event",
            "user_id",
            "anonymous_id",
            "account_external_id",
            "properties",
        )
    ]
    for (message, kind, event, user, anonymous, group, properties), stamp in zip(
        zip(*columns, strict=True), stamps.tolist(), strict=True
    ):
        body = orjson.Fragment(properties)
        timestamp = stamp + "Z"
        if kind == "track":
            yield {
                "type": "track",
                "event": event,
                "userId": user,
                "anonymousId": anonymous,
                "timestamp": timestamp,
                "messageId": message,
                "properties": body,
                "context": {"groupId": group},
            }
        elif kind == "identify":
            yield {
                "type": "identify",
                "userId": user,
                "anonymousId": anonymous,
                "timestamp": timestamp,
                "messageId": message,
                "traits": body,
                "context": {"groupId": group},
            }
        else:
            yield {
                "type": "group",
                "userId": user,
                "anonymousId": anonymous,
                "groupId": group,
                "timestamp": timestamp,
                "messageId": message,
                "traits": body,
            }


class JsonLinesSink:
    def __init__(self, handle: IO[bytes]):
        self.handle = handle

    def write(self, table: pa.Table) -> None:
        self.handle.write(b"".join(orjson.dumps(m) + b"\n" for m in segment_messages(table)))


class ParquetSink:
    """Streams tables into one Parquet file in row groups of a fixed size (a million events
    by default), so memory stays at about one row group whatever the total, and the same
    events always give the same file."""

    def __init__(self, handle: IO[bytes], row_group: int = ROW_GROUP):
        # Message and visitor ids are random: a dictionary for them is wasted work.
        dictionary = [n for n in EVENT_SCHEMA.names if n not in ("message_id", "anonymous_id")]
        self.writer = pq.ParquetWriter(
            handle, EVENT_SCHEMA, compression="zstd", use_dictionary=dictionary
        )
        self.row_group = row_group
        self.pending: list[pa.Table] = []
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        self.pending.append(table)
        self.rows += table.num_rows
        if self.rows >= self.row_group:
            rows = pa.concat_tables(self.pending)
            full = rows.num_rows - rows.num_rows % self.row_group
            self.writer.write_table(rows.slice(0, full), row_group_size=self.row_group)
            rest = rows.slice(full)
            self.pending, self.rows = [rest], rest.num_rows

    def close(self) -> None:
        if self.rows:
            self.writer.write_table(pa.concat_tables(self.pending), row_group_size=self.row_group)
        self.writer.close()


def write_events(
    tables: Iterator[pa.Table],
    out: Path,
    fmt: EventsFormat,
    on_table: Callable[[pa.Table], None] | None = None,
) -> int:
    """Stream event tables into the events file of `fmt`; returns how many were written."""
    if fmt is EventsFormat.none:
        return 0
    total = 0
    with replacing(out / EVENT_FILES[fmt], "wb") as handle:
        sink: JsonLinesSink | ParquetSink = (
            JsonLinesSink(handle) if fmt is EventsFormat.jsonl else ParquetSink(handle)
        )
        for table in tables:
            if table.num_rows:
                sink.write(table)
                total += table.num_rows
            if on_table is not None:
                on_table(table)
        if isinstance(sink, ParquetSink):
            sink.close()
    return total
