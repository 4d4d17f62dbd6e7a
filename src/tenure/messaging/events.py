"""The product events of a time window, each tied to its account (Ibis over the warehouse:
Tenure's own store, or a company's events table read in place)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend
from sqlalchemy.orm import Session

from tenure.config import Settings
from tenure.usage import compute
from tenure.usage.sources import EmbeddedSource, contacts_table, source_for
from tenure.warehouse import Warehouse


@dataclass
class Window:
    """Attributed events (columns of the event store plus `day`, `user_key` and the
    account) with `timestamp` in [start, end)."""

    con: BaseBackend
    events: ir.Table
    engine: str

    def property(self, table: ir.Table, name: str) -> ir.StringValue:
        return compute.property_text(table.properties, name, self.engine)


@contextmanager
def window(
    session: Session, warehouse: Warehouse, settings: Settings, start: datetime, end: datetime
) -> Iterator[Window]:
    source = source_for(settings, warehouse)
    pending = source.store.pending() if isinstance(source, EmbeddedSource) else None
    con = source.connect()
    try:
        # Whole days first (partitions, indexes), then the exact instants.
        events = source.events(con, start.date(), end.date(), pending)
        events = events.filter(events.timestamp >= start, events.timestamp < end)
        links = compute.user_links(
            source.memberships(con, pending), ibis.memtable(contacts_table(session))
        )
        yield Window(con, compute.attribute(events, links), source.engine)
    finally:
        con.disconnect()
