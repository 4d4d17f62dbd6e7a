"""`tenure agent ...`: the daily run, the mandate, and decisions on what the agent proposed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tenure.kit.cli import AsOfOption, FormatOption, context, parse_date, typer_app
from tenure.kit.errors import TenureError
from tenure.kit.output import OutputFormat, emit, stderr

agent_app = typer_app("The agent: the daily routine inside a mandate, and what it did.")
mandate_app = typer_app("The agent's mandate (TOML): check, load, show.")
agent_app.add_typer(mandate_app, name="mandate")

CsmOption = Annotated[str | None, typer.Option("--csm", help="Only this CSM's book (their email).")]
ByOption = Annotated[str, typer.Option("--by", help="Who decides (a user's email).")]
ACTION_COLUMNS = (
    "id",
    "day",
    "account_external_id",
    "csm_email",
    "trigger",
    "kind",
    "decision",
    "status",
    "task_reference",
    "evidence",
    "reason",
)


def _say(text: str) -> None:
    stderr.print(text, markup=False, highlight=False, soft_wrap=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise TenureError(f"{path}: cannot read: {error.strerror or error}") from None


def _records(actions: list[Any]) -> list[dict[str, Any]]:
    from tenure.agent.service import action_record

    out = []
    for action in actions:
        record = action_record(action)
        record["evidence"] = "; ".join(record["evidence"])
        out.append({k: record[k] for k in (*ACTION_COLUMNS, "rule", "policy_version", "key")})
    return out


@agent_app.command("run")
def run_command(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    csm: CsmOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what it would do; change nothing.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The daily run: refresh the day (events, metrics, health), see what changed in every
    book (or one CSM's), act through the playbooks inside the mandate, and print the new
    actions. Running a day twice changes nothing; an earlier --as-of replays that day."""
    from tenure.agent import service

    day = parse_date(as_of)
    cli = context(ctx)
    if dry_run:
        with cli.database.sessions() as session:
            result = service.run(session, cli.warehouse, cli.settings, day, csm)
            records = _records(result.new + result.changed)
            session.rollback()
    else:
        with cli.unit_of_work() as session:
            result = service.run(session, cli.warehouse, cli.settings, day, csm)
            records = _records(result.new + result.changed)
    summary = result.summary()
    mode = f"mandate v{result.mandate_version} ({result.mode})"
    _say(
        f"agent {'dry run' if dry_run else 'run'} for {day} over {result.scope}, {mode}: "
        f"{summary['accounts']} accounts, {summary['triggers']} triggers, "
        f"{summary['new_actions']} new actions {summary['by_status']}, "
        f"{summary['already_done']} already done, "
        f"{summary['covered_by_open_tasks']} covered by open tasks, "
        f"{summary['expired']} approvals expired"
    )
    emit(records, fmt, ACTION_COLUMNS, title=f"Agent actions on {day}")


@agent_app.command("actions")
def actions_command(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--day", help="Only this day's (YYYY-MM-DD).")
    ] = None,
    csm: CsmOption = None,
    status: Annotated[
        str | None, typer.Option("--status", help="e.g. awaiting_approval, proposed, done.")
    ] = None,
    account: Annotated[
        str | None, typer.Option("--account", help="An account's external_id.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """What the agent did and proposed, newest day first."""
    from tenure.agent import service

    day = parse_date(as_of, "--day") if as_of else None
    with context(ctx).unit_of_work() as session:
        records = _records(service.list_actions(session, day, csm, status, account))
    emit(records, fmt, ACTION_COLUMNS, title="Agent actions")


def _decide(ctx: typer.Context, action_id: int, verdict: str, by: str) -> None:
    from tenure.agent import service
    from tenure.users.service import require_by_email

    cli = context(ctx)
    with cli.unit_of_work() as session:
        user = require_by_email(session, by)
        action = service.decide(session, cli.settings, action_id, verdict, user, via="cli")
        status = action.status
    _say(f"agent action {action_id}: {status}")


@agent_app.command("approve")
def approve_command(
    ctx: typer.Context,
    action_id: Annotated[int, typer.Argument(help="The action's id.")],
    by: ByOption,
) -> None:
    """Approve an action that waits for a person: it is done (a draft is sent) now."""
    _decide(ctx, action_id, "approve", by)


@agent_app.command("reject")
def reject_command(
    ctx: typer.Context,
    action_id: Annotated[int, typer.Argument(help="The action's id.")],
    by: ByOption,
) -> None:
    """Reject an action that waits for a person: it is never done."""
    _decide(ctx, action_id, "reject", by)


@agent_app.command("undo")
def undo_command(
    ctx: typer.Context,
    action_id: Annotated[int, typer.Argument(help="The action's id.")],
    by: ByOption,
) -> None:
    """Undo what the agent did: its open task is removed, its unsent draft cancelled."""
    _decide(ctx, action_id, "undo", by)


@mandate_app.command("check")
def mandate_check(path: Annotated[Path, typer.Argument(help="A mandate in TOML.")]) -> None:
    """Check a mandate without loading it."""
    from tenure.agent.mandate import parse_mandate

    mandate = parse_mandate(_read(path), str(path))
    _say(f"{path}: mode {mandate.mode}, {len(mandate.actions)} actions: ok")


@mandate_app.command("load")
def mandate_load(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A mandate in TOML (docs/agent.md).")],
    by: Annotated[str | None, typer.Option("--by", help="Who loads it (an email).")] = None,
) -> None:
    """Check and store a mandate; it is in force from the next run (as a new version)."""
    from tenure.agent import service
    from tenure.users.service import require_by_email

    text = _read(path)
    with context(ctx).unit_of_work() as session:
        user = require_by_email(session, by) if by else None
        loaded = service.load_mandate(session, text, str(path), user)
        version = loaded.mandate.version
    if loaded.created:
        _say(f"loaded mandate version {version} (mode {loaded.mandate.mode})")
    else:
        _say(f"mandate unchanged: still version {version}")


@mandate_app.command("show")
def mandate_show(
    ctx: typer.Context,
    fmt: FormatOption = OutputFormat.table,
    source: Annotated[bool, typer.Option("--source", help="Print the TOML text itself.")] = False,
) -> None:
    """The mandate in force: each action's decision, the limits and quiet periods."""
    from tenure.agent import service
    from tenure.agent.mandate import parse_mandate

    with context(ctx).unit_of_work() as session:
        text, file, version = service.active_mandate_source(session)
    if source:
        typer.echo(text, nl=False)
        return
    mandate = parse_mandate(text, file, version)
    records: list[dict[str, Any]] = [
        {"setting": f"actions.{k}", "value": v} for k, v in mandate.actions.items()
    ]
    records += [
        {"setting": "version", "value": version},
        {"setting": "mode", "value": mandate.mode},
        {
            "setting": "limits.messages_per_account_per_week",
            "value": mandate.limits.messages_per_account_per_week,
        },
        {"setting": "limits.messages_per_day", "value": mandate.limits.messages_per_day},
        {"setting": "quiet.during_open_incident", "value": mandate.quiet.during_open_incident},
        {"setting": "quiet.days_after_last_touch", "value": mandate.quiet.days_after_last_touch},
        {"setting": "approvals.expire_after_days", "value": mandate.approvals.expire_after_days},
        {"setting": "approvals.on_expiry", "value": mandate.approvals.on_expiry},
    ]
    emit(records, fmt, title=f"Mandate v{version} ({file})")


@agent_app.command("digest")
def digest_command(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    csm: CsmOption = None,
    send: Annotated[
        bool, typer.Option("--send", help="Put each digest in the outbox (sent by the sender).")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Each CSM's daily digest (or one CSM's): today's tasks, what awaits their approval,
    what changed in their book. --send mails it through the outbox, once per CSM and day."""
    from tenure.agent import digest

    day = parse_date(as_of)
    cli = context(ctx)
    records = []
    with cli.unit_of_work() as session:
        for user in digest.csms(session, csm):
            content = digest.digest(session, cli.settings, user, day)
            record: dict[str, Any] = {
                "csm_email": user.email,
                "day": day,
                "tasks": len(content["tasks"]),
                "awaiting_approval": len(content["waiting"]),
                "changes": len(content["changes"]),
            }
            if send:
                message = digest.send(session, cli.settings, user, day)
                record["message_id"] = message.id
                record["message_status"] = message.status
            records.append(record)
    if csm is not None and not records:
        raise TenureError(f"--csm: no user with email {csm!r}")
    emit(records, fmt, title=f"Agent digests for {day}")
