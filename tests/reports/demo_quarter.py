"""A small demo company with a quarter of usage metrics, health, plans and goals: what a QBR
pack of one of its accounts reads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from sqlalchemy import func, select

from tenure.config import Settings
from tenure.db import Database
from tenure.health import service as health
from tenure.models import Account, SurveyResponse, Task, Ticket
from tenure.usage import service as usage
from tenure.warehouse import Warehouse
from tests.conftest import Cli

QUARTER = date(2026, 7, 1)
NEXT_QUARTER = date(2026, 10, 1)
AS_OF = "2026-10-15"
# Days of the quarter with metrics and health: enough for a chart and a "why".
DAYS = [date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1), date(2026, 9, 30)]


@dataclass(frozen=True)
class DemoQuarter:
    account: str
    csm: str


def _at(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _count(session, model, column, account_id: int) -> int:  # noqa: ANN001
    start, end = _at(QUARTER), _at(NEXT_QUARTER)
    return int(
        session.scalar(
            select(func.count())
            .select_from(model)
            .where(model.account_id == account_id, column >= start, column < end)
        )
        or 0
    )


def build(cli: Cli, settings: Settings, folder: Path) -> DemoQuarter:
    cli("init")
    cli(
        "demo",
        "generate",
        "--out",
        str(folder),
        "--as-of",
        AS_OF,
        "--accounts",
        "24",
        "--months",
        "12",
        "--events-format",
        "parquet",
    )
    cli("demo", "load", str(folder))
    database, warehouse = Database(settings), Warehouse(settings)
    try:
        with database.unit_of_work() as session:
            usage.compute_metrics(session, warehouse, settings, DAYS)
        with database.unit_of_work() as session:
            for day in DAYS:
                health.compute(session, warehouse, day, day)
        signalled = {
            s["account_external_id"]: s["csm_email"]
            for s in cli("signals", "--as-of", "2026-09-30", "--format", "json").json()
        }
        csms = sorted({c for c in signalled.values() if c})
        for csm in csms:
            cli(
                "plan",
                "--csm",
                csm,
                "--quarter-start",
                str(QUARTER),
                "--as-of",
                str(QUARTER),
                "--save",
                ok=False,
            )
            cli(
                "plan",
                "--csm",
                csm,
                "--quarter-start",
                str(NEXT_QUARTER),
                "--as-of",
                "2026-09-30",
                "--save",
                ok=False,
            )
        with database.sessions() as session:
            candidates = []
            for external_id, csm in sorted(signalled.items()):
                account = session.scalar(select(Account).where(Account.external_id == external_id))
                assert account is not None
                tasks = session.scalars(select(Task).where(Task.account_id == account.id)).all()
                this = [t for t in tasks if t.quarter_start == QUARTER]
                following = [t for t in tasks if t.quarter_start == NEXT_QUARTER]
                answered = session.scalar(
                    select(func.count())
                    .select_from(SurveyResponse)
                    .where(
                        SurveyResponse.account_id == account.id,
                        SurveyResponse.score.is_not(None),
                        SurveyResponse.responded_at >= _at(QUARTER),
                        SurveyResponse.responded_at < _at(NEXT_QUARTER),
                    )
                )
                tickets = _count(session, Ticket, Ticket.opened_at, account.id)
                if this and following and answered and tickets:
                    candidates.append((external_id, csm, this[0].id))
        assert candidates, "the demo quarter has no account with every section's data"
        external_id, csm, task_id = candidates[0]
        cli("tasks", "done", str(task_id), "--on", "2026-08-20")
        cli(
            "goals",
            "add",
            external_id,
            "--title",
            "Cut partner onboarding to two weeks",
            "--measure",
            "Days to onboard a partner",
            "--baseline",
            "30",
            "--target",
            "14",
            "--unit",
            "days",
            "--due",
            "2026-12-31",
            "--milestone",
            "First partner onboarded in the new flow@2026-07-31",
            "--milestone",
            "Every region on the new flow",
        )
        cli("goals", "progress", "1", "20", "--on", "2026-09-15", "--note", "partner survey")
        cli("goals", "milestone", "1", "1", "--reached", "2026-07-24")
        return DemoQuarter(external_id, csm)
    finally:
        database.dispose()


def signals_json(cli: Cli) -> list[dict[str, object]]:
    return json.loads(cli("signals", "--as-of", "2026-09-30", "--format", "json").stdout)
