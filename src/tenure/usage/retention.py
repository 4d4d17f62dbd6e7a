"""The retention period of raw events (TENURE_EVENT_RETENTION_DAYS): older event days are
deleted whole; the daily metrics computed from them stay (they name no one).

The period is at least 90 days, longer than every metric window, so recomputing a recent day
still finds all the events it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from tenure.usage.store import EventStore


@dataclass(frozen=True)
class Pruned:
    before: date
    days: int
    user_day_months: int
    keep_days: int

    def summary(self) -> str:
        return (
            f"retention: {self.days} event days before {self.before} deleted "
            f"(keeping {self.keep_days} days; metrics stay)"
        )


def prune_events(store: EventStore, keep_days: int, today: date) -> Pruned:
    """Delete the event partitions (days) before `today - keep_days`, and the per-user days
    of the months wholly before it."""
    cutoff = today - timedelta(days=keep_days)
    # Under the loader lock: the intake loader never writes a day while it is being dropped.
    with store.lock("loader"):
        old_days = [p for p in store.events.partitions() if p < cutoff.isoformat()]
        if old_days:
            store.events.replace(store.events.schema.empty_table(), old_days)
        last_month = cutoff.replace(day=1)
        old_months = [p for p in store.user_days.partitions() if p < last_month.isoformat()[:7]]
        if old_months:
            store.user_days.replace(store.user_days.schema.empty_table(), old_months)
    return Pruned(cutoff, len(old_days), len(old_months), keep_days)
