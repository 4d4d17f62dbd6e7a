"""`tenure qbr ACCOUNT` (the QBR pack, HTML or PDF) and `tenure qbr-meeting ACCOUNT`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tenure.kit.cli import AsOfOption, context, parse_date
from tenure.kit.errors import TenureError
from tenure.kit.output import stderr


class PackFormat(StrEnum):
    html = "html"
    pdf = "pdf"


def qbr_command(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="The account's external id.")],
    quarter_start: Annotated[
        str, typer.Option("--quarter-start", help="First day of the quarter (YYYY-MM-DD).")
    ],
    fmt: Annotated[PackFormat, typer.Option("--format", "-f", help="html or pdf.")] = (
        PackFormat.pdf
    ),
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write; default qbr-ACCOUNT-QUARTER.FORMAT."),
    ] = None,
    as_of: AsOfOption = None,
    by: Annotated[str | None, typer.Option(help="Who makes the pack (an email).")] = None,
) -> None:
    """The QBR pack of an account for a quarter: goals, health and why, usage, adoption gaps,
    support, surveys, what was done, recommendations, next quarter's plan and the renewal,
    frozen in one snapshot and rendered as HTML or PDF."""
    from tenure.reports import qbr, qbr_render

    cli = context(ctx)
    start = parse_date(quarter_start, "--quarter-start")
    day = parse_date(as_of) if as_of else None
    with cli.unit_of_work() as session:
        snapshot = qbr.build(session, cli.warehouse, cli.settings, account, start, day, by)
        content = (
            qbr_render.pdf(snapshot)
            if fmt is PackFormat.pdf
            else qbr_render.html(snapshot).encode()
        )
    target = output or Path(f"qbr-{account}-{start.isoformat()}.{fmt.value}")
    try:
        target.write_bytes(content)
    except OSError as error:
        raise TenureError(f"{target}: cannot write: {error.strerror or error}") from None
    stderr.print(f"QBR pack {snapshot.id} for {account} written to {target}", soft_wrap=True)


def qbr_meeting_command(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="The account's external id.")],
    action: Annotated[
        list[str],
        typer.Option(
            "--action", help="An agreed action, TEXT@DUE-DATE (YYYY-MM-DD); repeat for each."
        ),
    ],
    on: Annotated[str | None, typer.Option(help="Day of the meeting; default today.")] = None,
    summary: Annotated[str, typer.Option(help="What was discussed, in a line.")] = "",
    by: Annotated[str | None, typer.Option(help="Who logs it (an email).")] = None,
) -> None:
    """Log a QBR meeting on the account's timeline; its agreed actions become tasks for the
    account's CSM."""
    from tenure.accounts.service import get_account
    from tenure.reports.qbr_meeting import AgreedAction, log_meeting

    cli = context(ctx)
    day = parse_date(on, "--on")
    actions = []
    for text in action:
        what, sep, due = text.rpartition("@")
        if not sep or not what.strip():
            raise TenureError(f"--action {text!r}: write it as TEXT@YYYY-MM-DD")
        actions.append(AgreedAction(what.strip(), parse_date(due, f"--action {text!r}")))
    with cli.unit_of_work() as session:
        logged = log_meeting(session, get_account(session, account), day, summary, actions, by)
        references = ", ".join(t.reference for t in logged.tasks)
    stderr.print(f"QBR meeting logged on {account}'s timeline; tasks: {references}")
