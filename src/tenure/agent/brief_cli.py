"""`tenure accounts brief ID`: the account's brief, and a CSM's own lines added to it."""

from __future__ import annotations

from typing import Annotated

import typer

from tenure.kit.cli import AsOfOption, FormatOption, context, parse_date
from tenure.kit.output import OutputFormat, emit, stderr


def brief_command(
    ctx: typer.Context,
    external_id: Annotated[str, typer.Argument(help="The account's external_id.")],
    as_of: AsOfOption = None,
    add: Annotated[
        str | None,
        typer.Option("--add", help="Add a line: goal, promise, stance or note (with --text)."),
    ] = None,
    text: Annotated[str | None, typer.Option("--text", help="The line to add.")] = None,
    due: Annotated[
        str | None, typer.Option("--due", help="A goal's or promise's date (YYYY-MM-DD).")
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who adds it (an email).")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """An account's brief, what the next touch starts from: goals, stakeholders and their
    stance, promises and their dates, last touches, open risks and what is being done, open
    hand-offs; each line with its source. --add puts a CSM's own line in it."""
    from tenure.agent import brief
    from tenure.kit.errors import TenureError
    from tenure.users.service import require_by_email

    day = parse_date(as_of)
    cli = context(ctx)
    with cli.unit_of_work() as session:
        account = brief.account_of(session, external_id)
        if add is not None:
            if not text:
                raise TenureError("--add needs --text")
            user = require_by_email(session, by) if by else None
            item = brief.add_item(
                session, account, add, text, parse_date(due, "--due") if due else None, user, "cli"
            )
            stderr.print(f"added {add} line {item.id} to {external_id}'s brief", markup=False)
        lines = brief.records(brief.build(session, account, day))
    emit(lines, fmt, ("section", "text", "source", "day"), title=f"Brief of {external_id} on {day}")
