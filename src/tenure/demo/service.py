"""Generating a demo company into a folder, and loading a folder into Tenure.

The simulation (`simulation.py`, `events.py`) is pure; this module does the I/O around it.
Services never commit: the CLI command owns the unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.accounts.imports import ImportResult, import_file
from tenure.config import Settings
from tenure.demo.company import Company
from tenure.demo.event_stream import block_count, iter_event_tables
from tenure.demo.rates import PeriodRates, Span, yearly_rates
from tenure.demo.scenarios import SCENARIOS, ScenarioName
from tenure.demo.simulation import simulate
from tenure.demo.writers import (
    ENTITY_FILES,
    EVENT_FILES,
    EventsFormat,
    write_entities,
    write_events,
)
from tenure.kit.dates import quarter_bounds
from tenure.kit.errors import TenureError
from tenure.kit.progress import OnProgress, progress_bar
from tenure.models import Account, Role, User
from tenure.plans import service as plans
from tenure.usage.imports import EventImport, import_events
from tenure.usage.store import EventStore
from tenure.warehouse import Warehouse


@dataclass
class Generated:
    company: Company
    out: Path
    rows: dict[str, int]
    events: int
    rates: list[PeriodRates] = field(default_factory=list)


def company_rates(company: Company) -> list[PeriodRates]:
    """Logo churn, GRR and NRR of each whole year of the generated history."""
    spans = [
        Span(c.account_external_id, c.start_date, c.end_date, float(c.arr))
        for c in company.contracts
    ]
    years = (company.as_of - company.history_start).days // 365
    return yearly_rates(spans, company.as_of, years) if years else []


def generate(
    scenario: ScenarioName,
    accounts: int | None,
    months: int,
    seed: int,
    as_of: date,
    out: Path,
    events_format: EventsFormat,
    progress: OnProgress | None = None,
) -> Generated:
    """Simulate a company and write it to `out` in Tenure's import formats. `progress` is
    told the (month, block of accounts) units of events written so far (else a bar)."""
    spec = SCENARIOS[scenario]
    if out.exists() and not out.is_dir():
        raise TenureError(f"--out: {out}: exists and is not a folder")
    count = spec.default_accounts if accounts is None else accounts
    company = simulate(spec, count, months, seed, as_of)
    rows = write_entities(company, out)
    for fmt, name in EVENT_FILES.items():
        if fmt is not events_format:  # never leave another run's events next to these
            (out / name).unlink(missing_ok=True)
    written = 0
    with progress_bar("events", block_count(company), progress) as bar:

        def advance(table: pa.Table) -> None:
            nonlocal written
            written += table.num_rows
            bar.describe(f"events: {written:,}")
            bar.advance()

        events = write_events(iter_event_tables(company), out, events_format, advance)
    return Generated(company, out, rows, events, company_rates(company))


def event_file(folder: Path) -> Path | None:
    """The events a generated folder holds (JSON Lines or Parquet), if any."""
    for name in EVENT_FILES.values():
        if (folder / name).is_file():
            return folder / name
    return None


@dataclass
class LoadResult:
    entities: list[ImportResult]
    events: EventImport | None

    def summaries(self) -> list[str]:
        lines = [r.summary() for r in self.entities]
        return lines + ([self.events.summary()] if self.events is not None else [])


def load(
    session: Session, warehouse: Warehouse, folder: Path, progress: OnProgress | None = None
) -> LoadResult:
    """Import a generated folder: accounts, contracts, contacts, tickets, surveys (in that
    order so every row finds its account) through `tenure import`'s importers, then the
    events into the warehouse through `tenure import events`'. The entities are committed by
    the caller's unit of work; events are idempotent on their message ids, so a load that
    fails after them stores nothing twice when run again. `progress` is told the events
    stored so far (else a bar)."""
    if not folder.is_dir():
        raise TenureError(f"{folder}: no such folder")
    missing = [f"{name}.csv" for name in ENTITY_FILES if not (folder / f"{name}.csv").is_file()]
    if missing:
        raise TenureError(f"{folder}: not a generated company, missing {', '.join(missing)}")
    entities = [import_file(session, warehouse, n, folder / f"{n}.csv") for n in ENTITY_FILES]
    session.flush()
    events = event_file(folder)
    store = EventStore(warehouse.root)
    imported = import_events(store, events, progress) if events is not None else None
    return LoadResult(entities, imported)


# -- the quarter the demo's CSMs planned ------------------------------------------------------

# The planner's budget for each CSM: a book of about 20 accounts is solved to proven
# optimality well within it (the web page's budget too).
PLAN_BUDGET = 1.0


@dataclass
class PlannedQuarter:
    quarter_start: date
    tasks: int = 0
    done: int = 0
    refused: list[str] = field(default_factory=list)


def plan_quarter(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    today: date,
    progress: OnProgress | None = None,
) -> PlannedQuarter:
    """Each CSM's plan for the calendar quarter running today, made on its first day with the
    planner's defaults and saved as their tasks, and the tasks of the weeks already over
    marked done on their week's last day: a quarter in progress, as the plan and team pages
    show it. A CSM whose plan cannot be made is named in `refused`, with why. `progress` is
    told the CSMs planned so far."""
    quarter_start, _ = quarter_bounds(today)
    result = PlannedQuarter(quarter_start)
    owners = select(Account.owner_id).where(Account.owner_id.is_not(None))
    csms = session.scalars(
        select(User.email).where(User.role == Role.csm, User.id.in_(owners)).order_by(User.email)
    ).all()
    options = plans.PlanOptions(quarter_start=quarter_start, deterministic_time=PLAN_BUDGET)
    for number, email in enumerate(csms, 1):
        _plan_one(session, warehouse, settings, email, options, today, result)
        if progress is not None:
            progress(number, len(csms))
    return result


def _plan_one(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    email: str,
    options: plans.PlanOptions,
    today: date,
    result: PlannedQuarter,
) -> None:
    try:
        outcome = plans.make_plan(session, warehouse, settings, email, options)
    except TenureError as error:
        result.refused.append(f"{email}: {error.message}")
        return
    result.tasks += plans.save_plan(session, outcome, result.quarter_start)
    for task in plans.list_tasks(session, email, result.quarter_start, "open"):
        if task.start + timedelta(days=7) <= today:
            plans.mark_done(session, task, task.start + timedelta(days=6))
            result.done += 1
