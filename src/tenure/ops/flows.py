"""The daily job (`tenure daily`): events -> metrics -> health for a day, then the events'
retention. It spans usage and health, so it lives here rather than in usage/ (health reads
usage's metric catalogue: usage importing health would make a cycle).

A flow commits nothing itself: each step that writes to the app database runs in a unit of
work the caller provides, committed when the step ends, as the command did before.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from tenure.config import Settings
from tenure.health import service as health
from tenure.usage import service as usage
from tenure.usage.retention import Pruned, prune_events
from tenure.usage.store import EventStore, LoadResult
from tenure.warehouse import Warehouse

UnitOfWork = Callable[[], AbstractContextManager[Session]]


@dataclass(frozen=True)
class DailyResult:
    day: date
    loaded: LoadResult | None  # None when events come from an external source
    metrics: usage.MetricRun
    health: health.ComputeResult
    pruned: Pruned | None  # None unless TENURE_EVENT_RETENTION_DAYS is set

    def health_summary(self) -> str:
        return f"health: {self.health.snapshots} snapshots for {self.day}"


def run_daily(
    unit_of_work: UnitOfWork, warehouse: Warehouse, settings: Settings, day: date
) -> DailyResult:
    """Load the intake log, compute the day's usage metrics (and redo the days late events
    touched), score health for the day, then delete events past their retention. Metrics are
    committed before health is scored: health reads them."""
    loaded = usage.load_intake(warehouse, settings)
    with unit_of_work() as session:
        metrics = usage.compute_metrics(session, warehouse, settings, [day])
    with unit_of_work() as session:
        scored = health.compute(session, warehouse, day, day)
    keep = settings.event_retention_days
    pruned = None if keep is None else prune_events(EventStore(warehouse.root), keep, day)
    return DailyResult(day, loaded, metrics, scored, pruned)
