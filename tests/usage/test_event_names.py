"""The names of the stored events of some days, read with one plain query (the usage page's
event list), are the names the Ibis events table of those days holds."""

from __future__ import annotations

from datetime import date

from tenure.usage.service import EmbeddedSource, source_for
from tenure.warehouse import Warehouse


def test_stored_event_names_are_those_of_the_events_table(initialised, files, settings):
    calls = [
        {
            "type": "track",
            "event": name,
            "userId": f"u-{n}",
            "messageId": f"m-{n}",
            "timestamp": f"2026-11-{day:02d}T10:00:00Z",
            "context": {"groupId": "acme"},
        }
        for n, (name, day) in enumerate(
            [("Link Clicked", 2), ("Signed In", 2), ("Feature Used", 9), ("Signed In", 20)]
        )
    ]
    initialised("import", "events", str(files.jsonl("events.jsonl", calls)))
    source = source_for(settings, Warehouse(settings))
    assert isinstance(source, EmbeddedSource)
    con = source.connect()
    try:
        for start, end, wanted in [
            (date(2026, 11, 1), date(2026, 11, 30), {"Link Clicked", "Signed In", "Feature Used"}),
            (date(2026, 11, 3), date(2026, 11, 10), {"Feature Used"}),
            (date(2026, 12, 1), date(2026, 12, 31), set()),
        ]:
            table = con.to_pyarrow(source.events(con, start, end).select("event").distinct())
            assert {e for e in table.column("event").to_pylist() if e} == wanted
            assert source.stored_event_names(start, end) == wanted
    finally:
        con.disconnect()
