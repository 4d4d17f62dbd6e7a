"""Usage services: compute the metric catalogue into the metrics series, query usage
statistics, run the daily job. They read entities through the session and never commit.

On the embedded store metrics are incremental: a day's partials (see tenure.usage.compute)
are computed once from that day's events and recomputed only when the day changes (late
events, a user's account becoming known, a new catalogue); a day's metrics are recomputed
when a partial inside their window changed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from tenure.config import Settings
from tenure.kit.errors import TenureError
from tenure.kit.progress import OnProgress, progress_bar
from tenure.usage import compute, rollup
from tenure.usage.catalogue import PROPERTY_NAME, Catalogue, load_catalogue
from tenure.usage.events import loose
from tenure.usage.sources import (
    ACCOUNTS_SCHEMA,
    CONTACTS_SCHEMA,
    EmbeddedSource,
    ExternalSource,
    accounts_table,
    contacts_table,
    read_parquet,
    source_for,
)
from tenure.usage.store import PARTIAL_SCHEMA, EventStore, LoadResult
from tenure.warehouse import Warehouse, metric_schema

# Engines that would otherwise recompute shared intermediate tables once per use (Spark
# keeps no common subexpressions across a plan); Ibis caches them there for the query.
CACHING_ENGINES = ("pyspark",)
# Days computed per query: bounds memory on long backfills.
CHUNK_DAYS = 31
LINKS_SCHEMA = pa.schema(
    [pa.field("user_id", pa.string()), pa.field("account_external_id", pa.string())]
)


def catalogue_for(settings: Settings) -> Catalogue:
    return load_catalogue(settings.metric_catalogue)


def day_range(start: date, end: date) -> list[date]:
    if end < start:
        raise TenureError(f"--to {end} is before --from {start}")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _chunks(days: Sequence[date], size: int = CHUNK_DAYS) -> Iterable[list[date]]:
    ordered = sorted(days)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _ranges(days: Iterable[date]) -> list[list[str]]:
    """Sorted days as [first, last] runs of consecutive days (how computed days are kept)."""
    runs: list[list[date]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [[a.isoformat(), b.isoformat()] for a, b in runs]


def _days_of(ranges: Iterable[Sequence[str]]) -> set[date]:
    return {
        day
        for first, last in ranges
        for day in day_range(date.fromisoformat(first), date.fromisoformat(last))
    }


@dataclass
class MetricRun:
    days: list[date]  # the days whose metrics were (re)computed
    rows: int  # metric values written
    partial_days: list[date] = field(default_factory=list)  # days whose partials were rebuilt
    metrics: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.days:
            return "no metrics to compute"
        span = (
            self.days[0].isoformat()
            if len(self.days) == 1
            else f"{len(self.days)} days from {self.days[0]} to {self.days[-1]}"
        )
        rebuilt = f"; {len(self.partial_days)} days of events read" if self.partial_days else ""
        return f"{len(self.metrics)} metrics for {span}: {self.rows:,} values written{rebuilt}"

    def record(self) -> dict[str, Any]:
        """The run as `tenure metrics compute` prints it (and `tenure daily`, without the span)."""
        return {
            "from": self.days[0] if self.days else None,
            "to": self.days[-1] if self.days else None,
            "days": len(self.days),
            "metrics": len(self.metrics),
            "values": self.rows,
            "event_days_read": len(self.partial_days),
        }


def _as_metric_rows(table: pa.Table) -> pa.Table:
    schema = metric_schema()
    return table.select(list(schema.names)).cast(schema)


# -- the embedded, incremental path ---------------------------------------------------------
def _links(store: EventStore, contacts: pa.Table) -> pa.Table:
    memberships = ibis.memtable(loose(store.read_memberships()))
    links = compute.user_links(
        memberships.select("user_id", "account_external_id"), ibis.memtable(contacts)
    )
    con = ibis.duckdb.connect()
    try:
        result = con.to_pyarrow(links.order_by("user_id"))
    finally:
        con.disconnect()
    return result.cast(LINKS_SCHEMA)


def _changed_users(old: pa.Table, new: pa.Table) -> list[str]:
    before = dict(
        zip(old["user_id"].to_pylist(), old["account_external_id"].to_pylist(), strict=True)
    )
    after = dict(
        zip(new["user_id"].to_pylist(), new["account_external_id"].to_pylist(), strict=True)
    )
    return sorted(u for u in before.keys() | after.keys() if before.get(u) != after.get(u))


def _links_path(store: EventStore) -> Path:
    return store.folder / "links.parquet"


def _save_links(store: EventStore, links: pa.Table) -> None:
    path = _links_path(store)
    tmp = path.with_suffix(".tmp")
    pq.write_table(links, tmp)
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _read_links(store: EventStore) -> pa.Table:
    path = _links_path(store)
    if not path.exists():
        return LINKS_SCHEMA.empty_table()
    return pq.read_table(path).cast(LINKS_SCHEMA)


def rebuild_partials(
    store: EventStore,
    warehouse: Warehouse,
    days: Sequence[date],
    links: pa.Table,
    catalogue: Catalogue,
    fast: bool = True,
) -> None:
    """Recompute the partials of these days from their events (all measures): counts,
    distinct users and text property values through the NumPy fast path (`fast`), the rest
    through the Ibis definitions on DuckDB."""
    measures = catalogue.measures()
    con = warehouse.connect()
    try:
        for chunk in _chunks(days):
            parts: list[pa.Table] = []
            by_ibis: dict[tuple[str, ...], list[date]] = {}
            for day in chunk:
                files = store.event_files([day])
                if not files:
                    continue
                left = measures
                if fast:
                    quick = [m for m in measures if m.kind in rollup.FAST_KINDS]
                    table = rollup.read_day(files, any(m.kind == "values" for m in quick))
                    rows, slow = rollup.day_partials(table, day, quick, links)
                    parts.append(rows)
                    left = [m for m in measures if m.kind not in rollup.FAST_KINDS] + slow
                if left:
                    by_ibis.setdefault(tuple(sorted(m.id for m in left)), []).append(day)
            by_id = {m.id: m for m in measures}
            for ids, ibis_days in by_ibis.items():
                events = read_parquet(con, store.event_files(ibis_days))
                attributed = compute.attribute(events, ibis.memtable(links))
                expr = compute.partials(attributed, [by_id[i] for i in ids], "duckdb")
                parts.append(con.to_pyarrow(expr))
            rows = (
                pa.concat_tables([p.cast(PARTIAL_SCHEMA) for p in parts])
                if parts
                else PARTIAL_SCHEMA.empty_table()
            )
            store.partials.replace(rows, [d.isoformat() for d in chunk])
    finally:
        con.disconnect()


def _metric_values(
    store: EventStore,
    warehouse: Warehouse,
    days: Sequence[date],
    accounts: pa.Table,
    catalogue: Catalogue,
) -> pa.Table:
    lookback = catalogue.lookback_days()
    files = store.partial_files(min(days) - timedelta(days=lookback - 1), max(days))
    con = warehouse.connect()
    try:
        partials = read_parquet(con, files) if files else compute.empty_partials()
        expr = compute.metric_values(partials, days, ibis.memtable(accounts), catalogue, "duckdb")
        return _as_metric_rows(con.to_pyarrow(expr))
    finally:
        con.disconnect()


def compute_embedded(
    session: Session,
    warehouse: Warehouse,
    days: Sequence[date],
    catalogue: Catalogue,
    progress: OnProgress | None = None,
) -> MetricRun:
    store = EventStore(warehouse.root)
    store.load_log()
    accounts = accounts_table(session)
    contacts = contacts_table(session)
    lookback = catalogue.lookback_days()
    with store.lock("metrics"):
        links = _links(store, contacts)
        changed = _changed_users(_read_links(store), links)
        if changed:
            store.mark_dirty(store.days_of_users(changed))
        measures = sorted(m.id for m in catalogue.measures())
        if store.state_value("measures") != measures:
            # A new catalogue: every day's partials are rebuilt when next needed.
            store.mark_dirty(store.event_days())
            store.set_state(measures=measures)
        _save_links(store, links)
        dirty, seen = store.dirty()
        computed = _days_of(store.state_value("computed", []))
        stale = {
            day for day in computed if any(x <= day < x + timedelta(days=lookback) for x in dirty)
        }
        recompute = sorted(set(days) | stale)
        needed = {day - timedelta(days=n) for day in recompute for n in range(lookback)}
        rebuild = sorted(set(dirty) & needed)
        rows = 0
        total = len(rebuild) + len(recompute)
        with progress_bar("computing usage metrics", total, progress) as bar:
            for chunk in _chunks(rebuild):
                rebuild_partials(store, warehouse, chunk, links, catalogue)
                bar.advance(len(chunk))
            for chunk in _chunks(recompute):
                values = _metric_values(store, warehouse, chunk, accounts, catalogue)
                warehouse.metrics.write(values)
                rows += values.num_rows
                bar.advance(len(chunk))
        store.set_state(computed=_ranges(computed | set(recompute)))
        store.clear_dirty(rebuild, seen)
    return MetricRun(recompute, rows, rebuild, catalogue.names())


# -- any engine: straight from the events ---------------------------------------------------
def _cached(con: Any, table: Any, engine: str) -> Any:
    if engine not in CACHING_ENGINES:
        return table
    # Ibis's cache() on Spark compiles the query before registering the in-memory tables it
    # reads (accounts, contacts): register them first.
    con._run_pre_execute_hooks(table)
    return table.cache()


def metrics_from_events(
    con: Any,
    events: Any,
    days: Sequence[date],
    accounts: pa.Table,
    contacts: pa.Table,
    catalogue: Catalogue,
    engine: str,
) -> pa.Table:
    """The catalogue's metrics for these days computed in one engine from an events table
    (an Ibis table with the event columns): what runs on Spark, PostgreSQL or any warehouse
    that keeps the events itself. Reads each day's lookback of events."""
    lookback = catalogue.lookback_days()
    start = min(days) - timedelta(days=lookback - 1)
    links = compute.user_links(compute.group_memberships(events), ibis.memtable(contacts))
    low = ibis.timestamp(f"{start.isoformat()}T00:00:00+00:00")
    high = ibis.timestamp(f"{(max(days) + timedelta(days=1)).isoformat()}T00:00:00+00:00")
    window = events.filter(events.timestamp >= low, events.timestamp < high)
    attributed = _cached(con, compute.attribute(window, links), engine)
    partials = _cached(con, compute.partials(attributed, catalogue.measures(), engine), engine)
    expr = compute.metric_values(partials, days, ibis.memtable(accounts), catalogue, engine)
    return _as_metric_rows(con.to_pyarrow(expr))


def compute_external(
    session: Session,
    warehouse: Warehouse,
    source: ExternalSource,
    days: Sequence[date],
    catalogue: Catalogue,
    progress: OnProgress | None = None,
) -> MetricRun:
    accounts = accounts_table(session)
    contacts = contacts_table(session)
    con = source.connect()
    rows = 0
    try:
        events = source.table(con)
        with progress_bar("computing usage metrics", len(days), progress) as bar:
            for chunk in _chunks(days):
                values = metrics_from_events(
                    con, events, chunk, accounts, contacts, catalogue, source.engine
                )
                warehouse.metrics.write(values)
                rows += values.num_rows
                bar.advance(len(chunk))
    finally:
        con.disconnect()
    return MetricRun(sorted(days), rows, [], catalogue.names())


def compute_metrics(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    days: Sequence[date],
    progress: OnProgress | None = None,
) -> MetricRun:
    """Compute the catalogue for these days into the metrics series. `progress` is told the
    days done so far (else a bar on stderr)."""
    catalogue = catalogue_for(settings)
    source = source_for(settings, warehouse)
    if isinstance(source, ExternalSource):
        return compute_external(session, warehouse, source, days, catalogue, progress)
    return compute_embedded(session, warehouse, days, catalogue, progress)


# -- statistics -----------------------------------------------------------------------------
RESERVED = {"account_external_id", "period", "count"}


def check_by(by: str) -> str:
    if by in ("account", "user"):
        return by
    if by.startswith("property:"):
        name = by.removeprefix("property:")
        if not PROPERTY_NAME.match(name) or name in RESERVED:
            raise TenureError(
                f"--by {by!r}: a property name is letters, digits and _ "
                f"(and not {', '.join(sorted(RESERVED))})"
            )
        return by
    raise TenureError(f"--by {by!r}: use account, user or property:NAME")


def usage_stats(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    event: str,
    by: str,
    interval: str,
    start: date,
    end: date,
    tier: str | None = None,
    check_event: bool = True,
) -> list[dict[str, Any]]:
    """Counts of one event per account and period (and per user or property value). With
    `check_event`, no counts for an event no one sent in the period is an error that lists
    the events that were sent (a page that offers only known events skips that)."""
    check_by(by)
    if interval not in compute.INTERVALS:
        raise TenureError(f"--interval {interval!r}: use day, week or month")
    if end < start:
        raise TenureError(f"--to {end} is before --from {start}")
    source = source_for(settings, warehouse)
    contacts = contacts_table(session)
    accounts = accounts_table(session)
    pending = source.store.pending() if isinstance(source, EmbeddedSource) else None
    stored_only = pending is not None and pending.num_rows == 0
    if isinstance(source, EmbeddedSource) and by == "account" and stored_only:
        # Only stored events, by account: one plain query (the Ibis compile of the same is
        # most of the usage page's time). With no counts and check_event, Ibis says why.
        chosen_ids = None
        if tier is not None:
            chosen_ids = accounts.filter(pc.equal(accounts["tier"], tier))
            chosen_ids = chosen_ids.column("account_external_id").to_pylist()
        counted = source.stored_account_counts(event, interval, start, end, contacts, chosen_ids)
        if counted or not check_event:
            return [{"account_external_id": a, "period": p, "count": n} for a, p, n in counted]
    con = source.connect()
    try:
        events = source.events(con, start, end, pending)
        links = compute.user_links(source.memberships(con, pending), ibis.memtable(contacts))
        attributed = compute.attribute(events, links)
        chosen = None
        if tier is not None:
            chosen = ibis.memtable(accounts.filter(pc.equal(accounts["tier"], tier)))
            chosen = chosen.select("account_external_id")
        expr = compute.usage_stats(
            attributed, event, by, interval, start, end, source.engine, chosen
        )
        table = con.to_pyarrow(expr)
        if table.num_rows == 0 and check_event:
            _check_event(con, events, event, start, end)
    finally:
        con.disconnect()
    return [
        {**row, "period": row["period"], "count": int(row["count"])} for row in table.to_pylist()
    ]


def _check_event(con: Any, events: ir.Table, event: str, start: date, end: date) -> None:
    """No counts at all: say so when no event of that name happened in the period, with the
    names that did (a typo or another capitalisation is the usual cause)."""
    names = con.to_pyarrow(events.filter(events.event.notnull()).select("event").distinct())
    known = sorted(str(n) for n in names.column("event").to_pylist())
    if event in known:
        return
    if not known:
        raise TenureError(f"--event {event!r}: no events at all from {start} to {end}")
    close = get_close_matches(event, known, n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    shown = ", ".join(known[:30]) + (f" and {len(known) - 30} more" if len(known) > 30 else "")
    raise TenureError(
        f"--event {event!r}: no such event from {start} to {end}{hint}; known events: {shown}"
    )


# -- the intake log --------------------------------------------------------------------------
def load_intake(warehouse: Warehouse, settings: Settings) -> LoadResult | None:
    """Move the intake log into the events table (nothing to do with an external source)."""
    if settings.events_url:
        return None
    return EventStore(warehouse.root).load_log()


__all__ = [
    "ACCOUNTS_SCHEMA",
    "CONTACTS_SCHEMA",
    "EmbeddedSource",
    "MetricRun",
    "compute_metrics",
    "load_catalogue",
    "load_intake",
    "metrics_from_events",
    "source_for",
    "usage_stats",
]
