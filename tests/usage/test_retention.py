"""The retention period of raw events: older event days go, the daily metrics stay."""

from __future__ import annotations

from tenure.usage.store import EventStore
from tests.accounts.test_erase import EVENTS
from tests.ops.test_backup import warehouse_files


def test_events_older_than_the_retention_period_are_deleted_and_metrics_stay(
    initialised, files, book, settings
):
    book.load(initialised)
    initialised("import", "events", str(files.text("events.jsonl", EVENTS)))
    initialised("metrics", "compute", "--as-of", "2026-11-20")
    store = EventStore(settings.data_dir / "warehouse")
    metrics_before = {
        k: v for k, v in warehouse_files(store.root).items() if k.startswith("metrics/")
    }
    refused = initialised("usage", "prune", ok=False)
    assert "set TENURE_EVENT_RETENTION_DAYS" in refused.stderr
    initialised.env["TENURE_EVENT_RETENTION_DAYS"] = "90"
    # 90 days before 2027-02-06 is 2026-11-08: the first seven event days go.
    done = initialised("usage", "prune", "--as-of", "2027-02-06")
    assert "7 event days before 2026-11-08 deleted" in done.stderr
    assert store.events.partitions() == [f"2026-11-{d:02d}" for d in range(8, 11)]
    after = {k: v for k, v in warehouse_files(store.root).items() if k.startswith("metrics/")}
    assert after == metrics_before
