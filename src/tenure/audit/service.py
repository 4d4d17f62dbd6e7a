"""The audit log: who changed what, when, through which door, and the record before and after.

`record_change` is called by every write path of the web app and the API, inside the same
unit of work as the change itself: the change and its audit entry are committed together or
not at all. Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tenure.kit.dates import utc_now
from tenure.models import AuditEntry, User

VIA = ("web", "api", "cli", "agent")


def plain(value: Any) -> Any:
    """A value as JSON-able data: Pydantic models, dataclasses, dates, decimals and enums
    become dicts, ISO strings and numbers."""
    if value is None:
        return None
    return to_jsonable_python(value, fallback=str)


def record_change(
    session: Session,
    user: User | None,
    action: str,
    target: str,
    before: Any = None,
    after: Any = None,
    *,
    via: str = "api",
) -> AuditEntry:
    """Add one audit entry to the session (flushed, not committed).

    `action` names what was done (`timeline.add`, `user.role`, `import.contracts`), `target`
    what it was done to (`account:acme`, `user:ana@example.com`); `before` and `after` are
    the record as it was and as it is (None when it did not or no longer exists).
    """
    if via not in VIA:
        raise ValueError(f"via must be one of {VIA}, not {via!r}")
    entry = AuditEntry(
        at=utc_now(),
        user_id=user.id if user is not None else None,
        actor=user.email if user is not None else None,
        via=via,
        action=action,
        target=target,
        before=plain(before),
        after=plain(after),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    target: str | None = None  # exact, or a prefix ending in ':' / '*' (e.g. account:acme)
    since: datetime | None = None


def _where(query: Any, where: AuditFilter) -> Any:
    if where.actor:
        query = query.where(AuditEntry.actor == where.actor.lower())
    if where.action:
        query = query.where(
            or_(AuditEntry.action == where.action, AuditEntry.action.startswith(where.action + "."))
        )
    if where.target:
        if where.target.endswith("*"):
            query = query.where(AuditEntry.target.startswith(where.target[:-1]))
        else:
            query = query.where(AuditEntry.target == where.target)
    if where.since:
        query = query.where(AuditEntry.at >= where.since)
    return query


def list_entries(
    session: Session, where: AuditFilter | None = None, limit: int = 100, offset: int = 0
) -> list[AuditEntry]:
    """Newest first."""
    query = _where(select(AuditEntry), where or AuditFilter())
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))


def count_entries(session: Session, where: AuditFilter | None = None) -> int:
    query = _where(select(func.count()).select_from(AuditEntry), where or AuditFilter())
    return int(session.scalar(query) or 0)
