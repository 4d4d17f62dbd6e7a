"""`tenure report value`: free clients' own statistics as emails and pages."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from tenure.kit.cli import FormatOption, context, parse_date, typer_app
from tenure.kit.output import OutputFormat, emit
from tenure.messaging.cli import AsOption, say, user_or_none
from tenure.models import Tier

report_app = typer_app("Reports for clients: value reports for free clients.")

COLUMNS = ["account_external_id", "name", "tier", "total", "periods", "top_link", "campaigns"]


@report_app.command("value")
def value(
    ctx: typer.Context,
    tier: Annotated[
        Tier, typer.Option(help="Clients of this tier (free, trial, paid).")
    ] = Tier.free,
    min_events: Annotated[
        int, typer.Option("--min-events", help="Only clients with at least this many clicks.")
    ] = 1,
    account: Annotated[
        list[str] | None, typer.Option("--account", help="Only these accounts (repeatable).")
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last day, inclusive; default today.")
    ] = None,
    interval: Annotated[str, typer.Option(help="day, week (from Monday) or month.")] = "week",
    out: Annotated[
        Path | None, typer.Option(help="Also write each report as an HTML page in this folder.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Compute and list the reports; draft nothing.")
    ] = False,
    who: AsOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Each client's own click statistics (the numbers of `tenure usage stats`), drafted as
    an email with an inline chart to its contacts; --to defaults to today, --from to 12
    weeks before --to."""
    from tenure.reports.page import value_page
    from tenure.reports.value import draft_value_reports, value_reports

    last = parse_date(end, "--to")
    first = parse_date(start, "--from") if start else date.fromordinal(last.toordinal() - 83)
    cli = context(ctx)
    with cli.unit_of_work() as session:
        reports = value_reports(
            session,
            cli.warehouse,
            cli.settings,
            first,
            last,
            interval=interval,
            tier=tier,
            min_events=min_events,
            accounts=account,
        )
        drafted = []
        if not dry_run:
            author = user_or_none(session, who)
            drafted = draft_value_reports(session, cli.settings, reports, author, cli.warehouse)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for report in reports:
            (out / f"{report.account_external_id}.html").write_text(value_page(report))
        say(f"{len(reports)} report pages written to {out}")
    records: list[dict[str, Any]] = [
        {
            "account_external_id": r.account_external_id,
            "name": r.name,
            "tier": r.tier,
            "total": r.total,
            "periods": r.periods,
            "top_links": r.top_links,
            "campaigns": r.campaigns,
            "top_link": r.top_links[0]["link"] if r.top_links else None,
        }
        for r in reports
    ]
    if fmt is not OutputFormat.json:
        # A table or CSV cell holds a number: how many periods and campaigns there are.
        for record in records:
            record["periods"] = len(record["periods"])
            record["campaigns"] = len(record["campaigns"])
            del record["top_links"]
    emit(
        records,
        fmt,
        columns=COLUMNS if fmt is not OutputFormat.json else None,
        title=f"Value reports, {first} to {last}",
    )
    if dry_run:
        say(f"{len(reports)} reports; nothing drafted (--dry-run)")
    else:
        say(f"{len(reports)} reports; {len(drafted)} emails drafted for approval")
