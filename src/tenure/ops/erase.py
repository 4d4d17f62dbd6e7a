"""`tenure contacts erase EMAIL`: a person's right to erasure. Never commits.

Removed: the person's contact rows (every account), the email and comment of their survey
answers, their raw product events (events table, group memberships, per-user days), and from
the outbox everything personal of the messages addressed to them (address, name, subject,
bodies, variables, images, reason, the server's answer), the text of the timeline lines of
those messages, the address wherever a hand-off's text or an audit entry quoted it; their
survey invitations' address, follow-up answer and link (the row stays, without the contact);
and in every other table (tasks, agent actions with the prompts sent to a language model,
brief lines, account briefs, QBR snapshots, goals, timeline, audit...) every quote of their
address, their name, or their own words (survey comments and follow-up answers).
Kept: aggregates that name nobody, so history still adds up: the score of a survey answer and
each invitation's status (so NPS and response rates do not move),
the daily metrics and the health snapshots computed before, and each message row's skeleton
(account, status, template, source, dates) so counts of messages per account and day stay;
a suppression of the address stays, as a one-way hash only. The audit entry records that an
erasure happened and what it removed, under a hash of the email, never the email itself.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, String, Text, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from tenure.audit.service import record_change
from tenure.kit.errors import NotFound
from tenure.messaging import service as outbox
from tenure.models import (
    AuditEntry,
    Base,
    Contact,
    Handoff,
    Message,
    Suppression,
    SurveyRecipient,
    SurveyResponse,
    TimelineEntry,
)
from tenure.surveys import service as surveys
from tenure.usage.store import EventStore, _files_sql
from tenure.warehouse.reader import utc_connection
from tenure.warehouse.tables import PartitionedParquetTable


@dataclass(frozen=True)
class Erasure:
    target: str
    contacts: int
    survey_answers: int
    events: int
    user_rows: int
    messages: int


def erased_target(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]
    return f"contact:sha256:{digest}"


ERASED = "(erased)"
# A message not sent yet to an erased person is never sent: nobody is left to send it to.
UNSENT = (outbox.DRAFT, outbox.PENDING, outbox.APPROVED, outbox.SENDING)


def _quote_free(text: str, who: str, by: str = ERASED) -> str:
    """`text` with the address (in any case) replaced by `by`."""
    lowered, out, start = text.lower(), [], 0
    while (at := lowered.find(who, start)) >= 0:
        out += [text[start:at], by]
        start = at + len(who)
    return "".join([*out, text[start:]])


def _scrub(value: Any, who: str, target: str) -> Any:
    """`value` (JSON) with every text quoting the address replaced by the erasure's target,
    and every message record addressed to them (an audited draft) reduced to its id."""
    if isinstance(value, dict) and str(value.get("to_email", "")).lower() == who:
        return {"id": value.get("id"), "erased": True}
    if isinstance(value, str):
        return _quote_free(value, who, target)
    if isinstance(value, list):
        return [_scrub(v, who, target) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, who, target) for k, v in value.items()}
    return value


# Their own words are quoted only when long enough to be theirs: a comment "ok" replaced
# everywhere would redact other people's text.
MIN_WORDS = 6
# Tables left out of the sweep: the contacts go, the suppression is hashed on purpose.
UNSWEPT: tuple[type[Base], ...] = (Contact, Suppression)


def _redact(value: Any, needles: list[str]) -> Any:
    """`value` (text or JSON, keys included) with every needle (in any case) as ERASED."""
    if isinstance(value, str):
        for needle in needles:
            value = _quote_free(value, needle)
        return value
    if isinstance(value, list):
        return [_redact(v, needles) for v in value]
    if isinstance(value, dict):
        return {_redact(k, needles): _redact(v, needles) for k, v in value.items()}
    return value


def _fragment(needle: str) -> str:
    """The longest plain run of the needle: text and JSON (escaped or not, on SQLite and
    PostgreSQL) hold it alike, so a LIKE on it finds every row that may quote the needle."""
    runs = re.findall(r"[a-z0-9@. _-]+", needle)
    return max(runs, key=len).strip() if runs else ""


def _sweep(session: Session, needles: list[str]) -> int:
    """Redact every quote of the needles in every text and JSON column of every table (but
    UNSWEPT); rows changed. A LIKE per table finds the candidates, Python redacts exactly."""
    needles = sorted({n for n in needles if n}, key=len, reverse=True)
    fragments = {_fragment(n) for n in needles}
    changed = 0
    for mapper in Base.registry.mappers:
        if mapper.class_ in UNSWEPT:
            continue
        columns = [
            (attr.key, attr.columns[0])
            for attr in mapper.column_attrs
            if isinstance(attr.columns[0].type, String | Text | JSON)
            and not attr.columns[0].primary_key
        ]
        if not columns:
            continue
        query = select(mapper.class_)
        if "" not in fragments:  # a needle with no plain run: every row is a candidate
            query = query.where(
                or_(
                    *(
                        func.lower(cast(column, String)).contains(f, autoescape=True)
                        for _, column in columns
                        for f in fragments
                    )
                )
            )
        for row in session.scalars(query):
            hit = False
            for key, _ in columns:
                value = getattr(row, key)
                redacted = _redact(value, needles)
                if redacted != value:
                    setattr(row, key, redacted)
                    hit = True
            changed += hit
    session.flush()
    return changed


def _erase_invitations(session: Session, who: str, contact_ids: list[int]) -> list[str]:
    """Their survey invitations stay (response rates count them) without the person: no
    address, no follow-up answer, a link that no longer opens, never sent or reminded.
    Returns their own words, for the sweep of every other place quoting them."""
    words: list[str] = []
    for r in session.scalars(
        select(SurveyRecipient).where(
            or_(
                func.lower(SurveyRecipient.email) == who,
                SurveyRecipient.contact_id.in_(contact_ids),
            )
        )
    ):
        words += [w for w in (r.follow_up_answer,) if w]
        if r.status == surveys.PENDING:
            r.status = "cancelled"  # never delivered: not an invitation (as its message)
        r.email, r.follow_up_answer, r.contact_id = ERASED, None, None
        r.nonce = secrets.token_urlsafe(9)  # every signed link to it is now refused
    return words


def _erase_outbox(session: Session, who: str, target: str, contact_ids: list[int]) -> int:
    """Redact the messages to `who` (rows kept as aggregates), their timeline lines, the
    hand-offs and audit entries quoting the address, and hash their suppression."""
    to_them = or_(func.lower(Message.to_email) == who, Message.contact_id.in_(contact_ids))
    messages = list(session.scalars(select(Message).where(to_them)))
    ids = [m.id for m in messages]
    for m in messages:
        if m.status in UNSENT:
            m.status = outbox.CANCELLED
        m.to_email, m.to_name, m.contact_id = ERASED, None, None
        m.subject, m.text, m.html, m.reason = ERASED, "", "", ERASED
        m.variables, m.images, m.last_answer = {}, {}, None
        if m.idempotency_key and who in m.idempotency_key.lower():
            m.idempotency_key = None
    if ids:
        session.execute(
            update(TimelineEntry)
            .where(TimelineEntry.message_id.in_(ids))
            .values(text=f"message {ERASED}", message_id=None, contact_id=None)
        )
    # Hand-offs carry no contact field, but their free text may quote the address: it goes,
    # the rest of the hand-off (about the account) stays; so does the email that carried it.
    like = f"%{who}%"
    for h in session.scalars(
        select(Handoff).where(
            or_(
                func.lower(Handoff.summary).like(like),
                func.lower(cast(Handoff.evidence, String)).like(like),
            )
        )
    ):
        h.summary = _quote_free(h.summary, who)
        h.evidence = [_quote_free(e, who) for e in h.evidence]
        if h.message is not None:
            for field in ("subject", "text", "html", "reason"):
                setattr(h.message, field, _quote_free(getattr(h.message, field), who))
            h.message.variables = {}
    for line in session.scalars(
        select(TimelineEntry).where(func.lower(TimelineEntry.text).like(like))
    ):
        line.text = _quote_free(line.text, who)
    # Audit entries of the redacted messages held their text; others may quote the address.
    message_targets = [f"message:{i}" for i in ids]
    for entry in session.scalars(
        select(AuditEntry).where(
            or_(
                AuditEntry.target.in_(message_targets),
                func.lower(AuditEntry.target).like(like),
                func.lower(cast(AuditEntry.before, String)).like(like),
                func.lower(cast(AuditEntry.after, String)).like(like),
            )
        )
    ):
        if entry.target in message_targets:
            entry.before = {"erased": True} if entry.before is not None else None
            entry.after = {"erased": True} if entry.after is not None else None
        else:
            entry.before = _scrub(entry.before, who, target)
            entry.after = _scrub(entry.after, who, target)
        entry.target = _scrub(entry.target, who, target)
    # The opt-out stays, as a one-way hash: dropping it would let the next import of the
    # same person (a CRM sync, a CSV) mail them again although they said no. The hash names
    # nobody by itself, and `suppression_of` matches it when that address comes back.
    suppression = session.scalar(select(Suppression).where(Suppression.email == who))
    if suppression is not None:
        hashed = outbox.hashed_address(who)
        if session.scalar(select(Suppression).where(Suppression.email == hashed)) is None:
            suppression.email, suppression.note = hashed, None
        else:
            session.delete(suppression)
    session.flush()
    return len(messages)


def _drop_users(table: PartitionedParquetTable, users: list[str]) -> int:
    """Rewrite the partitions holding rows of these users without them; rows removed."""
    files = table.files()
    if not files or not users:
        return 0
    where = "coalesce(list_contains(?, user_id), false)"
    with utc_connection() as con:
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
    if not contacts and not answers:
        raise NotFound(f"no contact and no survey answer with email {who!r}")
    words = [c for c in session.scalars(select(SurveyResponse.comment).where(theirs)) if c]
    session.execute(update(SurveyResponse).where(theirs).values(contact_email=None, comment=None))
    words += _erase_invitations(session, who, [c.id for c in contacts])
    target = erased_target(who)
    # Before the contacts go: their ids find the messages drafted to them.
    messages = _erase_outbox(session, who, target, [c.id for c in contacts])
    users = sorted({c.user_id for c in contacts if c.user_id})
    # Everything else that quotes them: their address, their name, their own words.
    names = [c.name.strip().lower() for c in contacts if c.name and c.name.strip()]
    said = [w.strip().lower() for w in words if len(w.strip()) >= MIN_WORDS]
    _sweep(session, [who, *names, *said])
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
    result = Erasure(target, len(contacts), answers, events, user_rows, messages)
    after = {
        "contacts": result.contacts,
        "survey_answers": result.survey_answers,
        "events": result.events,
        "user_rows": result.user_rows,
        "messages": result.messages,
    }
    record_change(session, None, "contact.erase", result.target, None, after, via="cli")
    return result
