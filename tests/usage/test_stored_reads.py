"""What the usage page reads of the stored events with plain DuckDB queries (the event list,
the counts by account) is what the Ibis expressions of the same give."""

from __future__ import annotations

from datetime import date

import ibis
import pyarrow.compute as pc
import pytest

from tenure.db import Database
from tenure.usage import compute
from tenure.usage.service import EmbeddedSource, source_for
from tenure.usage.sources import accounts_table, contacts_table
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


def _call(n: int, user: str | None, when: str, event: str = "Link Clicked", **more: object):
    call: dict[str, object] = {"type": "track", "event": event, "messageId": f"m-{n}"}
    call |= {"userId": user} if user else {"anonymousId": f"anon-{n}"}
    return {**call, "timestamp": when, **more}


def _group(n: int, user: str, account: str, when: str) -> dict[str, object]:
    return {
        "type": "group",
        "userId": user,
        "groupId": account,
        "messageId": f"g-{n}",
        "timestamp": when,
    }


CALLS = [
    # u-1 and u-2 are acme's contacts; u-2 joined globex by a group call since.
    _call(1, "u-1", "2026-11-02T00:30:00Z"),
    _call(2, "u-1", "2026-11-01T23:59:00Z"),  # a Sunday, UTC: the week before
    _call(3, "u-2", "2026-11-09T12:00:00Z"),
    _group(4, "u-2", "globex", "2026-11-03T08:00:00Z"),
    # u-3 joined globex then initech: the latest call wins.
    _group(5, "u-3", "globex", "2026-11-01T08:00:00Z"),
    _group(6, "u-3", "initech", "2026-11-05T08:00:00Z"),
    _call(7, "u-3", "2026-11-10T08:00:00Z"),
    _call(8, "u-3", "2026-11-30T23:00:00Z"),
    # u-4: two calls at once, the greatest account id wins.
    _group(9, "u-4", "globex", "2026-11-04T08:00:00Z"),
    _group(10, "u-4", "initech", "2026-11-04T08:00:00Z"),
    _call(11, "u-4", "2026-11-20T08:00:00Z"),
    # Named in the call itself; no account at all; another event.
    _call(12, "u-9", "2026-11-21T08:00:00Z", context={"groupId": "acme"}),
    _call(13, None, "2026-11-22T08:00:00Z"),
    _call(14, "u-1", "2026-11-23T08:00:00Z", event="Signed In"),
    _call(15, "u-1", "2026-12-01T08:00:00Z"),
]


@pytest.mark.parametrize("interval", ["day", "week", "month"])
@pytest.mark.parametrize("tier", [None, "paid", "trial"])
def test_stored_counts_by_account_are_the_ibis_counts(
    initialised, files, settings, book, interval, tier
):
    book.load(initialised)
    initialised("import", "events", str(files.jsonl("calls.jsonl", CALLS)))
    source = source_for(settings, Warehouse(settings))
    assert isinstance(source, EmbeddedSource)
    database = Database(settings)
    with database.unit_of_work() as session:
        contacts, accounts = contacts_table(session), accounts_table(session)
    database.dispose()
    chosen = None
    if tier is not None:
        chosen = accounts.filter(pc.equal(accounts["tier"], tier))
    start, end = date(2026, 11, 1), date(2026, 11, 30)
    con = source.connect()
    try:
        links = compute.user_links(source.memberships(con), ibis.memtable(contacts))
        attributed = compute.attribute(source.events(con, start, end), links)
        ids = None if chosen is None else ibis.memtable(chosen).select("account_external_id")
        expr = compute.usage_stats(
            attributed, "Link Clicked", "account", interval, start, end, "duckdb", ids
        )
        wanted = [
            (r["account_external_id"], r["period"], r["count"])
            for r in con.to_pyarrow(expr).to_pylist()
        ]
    finally:
        con.disconnect()
    listed = None if chosen is None else chosen.column("account_external_id").to_pylist()
    found = source.stored_account_counts("Link Clicked", interval, start, end, contacts, listed)
    assert found == wanted
    if tier != "trial":
        assert found
    else:
        assert not found
