"""`tenure contacts erase EMAIL`: a person's right to erasure. Never commits.

Removed: the person's contact rows (every account), the email and comment of their survey
answers, and their raw product events (events table, group memberships, per-user days).
Kept: aggregates that name nobody, so history still adds up: the score of a survey answer,
the daily metrics and the health snapshots computed before. The audit entry records that an
erasure happened and what it removed, under a hash of the email, never the email itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from tenure.audit.service import record_change
from tenure.kit.errors import NotFound
from tenure.models import Contact, SurveyResponse
from tenure.usage.store import EventStore, _connect, _files_sql
from tenure.warehouse.tables import PartitionedParquetTable


@dataclass(frozen=True)
class Erasure:
    target: str
    contacts: int
    survey_answers: int
    events: int
    user_rows: int


def erased_target(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]
    return f"contact:sha256:{digest}"


def _drop_users(table: PartitionedParquetTable, users: list[str]) -> int:
    """Rewrite the partitions holding rows of these users without them; rows removed."""
    files = table.files()
    if not files or not users:
        return 0
    where = "coalesce(list_contains(?, user_id), false)"
    with _connect() as con:
        source = f"read_parquet({_files_sql(files)}, hive_partitioning = false, filename = true)"
        hits = con.execute(
            f"SELECT filename, count(*) FROM {source} WHERE {where} GROUP BY filename", [users]
        ).fetchall()
        if not hits:
            return 0
        by_file = {str(table.root / f): p for p, f in table.manifest().partitions.items()}
        touched = [str(name) for name, _ in hits]
        kept = con.sql(
            f"SELECT * EXCLUDE (filename) FROM read_parquet({_files_sql(touched)}, "
            f"hive_partitioning = false, filename = true) WHERE NOT {where}",
            params=[users],
        ).to_arrow_table()
    table.replace(kept, [by_file[name] for name in touched])
    return sum(int(count) for _, count in hits)


def erase_contact(session: Session, store: EventStore, email: str) -> Erasure:
    who = email.strip().lower()
    contacts = list(session.scalars(select(Contact).where(func.lower(Contact.email) == who)))
    theirs = func.lower(SurveyResponse.contact_email) == who
    answers = session.scalar(select(func.count()).select_from(SurveyResponse).where(theirs)) or 0
    session.execute(update(SurveyResponse).where(theirs).values(contact_email=None, comment=None))
    if not contacts and not answers:
        raise NotFound(f"no contact and no survey answer with email {who!r}")
    users = sorted({c.user_id for c in contacts if c.user_id})
    session.execute(delete(Contact).where(Contact.id.in_([c.id for c in contacts])))
    session.flush()
    events = user_rows = 0
    if users:
        # The loader lock keeps the intake loader from writing the events table meanwhile; the
        # log is loaded first so acknowledged events not yet in the table are erased too.
        store.load_log()
        with store.lock("loader"):
            events = _drop_users(store.events, users)
            user_rows = _drop_users(store.memberships, users) + _drop_users(store.user_days, users)
    result = Erasure(erased_target(who), len(contacts), answers, events, user_rows)
    after = {
        "contacts": result.contacts,
        "survey_answers": result.survey_answers,
        "events": result.events,
        "user_rows": result.user_rows,
    }
    record_change(session, None, "contact.erase", result.target, None, after, via="cli")
    return result
