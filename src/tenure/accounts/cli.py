"""`tenure import`, `tenure accounts` and `tenure note`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from tenure.accounts import service
from tenure.accounts.imports import ImportKind, import_file
from tenure.accounts.schemas import TimelineCreate
from tenure.kit.cli import AsOfOption, FormatOption, context, parse_date, typer_app
from tenure.kit.errors import TenureError
from tenure.kit.output import OutputFormat, emit, emit_parts, stderr
from tenure.models import Sentiment, TimelineKind

import_app = typer_app(
    "Import customer data from CSV or JSON Lines: all or nothing, idempotent on external ids."
)
accounts_app = typer_app("Look at accounts: the book and each account's whole story.")
note_app = typer_app("Write to an account's timeline.")
contacts_app = typer_app(
    "The people at your accounts: consent (opt out, opt in, the suppression list) and erasure."
)

LIST_COLUMNS = [
    "external_id",
    "name",
    "tier",
    "segment",
    "csm_email",
    "arr",
    "currency",
    "renewal_date",
    "renewal_months",
]

FileArgument = Annotated[Path, typer.Argument(help="A .csv or .jsonl (JSON Lines) file.")]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Check the file and report, writing nothing.")
]


def _import(ctx: typer.Context, kind: ImportKind, path: Path, dry_run: bool) -> None:
    cli = context(ctx)
    with cli.database.sessions() as session:
        result = import_file(session, cli.warehouse, kind, path) if not dry_run else None
        if dry_run:
            _check_only(ctx, kind, path)
            return
        session.commit()
    assert result is not None
    stderr.print(result.summary())


def _check_only(ctx: typer.Context, kind: ImportKind, path: Path) -> None:
    if kind is ImportKind.metrics:
        raise TenureError("--dry-run is for entity files; metrics are checked as they import")
    cli = context(ctx)
    with cli.database.sessions() as session:
        result = import_file(session, cli.warehouse, kind, path)
        session.rollback()
    stderr.print(f"{result.summary()} (dry run: nothing written)")


def _register(kind: ImportKind, help_text: str) -> None:
    def command(ctx: typer.Context, path: FileArgument, dry_run: DryRunOption = False) -> None:
        _import(ctx, kind, path, dry_run)

    command.__doc__ = help_text
    import_app.command(kind.value)(command)


_register(
    ImportKind.accounts,
    "Accounts: external_id, name, tier, segment, industry, csm_email, "
    "customer_since, lifecycle_stage; other columns become attributes.",
)
_register(
    ImportKind.contracts,
    "Contracts: external_id, account_external_id, start_date, "
    "end_date (exclusive), arr, currency, quantity, units, status.",
)
_register(
    ImportKind.contacts,
    "Contacts: external_id, account_external_id, name, email, title, "
    "seniority, is_sponsor, user_id.",
)
_register(ImportKind.metrics, "Metrics series: account_external_id, metric, date, value.")
_register(
    ImportKind.tickets,
    "Support tickets: external_id, account_external_id, opened_at, "
    "closed_at, kind, priority, satisfied, subject.",
)
_register(
    ImportKind.surveys,
    "Survey invitations and responses: external_id, "
    "account_external_id, contact_email, kind, sent_at, score, responded_at, comment.",
)


@accounts_app.command("list")
def list_accounts(
    ctx: typer.Context,
    csm: Annotated[str | None, typer.Option("--csm", help="Only this CSM's accounts.")] = None,
    tier: Annotated[str | None, typer.Option(help="Only this tier: free, trial or paid.")] = None,
    segment: Annotated[str | None, typer.Option(help="Only this segment.")] = None,
    search: Annotated[str | None, typer.Option(help="Name or external id contains this.")] = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The book: accounts with ARR and renewal as of a day."""
    cli = context(ctx)
    day = parse_date(as_of)
    where = service.AccountFilter(csm_email=csm, tier=tier, segment=segment, search=search)
    with cli.database.sessions() as session:
        accounts = service.list_accounts(session, cli.settings, day, where)
    records = [
        a.model_dump(mode="json" if fmt is OutputFormat.json else "python") for a in accounts
    ]
    emit(
        records,
        fmt,
        columns=None if fmt is OutputFormat.json else LIST_COLUMNS,
        title=f"Accounts as of {day}",
    )


@accounts_app.command("show")
def show_account(
    ctx: typer.Context,
    external_id: Annotated[str, typer.Argument(help="The account's external id.")],
    as_of: AsOfOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """An account's whole story: contracts and renewal, contacts (sponsor first), latest
    metrics, open tickets, latest survey scores and the timeline."""
    cli = context(ctx)
    day = parse_date(as_of)
    with cli.database.sessions() as session:
        story = service.account_story(session, cli.warehouse, cli.settings, external_id, day)
    mode = "json" if fmt is OutputFormat.json else "python"
    parts = {name: [r.model_dump(mode=mode) for r in rows] for name, rows in story}
    emit_parts(parts, fmt)


@note_app.command("add")
def add_note(
    ctx: typer.Context,
    external_id: Annotated[str, typer.Argument(help="The account's external id.")],
    text: Annotated[str, typer.Argument(help="What happened, or why (for a sentiment).")],
    kind: Annotated[
        TimelineKind, typer.Option(help="note, email, call, meeting or sentiment.")
    ] = TimelineKind.note,
    sentiment: Annotated[
        Sentiment | None, typer.Option(help="With --kind sentiment: red, amber or green.")
    ] = None,
    author: Annotated[str | None, typer.Option(help="Who wrote it (an email).")] = None,
    at: Annotated[str | None, typer.Option(help="When (ISO 8601); default now.")] = None,
) -> None:
    """Add a note, call, meeting, email or the CSM's own sentiment to an account's timeline."""
    when = _parse_datetime(at) if at else None
    data = TimelineCreate(kind=kind, text=text, sentiment=sentiment, at=when)
    with context(ctx).unit_of_work() as session:
        account = service.get_account(session, external_id)
        service.add_timeline_entry(session, account, data, author)
    stderr.print(f"added a {kind.value} to {external_id}")


def _parse_datetime(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise TenureError(f"--at: {value!r}: not a date-time, use ISO 8601") from None
