"""The embedded events store: Parquet under the warehouse root, written by one loader at a
time, read by anyone.

    <root>/events/              the events, one partition per UTC day, keyed by message_id
    <root>/usage/log/           the intake log (see tenure.usage.log)
    <root>/usage/message_ids/   ids received through the intake, by day received: a replay
                                within 30 days stores nothing (we check 35)
    <root>/usage/memberships/   each user's account from their latest `group` call
    <root>/usage/user_days/     the days each user had events naming no account: when a user's
                                account becomes known, those days' metrics are redone
    <root>/usage/partials/      per measure, account and day, what metrics need (one partition
                                per day, replaced whole when the day is recomputed)
    <root>/usage/state.json     days whose partials are stale, days whose metrics exist

De-duplication: an event is new unless its message_id is already stored on the same UTC day
(a replay carries the same timestamp) or was received through the intake in the last 35 days.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from tenure.kit.dates import utc_today
from tenure.usage import log
from tenure.usage.events import EVENT_COLUMNS, EVENT_SCHEMA, LOG_SCHEMA
from tenure.usage.state_file import StateFile
from tenure.warehouse.reader import utc_connection
from tenure.warehouse.tables import PartitionedParquetTable

DEDUP_DAYS = 35
DAY_OF_TIMESTAMP = "strftime(timezone('UTC', \"timestamp\"), '%Y-%m-%d')"
IDS_SCHEMA = pa.schema(
    [pa.field("message_id", pa.string(), nullable=False), pa.field("received", pa.date32())]
)
MEMBERSHIP_SCHEMA = pa.schema(
    [
        pa.field("user_id", pa.string(), nullable=False),
        pa.field("account_external_id", pa.string(), nullable=False),
        pa.field("timestamp", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)
USER_DAY_SCHEMA = pa.schema(
    [pa.field("user_id", pa.string(), nullable=False), pa.field("day", pa.date32())]
)
PARTIAL_SCHEMA = pa.schema(
    [
        pa.field("measure", pa.string(), nullable=False),
        pa.field("account_external_id", pa.string(), nullable=False),
        pa.field("day", pa.date32(), nullable=False),
        pa.field("key", pa.string(), nullable=False),
        pa.field("value", pa.float64()),
    ]
)


@dataclass(frozen=True)
class LoadResult:
    received: int  # events read
    stored: int  # new events written
    days: tuple[date, ...]  # the UTC days of the new events

    @property
    def duplicates(self) -> int:
        return self.received - self.stored


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _files_sql(files: Sequence[str]) -> str:
    return "[" + ", ".join(_quote(f) for f in files) + "]"


class EventStore:
    def __init__(self, root: Path):
        self.root = root
        self.folder = root / "usage"
        self.log_folder = self.folder / "log"
        self.events = PartitionedParquetTable(
            root / "events", EVENT_SCHEMA, key=("message_id",), partition_sql=DAY_OF_TIMESTAMP
        )
        self.ids = PartitionedParquetTable(
            self.folder / "message_ids",
            IDS_SCHEMA,
            key=("message_id",),
            partition_sql="strftime(received, '%Y-%m-%d')",
        )
        self.memberships = PartitionedParquetTable(
            self.folder / "memberships", MEMBERSHIP_SCHEMA, key=("user_id",), partition_sql="'all'"
        )
        self.user_days = PartitionedParquetTable(
            self.folder / "user_days",
            USER_DAY_SCHEMA,
            key=("user_id", "day"),
            partition_sql="strftime(day, '%Y-%m')",
        )
        self.partials = PartitionedParquetTable(
            self.folder / "partials",
            PARTIAL_SCHEMA,
            key=("measure", "account_external_id", "key"),
            partition_sql="strftime(day, '%Y-%m-%d')",
        )
        self.state = StateFile(self.folder / "state.json")

    # -- locks ----------------------------------------------------------------------------
    @contextmanager
    def lock(self, name: str = "loader", wait: bool = True) -> Iterator[bool]:
        """An exclusive lock between processes; yields False when `wait` is off and another
        process holds it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / f"_{name}.lock", "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- days -----------------------------------------------------------------------------
    def event_days(self) -> list[date]:
        return [date.fromisoformat(p) for p in self.events.partitions()]

    def event_files(self, days: Sequence[date] | None = None) -> list[str]:
        if days is None:
            return self.events.files()
        return self.events.files([d.isoformat() for d in days])

    def partial_files(self, start: date, end: date) -> list[str]:
        wanted = [
            p for p in self.partials.partitions() if start.isoformat() <= p <= end.isoformat()
        ]
        return self.partials.files(wanted)

    def _recent_id_files(self, today: date) -> list[str]:
        cutoff = (today - timedelta(days=DEDUP_DAYS)).isoformat()
        return self.ids.files([p for p in self.ids.partitions() if p >= cutoff])

    # -- loading --------------------------------------------------------------------------
    def _fresh(self, con: duckdb.DuckDBPyConnection, incoming: pa.Table, today: date) -> None:
        """Creates the temp tables `first_seen` (incoming without repeats inside itself) and
        `fresh` (those not stored already)."""
        incoming = incoming.append_column("_ord", pa.array(range(incoming.num_rows), pa.int64()))
        con.register("incoming", incoming)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE first_seen AS SELECT *, "
            'make_timestamp("timestamp")::DATE AS day FROM incoming '
            "QUALIFY row_number() OVER (PARTITION BY message_id ORDER BY _ord) = 1"
        )
        days = [row[0] for row in con.execute("SELECT DISTINCT day FROM first_seen").fetchall()]
        sources = [*self.event_files(days), *self._recent_id_files(today)]
        if sources:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE fresh AS SELECT * FROM first_seen ANTI JOIN "
                f"(SELECT message_id FROM read_parquet({_files_sql(sources)}, "
                "union_by_name = true, hive_partitioning = false)) AS known USING (message_id)"
            )
        else:
            con.execute("CREATE OR REPLACE TEMP TABLE fresh AS SELECT * FROM first_seen")

    def add(self, incoming: pa.Table, remember_ids: bool, today: date | None = None) -> LoadResult:
        """Store the new events among `incoming` (LOG_SCHEMA records). Callers hold the loader
        lock. Safe to repeat after a crash: everything it writes is keyed."""
        today = today or utc_today()
        if incoming.num_rows == 0:
            return LoadResult(0, 0, ())
        with utc_connection() as con:
            self._fresh(con, incoming.cast(LOG_SCHEMA), today)
            days = sorted(
                row[0] for row in con.execute("SELECT DISTINCT day FROM fresh").fetchall()
            )
            # Marked before the events land: a crash in between leaves a day recomputed for
            # nothing, never a day with events its metrics do not count.
            self.mark_dirty(days)
            columns = ", ".join(
                'make_timestamp("timestamp") AT TIME ZONE \'UTC\' AS "timestamp"'
                if name == "timestamp"
                else f'"{name}"'
                for name in EVENT_COLUMNS
            )
            fresh = con.sql(f"SELECT {columns} FROM fresh ORDER BY _ord").to_arrow_table()
            self.events.upsert(fresh)
            if remember_ids:
                ids = con.sql(
                    "SELECT message_id, make_timestamp(received_at)::DATE AS received FROM fresh"
                ).to_arrow_table()
                self.ids.upsert(ids)
            self._update_memberships(con)
            user_days = con.sql(
                "SELECT DISTINCT user_id, day FROM first_seen "
                "WHERE account_external_id IS NULL AND user_id IS NOT NULL"
            ).to_arrow_table()
            self.user_days.upsert(user_days)
            return LoadResult(incoming.num_rows, fresh.num_rows, tuple(days))

    def _update_memberships(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE candidates AS SELECT user_id, account_external_id, "
            'make_timestamp("timestamp") AT TIME ZONE \'UTC\' AS "timestamp" FROM first_seen '
            "WHERE type = 'group' AND user_id IS NOT NULL AND account_external_id IS NOT NULL "
            "QUALIFY row_number() OVER (PARTITION BY user_id "
            'ORDER BY "timestamp" DESC, account_external_id DESC) = 1'
        )
        files = self.memberships.files()
        if files:
            changed = con.sql(
                "SELECT c.* FROM candidates c LEFT JOIN "
                f"read_parquet({_files_sql(files)}, hive_partitioning = false) e USING (user_id) "
                "WHERE e.user_id IS NULL OR c.timestamp > e.timestamp OR "
                "(c.timestamp = e.timestamp AND c.account_external_id > e.account_external_id)"
            ).to_arrow_table()
        else:
            changed = con.sql("SELECT * FROM candidates").to_arrow_table()
        self.memberships.upsert(changed)

    def load_log(self, wait: bool = True) -> LoadResult | None:
        """Move the closed log segments into the events table, then delete them. None when
        `wait` is off and another loader is at work."""
        with self.lock("loader", wait=wait) as locked:
            if not locked:
                return None
            segments = log.closed_segments(self.log_folder)
            if not segments:
                return LoadResult(0, 0, ())
            result = self.add(log.read_records(segments), remember_ids=True)
            for segment in segments:
                segment.unlink(missing_ok=True)
            return result

    def pending(self, today: date | None = None) -> pa.Table:
        """Acknowledged events still in the log (open segments included), without those the
        events table already has: what queries add to the table to see everything."""
        records = log.read_records(log.all_segments(self.log_folder))
        if records.num_rows == 0:
            return EVENT_SCHEMA.empty_table()
        with utc_connection() as con:
            self._fresh(con, records, today or utc_today())
            columns = ", ".join(
                'make_timestamp("timestamp") AT TIME ZONE \'UTC\' AS "timestamp"'
                if name == "timestamp"
                else f'"{name}"'
                for name in EVENT_COLUMNS
            )
            table = con.sql(f"SELECT {columns} FROM fresh ORDER BY _ord").to_arrow_table()
        return table.cast(EVENT_SCHEMA)

    # -- state ----------------------------------------------------------------------------
    def mark_dirty(self, days: Sequence[date]) -> None:
        """Days whose partials must be recomputed. Each mark gets a sequence number so that a
        computation only clears the marks it saw."""
        if not days:
            return
        with self.lock("state"), self.state.update() as state:
            sequence = int(state.get("sequence", 0)) + 1
            state["sequence"] = sequence
            dirty: dict[str, int] = state.setdefault("dirty", {})
            for day in days:
                dirty[day.isoformat()] = sequence

    def dirty(self) -> tuple[dict[date, int], int]:
        state = self.state.read()
        dirty = {date.fromisoformat(k): int(v) for k, v in state.get("dirty", {}).items()}
        return dirty, int(state.get("sequence", 0))

    def clear_dirty(self, days: Sequence[date], seen: int) -> None:
        with self.lock("state"), self.state.update() as state:
            dirty: dict[str, int] = state.get("dirty", {})
            for day in days:
                if dirty.get(day.isoformat(), seen + 1) <= seen:
                    del dirty[day.isoformat()]
            state["dirty"] = dirty

    def state_value(self, key: str, default: Any = None) -> Any:
        return self.state.read().get(key, default)

    def set_state(self, **values: Any) -> None:
        with self.lock("state"), self.state.update() as state:
            state.update(values)

    # -- derived tables -------------------------------------------------------------------
    def read_memberships(self) -> pa.Table:
        files = self.memberships.files()
        if not files:
            return MEMBERSHIP_SCHEMA.empty_table()
        with utc_connection() as con:
            table = con.sql(
                f"SELECT * FROM read_parquet({_files_sql(files)}, hive_partitioning = false)"
            ).to_arrow_table()
        return table.cast(MEMBERSHIP_SCHEMA)

    def days_of_users(self, users: Sequence[str]) -> list[date]:
        """The days on which any of these users had events naming no account."""
        files = self.user_days.files()
        if not files or not users:
            return []
        with utc_connection() as con:
            rows = con.sql(
                "SELECT DISTINCT day FROM "
                f"read_parquet({_files_sql(files)}, hive_partitioning = false) "
                "WHERE list_contains(?, user_id) ORDER BY day",
                params=[list(users)],
            ).fetchall()
        return [row[0] for row in rows]
