"""Where events are read from: Tenure's own store (DuckDB over Parquet, plus the intake log
not loaded yet) or a table in a company's own warehouse, reached through Ibis with a column
mapping and never copied."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.config import Settings
from tenure.kit.errors import TenureError
from tenure.models import Account, Contact
from tenure.usage import compute
from tenure.usage.events import EVENT_COLUMNS, EVENT_SCHEMA, loose
from tenure.usage.store import EventStore
from tenure.warehouse import Warehouse

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

EVENT_TYPES = {
    "message_id": "string",
    "type": "string",
    "event": "string",
    "user_id": "string",
    "anonymous_id": "string",
    "account_external_id": "string",
    "timestamp": "timestamp('UTC')",
    "properties": "string",
}


def read_parquet(con: BaseBackend, files: list[str]) -> ir.Table:
    """Parquet files as an Ibis table on the embedded DuckDB."""
    with warnings.catch_warnings():
        # Ibis 12 still calls DuckDB's fetch_arrow_table(), deprecated in DuckDB 2.
        warnings.filterwarnings("ignore", "fetch_arrow_table", DeprecationWarning)
        table: ir.Table = con.read_parquet(files, hive_partitioning=False)
    return table


def empty_events() -> ir.Table:
    return ibis.memtable(loose(EVENT_SCHEMA.empty_table()))


def _day_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    low = datetime.combine(start, time(), tzinfo=UTC) if start else None
    high = datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC) if end else None
    return low, high


def _between(events: ir.Table, start: date | None, end: date | None) -> ir.Table:
    # Bounds on the timestamp itself (not its date) let engines use indexes and partitions.
    low, high = _day_bounds(start, end)
    if low is not None:
        events = events.filter(events.timestamp >= low)
    if high is not None:
        events = events.filter(events.timestamp < high)
    return events


@dataclass
class EmbeddedSource:
    """Tenure's own event store; `pending` events (still in the intake log) are read too."""

    store: EventStore
    warehouse: Warehouse
    engine: str = "duckdb"

    def connect(self) -> BaseBackend:
        return self.warehouse.connect()

    def events(
        self,
        con: BaseBackend,
        start: date | None = None,
        end: date | None = None,
        pending: pa.Table | None = None,
    ) -> ir.Table:
        files = self._files(start, end)
        stored = read_parquet(con, files).select(*EVENT_COLUMNS) if files else empty_events()
        if pending is not None and pending.num_rows:
            stored = stored.union(_between(ibis.memtable(loose(pending)), start, end))
        return stored

    def stored_event_names(self, start: date, end: date) -> set[str]:
        """The names of the stored events of these days (`events` without the intake log,
        names only): one DuckDB query, without the Ibis compile (tens of ms) of `events`."""
        from tenure.warehouse.reader import reader

        files = self._files(start, end)
        if not files:
            return set()
        found = reader().execute(
            "SELECT DISTINCT event FROM read_parquet(?, hive_partitioning = false)", [files]
        )
        return {name for (name,) in found.fetchall() if name}

    def stored_account_counts(
        self,
        event: str,
        interval: str,
        start: date,
        end: date,
        contacts: pa.Table,
        accounts: Sequence[str] | None = None,
    ) -> list[tuple[str, date, int]]:
        """`compute.usage_stats` by account of the stored events (not the intake log), as
        (account, period, count) rows in that order: the same attribution (`group` calls,
        else contacts' user ids) in one plain DuckDB query, without the Ibis compile (tens of
        ms, most of the usage page). `contacts`: `contacts_table`; `accounts`: only these."""
        from tenure.warehouse.reader import reader

        files = self._files(start, end)
        if not files:
            return []
        calls = self.store.memberships.files()
        period = {
            "day": "day",
            "week": "CAST(date_trunc('week', day) AS DATE)",  # from Monday, as Ibis's
            "month": "CAST(date_trunc('month', day) AS DATE)",
        }
        sql = _ACCOUNT_COUNTS.format(
            period=period[interval],
            calls=("read_parquet(?, hive_partitioning = false)" if calls else _NO_CALLS),
        )
        params: list[object] = [files, event, start, end]
        params += [calls] if calls else []
        params += [
            contacts.column("user_id").to_pylist(),
            contacts.column("account_external_id").to_pylist(),
            None if accounts is None else list(accounts),
            None if accounts is None else list(accounts),
        ]
        found = reader().execute(sql, params).fetchall()
        return [(account, day, int(count)) for account, day, count in found]

    def _files(self, start: date | None, end: date | None) -> list[str]:
        """The events table's files of the days from `start` to `end` (all when unbounded)."""
        if start is not None and end is not None:
            days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
            wanted = {d.isoformat() for d in days}
            present = [p for p in self.store.events.partitions() if p in wanted]
            return self.store.events.files(present)
        return self.store.events.files()

    def memberships(self, _con: BaseBackend, pending: pa.Table | None = None) -> ir.Table:
        stored = self.store.read_memberships()
        calls = ibis.memtable(loose(stored)).mutate(type=ibis.literal("group"))
        calls = calls.select("type", "user_id", "account_external_id", "timestamp")
        if pending is not None and pending.num_rows:
            tail = ibis.memtable(loose(pending)).select(
                "type", "user_id", "account_external_id", "timestamp"
            )
            calls = calls.union(tail)
        return compute.group_memberships(calls)


# compute.group_memberships, user_links, attribute and usage_stats (by account) in SQL, as
# Ibis compiles them for DuckDB; days are UTC days (the timestamps' own zone, whatever the
# connection's).
_ACCOUNT_COUNTS = """
WITH days AS (
    SELECT user_id, account_external_id, CAST(timezone('UTC', "timestamp") AS DATE) AS day
    FROM read_parquet(?, hive_partitioning = false) WHERE event = ?
), events AS (
    -- Counted per user and period before the join: many events, few users.
    SELECT user_id, account_external_id, {period} AS period, count(*) AS events
    FROM days WHERE day >= ? AND day <= ? GROUP BY ALL
), calls AS (
    SELECT user_id, account_external_id, "timestamp" FROM {calls}
    WHERE user_id IS NOT NULL AND account_external_id IS NOT NULL
), memberships AS (
    SELECT c.user_id, max(c.account_external_id) AS account_external_id
    FROM calls c
    JOIN (SELECT user_id, max("timestamp") AS latest FROM calls GROUP BY user_id) l
        ON c.user_id = l.user_id AND c."timestamp" = l.latest
    GROUP BY c.user_id
), contacts AS (
    SELECT user_id, max(account_external_id) AS account_external_id
    FROM (SELECT unnest(?::VARCHAR[]) AS user_id, unnest(?::VARCHAR[]) AS account_external_id)
    WHERE user_id IS NOT NULL GROUP BY user_id
), links AS (
    SELECT user_id, account_external_id FROM memberships
    UNION ALL
    SELECT user_id, account_external_id FROM contacts c
    WHERE NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = c.user_id)
), attributed AS (
    SELECT coalesce(e.account_external_id, l.account_external_id) AS account_external_id,
        e.period, e.events
    FROM events e LEFT JOIN links l ON e.user_id = l.user_id
)
SELECT account_external_id, period, sum(events) AS count FROM attributed
WHERE account_external_id IS NOT NULL AND (? IS NULL OR list_contains(?, account_external_id))
GROUP BY ALL ORDER BY account_external_id, period
"""
_NO_CALLS = (
    "(SELECT NULL::VARCHAR AS user_id, NULL::VARCHAR AS account_external_id, "
    'NULL::TIMESTAMPTZ AS "timestamp" WHERE false)'
)


@dataclass
class ExternalSource:
    """A company's own events table, through Ibis (TENURE_EVENTS_URL and friends)."""

    settings: Settings

    @property
    def engine(self) -> str:
        url = self.settings.events_url or ""
        scheme = url.split("://", 1)[0].split("+", 1)[0]
        return {"postgresql": "postgres"}.get(scheme, scheme)

    def connect(self) -> BaseBackend:
        try:
            return ibis.connect(self.settings.events_url)
        except Exception as error:
            raise TenureError(
                f"TENURE_EVENTS_URL: cannot connect ({type(error).__name__}: {error})"
            ) from None

    def table(self, con: BaseBackend) -> ir.Table:
        name = self.settings.events_table
        schema, _, table_name = name.rpartition(".")
        try:
            raw = con.table(table_name, database=schema or None)
        except Exception as error:
            raise TenureError(
                f"TENURE_EVENTS_TABLE: {name!r}: cannot read it ({type(error).__name__})"
            ) from None
        return mapped_events(raw, self.settings.events_columns, name)

    def events(
        self,
        con: BaseBackend,
        start: date | None = None,
        end: date | None = None,
        _pending: pa.Table | None = None,
    ) -> ir.Table:
        return _between(self.table(con), start, end)

    def memberships(self, con: BaseBackend, _pending: pa.Table | None = None) -> ir.Table:
        return compute.group_memberships(self.table(con))


def mapped_events(raw: ir.Table, mapping: dict[str, str], where: str) -> ir.Table:
    """A table of someone else's columns as Tenure's event columns."""
    unknown = sorted(set(mapping) - set(EVENT_COLUMNS))
    if unknown:
        raise TenureError(
            f"TENURE_EVENTS_COLUMNS: {', '.join(unknown)}: not event columns "
            f"(they are {', '.join(EVENT_COLUMNS)})"
        )
    columns: dict[str, Any] = {}
    missing = []
    for name in EVENT_COLUMNS:
        source = mapping.get(name, name)
        if source not in raw.columns:
            missing.append(f"{name} (looked for {source!r})")
            continue
        columns[name] = raw[source].cast(EVENT_TYPES[name])
    if missing:
        raise TenureError(
            f"{where}: columns not found: {', '.join(missing)}; map them with TENURE_EVENTS_COLUMNS"
        )
    return raw.select(**columns)


def source_for(settings: Settings, warehouse: Warehouse) -> EmbeddedSource | ExternalSource:
    if settings.events_url:
        return ExternalSource(settings)
    return EmbeddedSource(EventStore(warehouse.root), warehouse)


# -- entities the computations need -------------------------------------------------------
ACCOUNTS_SCHEMA = pa.schema(
    [
        pa.field("account_external_id", pa.string()),
        pa.field("customer_since", pa.date32()),
        pa.field("tier", pa.string()),
    ]
)
CONTACTS_SCHEMA = pa.schema(
    [pa.field("user_id", pa.string()), pa.field("account_external_id", pa.string())]
)


def accounts_table(session: Session) -> pa.Table:
    rows = session.execute(select(Account.external_id, Account.customer_since, Account.tier))
    data = [
        {"account_external_id": e, "customer_since": s, "tier": t.value if t else None}
        for e, s, t in rows
    ]
    return pa.Table.from_pylist(data, schema=ACCOUNTS_SCHEMA)


def contacts_table(session: Session) -> pa.Table:
    rows = session.execute(
        select(Contact.user_id, Account.external_id)
        .join(Account, Contact.account_id == Account.id)
        .where(Contact.user_id.is_not(None))
    )
    data = [{"user_id": u, "account_external_id": a} for u, a in rows]
    return pa.Table.from_pylist(data, schema=CONTACTS_SCHEMA)
