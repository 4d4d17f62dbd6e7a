"""`tenure usage`, `tenure keys`, `tenure metrics` and `tenure import events` (`tenure daily`,
which goes on to health, is `src/tenure/ops/cli.py`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from tenure.kit.cli import AsOfOption, CliContext, FormatOption, context, parse_date, typer_app
from tenure.kit.errors import TenureError
from tenure.kit.output import OutputFormat, emit, stderr
from tenure.models import Tier
from tenure.usage import keys, service
from tenure.usage.imports import import_events as import_events_file
from tenure.usage.store import EventStore

usage_app = typer_app("Product usage: statistics from events, grouped by client over time.")
keys_app = typer_app("Write keys for the event intake (/v1/track, /v1/batch, ...).")
metrics_app = typer_app("Usage metrics from the metric catalogue, per account per day.")

FromOption = Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")]
ToOption = Annotated[str | None, typer.Option("--to", help="Last day, inclusive (YYYY-MM-DD).")]


def _prune(cli: CliContext, day: date, keep_days: int) -> None:
    from tenure.usage.retention import prune_events

    pruned = prune_events(EventStore(cli.warehouse.root), keep_days, day)
    stderr.print(pruned.summary())


@usage_app.command("prune")
def prune(ctx: typer.Context, as_of: AsOfOption = None) -> None:
    """Delete raw events older than TENURE_EVENT_RETENTION_DAYS (the daily metrics stay)."""
    cli = context(ctx)
    keep = cli.settings.event_retention_days
    if keep is None:
        raise TenureError("set TENURE_EVENT_RETENTION_DAYS (at least 90) to prune events")
    _prune(cli, parse_date(as_of), keep)


@usage_app.command("stats")
def stats(
    ctx: typer.Context,
    event: Annotated[str, typer.Option("--event", help="The event name, e.g. 'Link Clicked'.")],
    start: FromOption = None,
    end: ToOption = None,
    by: Annotated[
        str, typer.Option("--by", help="account, user or property:NAME (e.g. property:campaign).")
    ] = "account",
    interval: Annotated[
        str, typer.Option("--interval", help="day, week (from Monday) or month.")
    ] = "week",
    tier: Annotated[
        Tier | None, typer.Option("--tier", help="Only accounts of this tier: free, trial, paid.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """How often an event happened per client and period (free clients included): e.g. link
    clicks per client per week. --to defaults to today, --from to 12 weeks before --to."""
    last = parse_date(end, "--to")
    first = parse_date(start, "--from") if start else date.fromordinal(last.toordinal() - 83)
    service.check_by(by)
    cli = context(ctx)
    with cli.unit_of_work() as session:
        records = service.usage_stats(
            session,
            cli.warehouse,
            cli.settings,
            event,
            by,
            interval,
            first,
            last,
            tier.value if tier else None,
        )
    key = [] if by == "account" else ["user_id" if by == "user" else by.split(":", 1)[1]]
    emit(
        records,
        fmt,
        columns=["account_external_id", "period", *key, "count"],
        title=f"{event} per {interval}, {first} to {last}",
    )


@keys_app.command("create")
def create_key(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option(help="What the key is for, e.g. 'web app'.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Create a write key. It is shown once: Tenure keeps only its hash."""
    with context(ctx).unit_of_work() as session:
        key, plain = keys.create_write_key(session, name)
        record = {"prefix": key.prefix, "name": key.name, "write_key": plain}
    if fmt is OutputFormat.table:
        stderr.print("write key (shown once; send it as the HTTP Basic user name):")
        typer.echo(plain)
    else:
        emit([record], fmt)


@keys_app.command("list")
def list_keys(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """List write keys (their prefixes; the keys themselves are not kept)."""
    with context(ctx).unit_of_work() as session:
        records = [
            {
                "prefix": k.prefix,
                "name": k.name,
                "created_at": k.created_at,
                "revoked_at": k.revoked_at,
            }
            for k in keys.list_write_keys(session)
        ]
    emit(records, fmt, columns=["prefix", "name", "created_at", "revoked_at"])


@keys_app.command("revoke")
def revoke_key(
    ctx: typer.Context,
    prefix: Annotated[str, typer.Argument(help="The key's first 12 characters.")],
) -> None:
    """Revoke a write key (the intake refuses it within 30 seconds)."""
    with context(ctx).unit_of_work() as session:
        key = keys.revoke_write_key(session, prefix)
        stderr.print(f"revoked write key {key.prefix}…")


def _days(as_of: str | None, start: str | None, end: str | None) -> list[date]:
    if as_of is not None and (start is not None or end is not None):
        raise TenureError("give either --as-of or --from/--to, not both")
    if start is None and end is not None:
        raise TenureError("--to needs --from")
    if start is not None:
        return service.day_range(parse_date(start, "--from"), parse_date(end, "--to"))
    return [parse_date(as_of)]


@metrics_app.command("compute")
def compute_metrics(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    start: FromOption = None,
    end: ToOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Compute the usage metrics for a day (or each day from --from to --to) into the metrics
    series. Days that late events changed are recomputed too."""
    days = _days(as_of, start, end)
    cli = context(ctx)
    with cli.unit_of_work() as session:
        run = service.compute_metrics(session, cli.warehouse, cli.settings, days)
    stderr.print(run.summary())
    emit([run.record()], fmt, title="Usage metrics computed")


@metrics_app.command("catalogue")
def show_catalogue(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """List the metric catalogue in use (TENURE_METRIC_CATALOGUE, or the default)."""
    catalogue = service.catalogue_for(context(ctx).settings)
    records = [
        {
            "metric": m.name,
            "aggregation": m.aggregation,
            "window_days": None if m.derived else m.window_days,
            "events": ", ".join(m.events) if m.events else None,
            "description": m.description,
        }
        for m in catalogue.metrics
    ]
    emit(records, fmt, title=catalogue.source)


def import_events(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A .jsonl, .csv or .parquet file of events.")],
) -> None:
    """Events: Segment calls in JSON Lines, or the stored columns (message_id, type, event,
    user_id, anonymous_id, account_external_id, timestamp, properties) in JSON Lines, CSV or
    Parquet. Every row needs a message id; rows already stored are skipped."""
    cli = context(ctx)
    if cli.settings.events_url:
        raise TenureError(
            "this Tenure reads events from TENURE_EVENTS_URL; load them into that warehouse"
        )
    result = import_events_file(EventStore(cli.warehouse.root), path)
    stderr.print(result.summary())
