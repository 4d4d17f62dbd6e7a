"""A demo company for the agent's tests, built once per module and loaded per test, with the
usage metrics and health of the days the agent runs on (and the trend's month before)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenure.agent.mandate import default_source
from tenure.models import (
    AccountBrief,
    AgentAction,
    AgentState,
    AuditEntry,
    Task,
    Ticket,
)
from tests.conftest import Cli
from tests.demo.helpers import generate

# The demo company's history ends on GENERATED; the agent runs over the 30 days from FIRST,
# which hold a survey wave (detractors to follow up) and renewals entering their windows.
GENERATED = "2026-11-01"
FIRST = date(2026, 7, 1)
DAYS = 30


def company(out: Path) -> Path:
    return generate(
        out, "--accounts", "12", "--months", "14", "--events-format", "parquet", as_of=GENERATED
    )


def days(first: date = FIRST, count: int = DAYS) -> list[date]:
    return [first + timedelta(days=k) for k in range(count)]


def load(cli: Cli, folder: Path, first: date = FIRST, count: int = DAYS) -> None:
    """The company loaded, with metrics and health from a month before `first` on, as the
    daily job would have left them."""
    cli("init")
    cli("demo", "load", str(folder))
    start = (first - timedelta(days=31)).isoformat()
    end = (first + timedelta(days=count - 1)).isoformat()
    cli("metrics", "compute", "--from", start, "--to", end)
    cli("health", "compute", "--from", start, "--to", end)


def acting_mandate(tmp: Path, **changes: str) -> Path:
    """The shipped mandate with mode = "act" (and any other line replaced)."""
    text = default_source().replace('mode = "shadow"', 'mode = "act"')
    for old, new in changes.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp / "mandate.toml"
    path.write_text(text)
    return path


def state(session: Session) -> dict[str, Any]:
    """Everything a run may change, to compare two runs."""
    session.expire_all()
    return {
        "actions": [
            (a.id, a.key, a.status, a.task_id, a.message_ref, a.approver, a.reason)
            for a in session.scalars(select(AgentAction).order_by(AgentAction.id))
        ],
        "tasks": [
            (t.id, t.reference, t.status, t.deadline)
            for t in session.scalars(select(Task).order_by(Task.id))
        ],
        "audit": session.scalar(select(func.count()).select_from(AuditEntry)),
        "states": session.scalar(select(func.count()).select_from(AgentState)),
        "briefs": [
            (b.account_id, b.as_of, b.lines)
            for b in session.scalars(select(AccountBrief).order_by(AccountBrief.account_id))
        ],
        "tickets": [
            (t.id, t.closed_at, t.subject)
            for t in session.scalars(select(Ticket).order_by(Ticket.id))
        ],
    }
