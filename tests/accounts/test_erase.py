"""`tenure contacts erase EMAIL`: the person leaves the database and the warehouse; figures
that name nobody stay; the erasure is audited without the email."""

from __future__ import annotations

import duckdb
import sqlalchemy as sa

from tenure.models import AuditEntry, Contact, SurveyResponse
from tenure.usage.store import EventStore
from tests.ops.test_backup import warehouse_files

EVENTS = "".join(
    f'{{"type": "track", "event": "Logged In", "userId": "u-{1 + i % 2}", "messageId": "e{i}", '
    f'"timestamp": "2026-11-{1 + i % 10:02d}T10:00:00Z", "context": {{"groupId": "acme"}}}}\n'
    for i in range(30)
)


def users_in_events(store: EventStore) -> dict[str, int]:
    files = store.events.files()
    rows = duckdb.sql(
        f"SELECT user_id, count(*) FROM read_parquet({files!r}) GROUP BY user_id"
    ).fetchall()
    return dict(rows)


def test_erasing_a_person_removes_them_and_keeps_the_aggregates(
    initialised, book, files, settings, database
):
    book.load(initialised)
    initialised("import", "events", str(files.text("events.jsonl", EVENTS)))
    initialised("metrics", "compute", "--as-of", "2026-11-20")
    store = EventStore(settings.data_dir / "warehouse")
    assert users_in_events(store) == {"u-1": 15, "u-2": 15}
    metrics_before = {
        k: v for k, v in warehouse_files(store.root).items() if k.startswith("metrics/")
    }

    out = initialised("contacts", "erase", " Carla@ACME.com", "--format", "json").json()
    assert out == [
        {
            "target": out[0]["target"],
            "contacts": 1,
            "survey_answers": 1,
            "events": 15,
            "user_rows": out[0]["user_rows"],
        }
    ]
    assert users_in_events(store) == {"u-2": 15}
    with database.sessions() as s:
        assert s.scalars(sa.select(Contact.email)).all() == ["dan@acme.com"]
        answer = s.scalar(sa.select(SurveyResponse).where(SurveyResponse.external_id == "s1"))
        assert answer is not None
        assert (answer.contact_email, answer.comment, answer.score) == (None, None, 9)
        audit = s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "contact.erase")).all()
    assert [e.target for e in audit] == [out[0]["target"]]
    assert audit[0].target.startswith("contact:sha256:")
    assert "carla" not in repr(audit[0].after).lower()
    # The daily metrics computed before are aggregates: they stay as they were.
    after = {k: v for k, v in warehouse_files(store.root).items() if k.startswith("metrics/")}
    assert after == metrics_before
    # Asked again: nobody left with that email.
    again = initialised("contacts", "erase", "carla@acme.com", ok=False)
    assert again.code != 0
    assert "no contact and no survey answer with email 'carla@acme.com'" in again.stderr
