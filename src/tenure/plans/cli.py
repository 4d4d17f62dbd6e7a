"""`tenure plan`, `tenure signals`, `tenure tasks` and `tenure playbook`."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from tenure.health.views import health_read
from tenure.kit.cli import AsOfOption, FormatOption, context, parse_date, typer_app
from tenure.kit.dates import utc_today
from tenure.kit.errors import TenureError
from tenure.kit.output import OutputFormat, emit, emit_parts, stderr, to_json
from tenure.models import Task
from tenure.plans import defaults, flows, service
from tenure.plans.export import write_xlsx
from tenure.plans.planner import Plan
from tenure.plans.playbooks import Library, parse_library

tasks_app = typer_app("Tasks from saved quarterly plans: list them, mark them done.")
playbook_app = typer_app("Playbook libraries (TOML): check, load, show, export.")


class PlanFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


TABLE_COLUMNS = {
    "activities": [
        "start",
        "reference",
        "client",
        "category",
        "duration_hours",
        "deadline",
        "signals",
        "description",
    ],
    "onboarding": ["start", "reference", "client", "duration_hours", "deadline", "description"],
    "left_out": ["reference", "client", "category", "duration_hours", "deadline", "why", "reason"],
}
CATEGORY_STYLES = {
    "retention": "bold red",
    "data": "magenta",
    "expansion": "green",
    "adoption": "cyan",
    "advocacy": "blue",
}


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise TenureError(f"{path}: cannot read: {error.strerror or error}") from None


def _library(path: Path | None) -> Library | None:
    return None if path is None else parse_library(_read(path), str(path))


PlaybooksOption = Annotated[
    Path | None,
    typer.Option("--playbooks", help="Use this playbook library (TOML) instead of the loaded one."),
]


def _style(column: str, value: Any) -> str | None:
    return CATEGORY_STYLES.get(value) if column == "category" else None


@contextmanager
def _output(path: Path | None) -> Iterator[None]:
    """Data goes to stdout, or to `path` when given."""
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle, redirect_stdout(handle):
        yield


def plan(
    ctx: typer.Context,
    csm: Annotated[str, typer.Option("--csm", help="The CSM whose quarter to plan (email).")],
    quarter_start: Annotated[
        str, typer.Option("--quarter-start", help="First day of the quarter (YYYY-MM-DD).")
    ],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Signals as of this day, and weeks before it closed (re-planning mid-quarter);"
            " default the quarter start.",
        ),
    ] = None,
    count: Annotated[
        int | None,
        typer.Option("--count", help="Exactly this many activities for existing clients."),
    ] = None,
    hours_per_week: Annotated[
        float, typer.Option("--hours-per-week", help="The CSM's working hours a week.")
    ] = defaults.HOURS_PER_WEEK,
    existing_share: Annotated[
        float,
        typer.Option("--existing-share", help="Share of the hours for existing clients (0-1)."),
    ] = defaults.EXISTING_SHARE,
    new_clients: Annotated[
        int, typer.Option("--new-clients", help="New clients to onboard this quarter.")
    ] = defaults.NEW_CLIENTS,
    fmt: Annotated[
        PlanFormat, typer.Option("--format", "-f", help="table, json, csv or xlsx.")
    ] = PlanFormat.table,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (xlsx needs one).")
    ] = None,
    save: Annotated[
        bool, typer.Option("--save", help="Save the plan as tasks (keeps tasks done already).")
    ] = False,
    playbooks: PlaybooksOption = None,
) -> None:
    """Plan a CSM's quarter: playbook activities fitted into 13 weeks of hours, retention
    first, expansion second, advocacy third; new clients' onboarding listed apart."""
    if fmt is PlanFormat.xlsx and output is None:
        raise TenureError("--format xlsx: give --output FILE.xlsx")
    cli = context(ctx)
    options = service.PlanOptions(
        quarter_start=parse_date(quarter_start, "--quarter-start"),
        as_of=parse_date(as_of) if as_of else None,
        count=count,
        hours_per_week=hours_per_week,
        existing_share=existing_share,
        new_clients=new_clients,
    )
    library = _library(playbooks)
    with cli.unit_of_work() as session:
        if save:
            outcome = flows.plan_and_save(
                session,
                cli.warehouse,
                cli.settings,
                csm,
                options,
                by=None,
                via="cli",
                library=library,
            ).outcome
        else:
            outcome = service.make_plan(
                session, cli.warehouse, cli.settings, csm, options, library=library
            )
    for warning in outcome.warnings:
        stderr.print(f"Warning: {warning}", markup=False, soft_wrap=True)
    _summary(outcome.plan, count)
    if save:
        stderr.print(
            f"saved {outcome.saved} tasks for {outcome.user.email} "
            f"(see `tenure tasks list --csm {outcome.user.email}`)",
            markup=False,
            soft_wrap=True,
        )
    health = [health_read(row).model_dump(mode="json") for row in outcome.health]
    if fmt is PlanFormat.xlsx:
        assert output is not None
        write_xlsx(output, outcome.plan, health)
        stderr.print(f"wrote {output}", markup=False, soft_wrap=True)
        return
    with _output(output):
        _print_plan(outcome.plan, OutputFormat(fmt.value))
    if output is not None:
        stderr.print(f"wrote {output}", markup=False, soft_wrap=True)


def _print_plan(result: Plan, fmt: OutputFormat) -> None:
    parts = result.parts()
    if fmt is OutputFormat.json:
        sys.stdout.buffer.write(to_json(parts) + b"\n")
        sys.stdout.flush()
        return
    emit_parts(
        parts, fmt, columns=TABLE_COLUMNS if fmt is OutputFormat.table else None, styler=_style
    )


def _summary(result: Plan, count: int | None) -> None:
    hours = sum(a.duration_hours for a in result.activities)
    capacity = sum(w.capacity for w in result.weeks)
    onboarding = sum(a.duration_hours for a in result.onboarding)
    onboarding_capacity = sum(w.onboarding_capacity for w in result.weeks)
    solver = result.solver
    stderr.print(
        f"plan: {len(result.activities)} activities for existing clients "
        f"({hours:g} h of {capacity:g} h), {len(result.onboarding)} onboarding activities "
        f"({onboarding:g} h of {onboarding_capacity:g} h), {len(result.left_out)} left out",
        markup=False,
        soft_wrap=True,
    )
    stderr.print(
        f"solver: {solver.status}, value {solver.objective:g} (bound {solver.bound:g}, gap "
        f"{solver.gap:.2%}); earliest-deadline-first would get {solver.greedy_objective:g}",
        markup=False,
        soft_wrap=True,
    )
    for note in result.notes:
        stderr.print(f"Note: {note}", markup=False, soft_wrap=True)
    if count is not None and len(result.activities) < count:
        stderr.print(f"Note: fewer activities than --count {count}", markup=False, soft_wrap=True)


def signals(
    ctx: typer.Context,
    csm: Annotated[str | None, typer.Option("--csm", help="Only this CSM's accounts.")] = None,
    as_of: AsOfOption = None,
    like: Annotated[
        list[str] | None,
        typer.Option(
            "--like",
            help="An exemplar account (external id): flag accounts whose usage resembles its.",
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    playbooks: PlaybooksOption = None,
) -> None:
    """Signals per account, each with its evidence: renewals in the next 13 weeks, risk, weak
    components, data gaps, weak sponsors, expansion and advocacy candidates, lookalikes."""
    cli = context(ctx)
    day = parse_date(as_of)
    with cli.unit_of_work() as session:
        rows = service.account_signals(
            session,
            cli.warehouse,
            cli.settings,
            day,
            csm=csm,
            like=like or (),
            library=_library(playbooks),
        )
    records = [row.__dict__ for row in rows]
    emit(
        records,
        fmt,
        columns=["account_external_id", "name", "csm_email", "kind", "subject", "evidence"],
        title=f"Signals as of {day}",
    )


# -- tasks ---------------------------------------------------------------------------------------


def _task_record(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "csm_email": task.owner.email,
        "quarter_start": task.quarter_start,
        "reference": task.reference,
        "client": task.client,
        "category": task.category,
        "description": task.description,
        "duration_hours": task.duration_hours,
        "start": task.start,
        "deadline": task.deadline,
        "status": task.status,
        "done_on": task.done_on,
        "why": task.why,
    }


QuarterOption = Annotated[
    str | None, typer.Option("--quarter-start", help="Only this quarter (its first day).")
]


@tasks_app.command("list")
def list_tasks(
    ctx: typer.Context,
    csm: Annotated[str | None, typer.Option("--csm", help="Only this CSM's tasks.")] = None,
    quarter_start: QuarterOption = None,
    status: Annotated[
        str | None, typer.Option("--status", help="open or done; default both.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Tasks of saved plans, week by week."""
    quarter = parse_date(quarter_start, "--quarter-start") if quarter_start else None
    with context(ctx).unit_of_work() as session:
        records = [_task_record(t) for t in service.list_tasks(session, csm, quarter, status)]
    emit(records, fmt, title="Tasks", styler=_style)


def _change(
    ctx: typer.Context,
    tasks: Sequence[str],
    csm: str | None,
    quarter_start: str | None,
    done_on: date | None,
) -> list[dict[str, Any]]:
    quarter = parse_date(quarter_start, "--quarter-start") if quarter_start else None
    changed = []
    with context(ctx).unit_of_work() as session:
        for name in tasks:
            task = service.find_task(session, name, csm, quarter)
            if done_on is None:
                service.reopen(session, task)
            else:
                service.mark_done(session, task, done_on)
            changed.append(_task_record(task))
    return changed


TasksArgument = Annotated[
    list[str], typer.Argument(help="Task ids, or references (e.g. RNW-ACME) with --csm.")
]


@tasks_app.command("done")
def done(
    ctx: typer.Context,
    tasks: TasksArgument,
    csm: Annotated[str | None, typer.Option("--csm", help="Whose task (for references).")] = None,
    quarter_start: QuarterOption = None,
    on: Annotated[
        str | None, typer.Option("--on", help="The day it was done (YYYY-MM-DD); default today.")
    ] = None,
) -> None:
    """Mark tasks done; re-planning the quarter keeps them where they were done."""
    day = parse_date(on, "--on") if on else utc_today()
    for record in _change(ctx, tasks, csm, quarter_start, day):
        stderr.print(
            f"done: {record['reference']} ({record['client']}) on {day}",
            markup=False,
            soft_wrap=True,
        )


@tasks_app.command("reopen")
def reopen(
    ctx: typer.Context,
    tasks: TasksArgument,
    csm: Annotated[str | None, typer.Option("--csm", help="Whose task (for references).")] = None,
    quarter_start: QuarterOption = None,
) -> None:
    """Mark done tasks open again."""
    for record in _change(ctx, tasks, csm, quarter_start, None):
        stderr.print(
            f"open again: {record['reference']} ({record['client']})", markup=False, soft_wrap=True
        )


# -- playbooks -----------------------------------------------------------------------------------


@playbook_app.command("check")
def check(path: Annotated[Path, typer.Argument(help="A playbook library in TOML.")]) -> None:
    """Check a playbook library without loading it."""
    library = parse_library(_read(path), str(path))
    stderr.print(
        f"{path}: {len(library.playbooks)} playbooks, {len(library.activities)} activities: ok",
        markup=False,
        soft_wrap=True,
    )


@playbook_app.command("load")
def load(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A playbook library in TOML (docs/plans.md).")],
    by: Annotated[str | None, typer.Option("--by", help="Who loads it (an email).")] = None,
) -> None:
    """Check and store a playbook library; it replaces the one in use (as a new version)."""
    text = _read(path)
    with context(ctx).unit_of_work() as session:
        loaded = service.load_library(session, text, str(path), by)
    if loaded.created:
        stderr.print(
            f"loaded playbook library version {loaded.version}", markup=False, soft_wrap=True
        )
    else:
        stderr.print(
            f"playbook library unchanged: still version {loaded.version}",
            markup=False,
            soft_wrap=True,
        )


@playbook_app.command("show")
def show(
    ctx: typer.Context,
    fmt: FormatOption = OutputFormat.table,
    playbooks: PlaybooksOption = None,
) -> None:
    """The playbooks in use: trigger, activities and their hours."""
    library = _library(playbooks)
    if library is None:
        with context(ctx).unit_of_work() as session:
            library = service.active_library(session)
    records = []
    for p in library.playbooks:
        for key in p.activities:
            a = library.activities[key]
            records.append(
                {
                    "playbook": p.key,
                    "trigger": "new clients"
                    if p.onboarding
                    else " or ".join(p.when) or "account fields",
                    "activity": key,
                    "prefix": a.prefix,
                    "category": a.category,
                    "hours": a.hours,
                    "deadline": a.deadline.text,
                    "depends_on": list(a.depends_on),
                }
            )
    emit(records, fmt, title=f"Playbooks ({library.file})", styler=_style)


@playbook_app.command("export")
def export(ctx: typer.Context) -> None:
    """Print the playbook library in use as TOML (the shipped one if none was loaded)."""
    with context(ctx).unit_of_work() as session:
        text, _ = service.active_source(session)
    sys.stdout.write(text)
