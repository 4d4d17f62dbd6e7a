"""`tenure incident notify`: the clients an incident touched, their notices and the brief."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tenure.kit.cli import FormatOption, context, typer_app
from tenure.kit.output import OutputFormat, emit
from tenure.messaging.cli import AsOption, say, user_or_none
from tenure.messaging.incidents import Incident

incident_app = typer_app("Incident notices: who was affected, their notices, the internal brief.")

AFFECTED_COLUMNS = [
    "rank",
    "account_external_id",
    "name",
    "tier",
    "arr",
    "currency",
    "count",
    "users",
    "open_tickets",
    "csm_email",
]


@incident_app.command("notify")
def notify(
    ctx: typer.Context,
    start: Annotated[
        str, typer.Option("--from", help="Window start, e.g. 2026-11-20T14:05 (UTC).")
    ],
    end: Annotated[str, typer.Option("--to", help="Window end (exclusive), UTC.")],
    event: Annotated[
        str | None, typer.Option("--event", help="Only this event (default all traffic).")
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="Only events with this property value, NAME=VALUE."),
    ] = None,
    what: Annotated[str, typer.Option(help="What the counts count, in the notice.")] = "events",
    summary: Annotated[
        str, typer.Option(help="What happened, e.g. 'redirects were slower than usual'.")
    ] = "our service was disrupted",
    detail: Annotated[str, typer.Option(help="A paragraph for the notice.")] = "",
    brief: Annotated[
        Path | None, typer.Option(help="Write the internal brief (Markdown) to this file.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the affected clients; draft nothing.")
    ] = False,
    who: AsOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Find the clients with events in the window (their own counts, ranked by ARR and
    tier), then draft a notice for each one's contacts (pending approval) and the brief."""
    from tenure.messaging import incident_service as incidents
    from tenure.messaging.incidents import brief_markdown

    cli = context(ctx)
    incident = Incident(
        start=incidents.parse_instant(start, "--from"),
        end=incidents.parse_instant(end, "--to"),
        what=what,
        summary=summary,
        event=event,
        where=incidents.parse_where(where or []),
    )
    with cli.unit_of_work() as session:
        if dry_run:
            affected = incidents.find_affected(session, cli.warehouse, cli.settings, incident)
            text = brief_markdown(incident, affected, cli.settings.base_currency)
            notices = 0
        else:
            author = user_or_none(session, who)
            drafts = incidents.draft_incident(
                session, cli.warehouse, cli.settings, incident, author, detail
            )
            affected, text, notices = drafts.affected, drafts.brief, len(drafts.notices)
    records = [{"rank": n, **vars(a)} for n, a in enumerate(affected, 1)]
    emit(records, fmt, columns=AFFECTED_COLUMNS, title=f"Affected clients ({incident.key})")
    if brief is not None:
        brief.write_text(text)
        say(f"brief written to {brief}")
    if dry_run:
        say(f"{len(affected)} clients affected; nothing drafted (--dry-run)")
    else:
        say(
            f"{len(affected)} clients affected; {notices} notices drafted for approval "
            f"(batch {incident.key})"
        )
