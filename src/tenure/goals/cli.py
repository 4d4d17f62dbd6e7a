"""`tenure goals`: an account's success goals, their milestones and progress."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from tenure.kit.cli import AsOfOption, FormatOption, context, parse_date, typer_app
from tenure.kit.errors import TenureError
from tenure.kit.output import OutputFormat, emit, stderr

goals_app = typer_app("Success goals per account: the client's outcomes, milestones and progress.")

COLUMNS = [
    "id",
    "account_external_id",
    "title",
    "current",
    "target",
    "unit",
    "progress",
    "track",
    "due_date",
    "milestones",
]


def _milestone(text: str) -> dict[str, Any]:
    """`TITLE` or `TITLE@YYYY-MM-DD` (the date it is due)."""
    title, _, due = text.rpartition("@") if "@" in text else (text, "", "")
    if not due:
        return {"title": text}
    return {"title": title, "due_date": parse_date(due, f"--milestone {text!r}")}


def _row(goal: Any) -> dict[str, Any]:
    record: dict[str, Any] = goal.model_dump(mode="json")
    reached = sum(1 for m in goal.milestones if m.reached_on is not None)
    if goal.milestones:
        record["milestones"] = f"{reached}/{len(goal.milestones)}"
    else:
        record["milestones"] = ""
    return record


@goals_app.command("add")
def add(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="The account's external id.")],
    title: Annotated[str, typer.Option(help="The outcome, in the client's words.")],
    target: Annotated[float, typer.Option(help="The figure to reach.")],
    due: Annotated[str, typer.Option(help="Date to reach it by (YYYY-MM-DD).")],
    measure: Annotated[
        str | None, typer.Option(help="What is measured (default: the title).")
    ] = None,
    metric: Annotated[
        str | None, typer.Option(help="Read progress from this metric of the account.")
    ] = None,
    baseline: Annotated[float | None, typer.Option(help="Where the figure starts.")] = None,
    unit: Annotated[str | None, typer.Option(help="Unit of the figure (hours, %, ...).")] = None,
    milestone: Annotated[
        list[str] | None,
        typer.Option(
            help="A milestone, TITLE or TITLE@DUE-DATE; repeat, in order. The first of an "
            "account's first goal is its first-value milestone."
        ),
    ] = None,
    by: Annotated[str | None, typer.Option(help="Who sets it (an email).")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Add a success goal to an account."""
    from tenure.accounts.service import get_account
    from tenure.goals import service
    from tenure.goals.schemas import GoalCreate

    cli = context(ctx)
    data = GoalCreate.model_validate(
        {
            "title": title,
            "measure": measure or title,
            "metric": metric,
            "baseline": baseline,
            "target": target,
            "unit": unit,
            "due_date": parse_date(due, "--due"),
            "milestones": [_milestone(m) for m in milestone or []],
        }
    )
    with cli.unit_of_work() as session:
        goal = service.create_goal(session, get_account(session, account), data, by)
        read = service.goal_read(goal, cli.warehouse, parse_date(None))
    stderr.print(f"goal {read.id} added to {account}")
    emit([_row(read)], fmt, COLUMNS)


@goals_app.command("list")
def list_goals(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="The account's external id.")],
    as_of: AsOfOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """An account's goals with their progress as of a day."""
    from tenure.goals import service

    cli = context(ctx)
    with cli.database.sessions() as session:
        goals = service.goals_of(session, cli.warehouse, account, parse_date(as_of))
    emit([_row(g) for g in goals], fmt, COLUMNS, title=f"Goals of {account}")


@goals_app.command("progress")
def progress(
    ctx: typer.Context,
    goal_id: Annotated[int, typer.Argument(help="The goal's id.")],
    value: Annotated[float, typer.Argument(help="The measure's value.")],
    on: Annotated[str | None, typer.Option(help="Day of the reading; default today.")] = None,
    note: Annotated[str | None, typer.Option(help="What it rests on.")] = None,
    by: Annotated[str | None, typer.Option(help="Who records it (an email).")] = None,
) -> None:
    """Record the measure of a goal without a metric."""
    from tenure.goals import service
    from tenure.goals.schemas import ProgressCreate

    cli = context(ctx)
    data = ProgressCreate(value=value, on=parse_date(on, "--on") if on else None, note=note)
    with cli.unit_of_work() as session:
        goal = service.get_goal(session, goal_id)
        row = service.record_progress(session, goal, data, by)
        stderr.print(f"goal {goal_id}: {row.value:g} on {row.on} ({goal.status})")


@goals_app.command("milestone")
def milestone_reached(
    ctx: typer.Context,
    goal_id: Annotated[int, typer.Argument(help="The goal's id.")],
    position: Annotated[int, typer.Argument(help="The milestone's number (1 = first).")],
    reached: Annotated[str | None, typer.Option(help="Day it was reached; default today.")] = None,
    undo: Annotated[bool, typer.Option("--undo", help="Mark it not reached.")] = False,
) -> None:
    """Mark a goal's milestone reached (or not, with --undo)."""
    from tenure.goals import service
    from tenure.goals.schemas import MilestoneUpdate

    if undo and reached:
        raise TenureError("--reached and --undo: give one of them")
    cli = context(ctx)
    day: date | None = None if undo else parse_date(reached, "--reached")
    with cli.unit_of_work() as session:
        goal = service.get_goal(session, goal_id)
        service.set_milestone(session, goal, position, MilestoneUpdate(reached_on=day))
    stderr.print(f"goal {goal_id} milestone {position}: {'not reached' if day is None else day}")


@goals_app.command("status")
def set_status(
    ctx: typer.Context,
    goal_id: Annotated[int, typer.Argument(help="The goal's id.")],
    status: Annotated[str, typer.Argument(help="open, achieved or dropped.")],
) -> None:
    """Mark a goal achieved, dropped or open again."""
    from tenure.goals import service
    from tenure.goals.schemas import GoalUpdate

    cli = context(ctx)
    data = GoalUpdate(status=status)
    with cli.unit_of_work() as session:
        service.update_goal(session, service.get_goal(session, goal_id), data)
    stderr.print(f"goal {goal_id}: {status}")


@goals_app.command("first-value")
def first_value(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """Time to first value: each account's first-value milestone and the days to reach it."""
    from tenure.goals import service

    cli = context(ctx)
    with cli.database.sessions() as session:
        rows = [r.model_dump(mode="json") for r in service.first_value(session)]
    emit(rows, fmt, title="Time to first value")
