"""`tenure daily`, `tenure backup FILE`, `tenure restore FILE` and `tenure erase`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tenure.kit.cli import AsOfOption, FormatOption, context, parse_date
from tenure.kit.output import OutputFormat, emit, stderr

ArchiveArgument = Annotated[Path, typer.Argument(help="The backup archive (a .tar file).")]


def daily(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The daily job: load the intake log, compute the usage metrics (and redo days late
    events touched), then score health for the day."""
    from tenure.ops.flows import run_daily

    day = parse_date(as_of)
    cli = context(ctx)
    run = run_daily(cli.unit_of_work, cli.warehouse, cli.settings, day)
    if run.loaded is not None:
        loaded = run.loaded
        stderr.print(f"intake: {loaded.stored:,} new events loaded ({loaded.duplicates:,} repeats)")
    stderr.print(run.metrics.summary())
    stderr.print(run.health_summary())
    if run.pruned is not None:
        stderr.print(run.pruned.summary())
    record = {
        "as_of": day,
        "events_loaded": run.loaded.stored if run.loaded else 0,
        **{k: v for k, v in run.metrics.record().items() if k not in ("from", "to")},
        "health": run.health_summary(),
    }
    emit([record], fmt, title=f"Daily run for {day}")


def _report(result: object, fmt: OutputFormat) -> None:
    from tenure.ops.backup import BackupResult

    assert isinstance(result, BackupResult)
    emit(
        [{"table": name, "rows": rows} for name, rows in result.tables.items()],
        fmt,
        columns=["table", "rows"],
    )


def backup_command(
    ctx: typer.Context, path: ArchiveArgument, fmt: FormatOption = OutputFormat.table
) -> None:
    """Write a consistent copy of the database and the warehouse to FILE, while `tenure serve`
    runs (SQLite online backup or pg_dump; warehouse tables through their manifests)."""
    from tenure.ops.backup import backup

    cli = context(ctx)
    result = backup(cli.settings, cli.warehouse.root, path)
    stderr.print(
        f"backup written: {result.path} ({result.database}, {result.files} files, "
        f"{result.bytes:,} bytes)"
    )
    _report(result, fmt)


def restore_command(
    ctx: typer.Context, path: ArchiveArgument, fmt: FormatOption = OutputFormat.table
) -> None:
    """Restore a backup into an empty data dir (and an empty database for PostgreSQL)."""
    from tenure.ops.backup import restore

    cli = context(ctx)
    result = restore(cli.settings, cli.warehouse.root, path)
    stderr.print(f"restored {result.path} ({result.database}, {result.files} files)")
    _report(result, fmt)


def add_erase_command(group: typer.Typer) -> None:
    """`erase` under the `contacts` group: erasure reaches into every domain that holds a
    person (accounts, surveys, events, the outbox), so it is an operation, not accounts' own."""
    group.command("erase")(erase_contact)


def erase_contact(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The person's email address.")],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Erase a person (a GDPR request): their contacts, the email and comment of their survey
    answers and invitations, their product events, their outbox messages' address and text,
    and every quote of their address, name or words elsewhere (tasks, agent, briefs, QBR
    snapshots, audit); aggregates such as metrics, NPS, response rates and message counts
    stay, a suppression stays as a hash. Audited."""
    from tenure.ops.erase import erase_contact as erase
    from tenure.usage.store import EventStore

    cli = context(ctx)
    with cli.unit_of_work() as session:
        result = erase(session, EventStore(cli.warehouse.root), email)
    stderr.print(f"erased: audited as {result.target}")
    emit([result.__dict__], fmt)
