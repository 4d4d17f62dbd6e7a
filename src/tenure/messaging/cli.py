"""`tenure template`, `tenure mail` and `tenure contacts opt-out|opt-in`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.kit.cli import AsOfOption, FormatOption, context, parse_date, typer_app
from tenure.kit.errors import NotFound, TenureError
from tenure.kit.output import OutputFormat, emit, stderr
from tenure.messaging import schemas, service
from tenure.models import Account, Contact, Suppression, User

template_app = typer_app("Message templates: load a new version, list them, show one.")
mail_app = typer_app("The outbox: draft, review, approve and send messages over SMTP.")


def add_consent_commands(group: typer.Typer) -> None:
    """`opt-out`, `opt-in` and `suppressed` under a `contacts` group (Tenure's own, which
    other contact commands share)."""
    group.command("opt-out")(opt_out)
    group.command("opt-in")(opt_in)
    group.command("suppressed")(suppressed)


handoff_app = typer_app("Hand-offs to support, sales and product: email and signed webhook.")

MESSAGE_COLUMNS = [
    "id",
    "status",
    "account_external_id",
    "to_email",
    "template",
    "subject",
    "author",
    "approved_by",
    "attempts",
    "last_answer",
]
AsOption = Annotated[
    str | None,
    typer.Option("--as", help="The Tenure user doing this (an email); default Tenure itself."),
]
VarOption = Annotated[
    list[str] | None,
    typer.Option("--var", help="An extra template variable, NAME=VALUE (repeatable)."),
]
VarsFileOption = Annotated[
    Path | None, typer.Option("--vars-file", help="Extra template variables as a JSON object.")
]


def say(text: str) -> None:
    stderr.print(text, markup=False, highlight=False, soft_wrap=True)


def user_or_none(session: Session, email: str | None) -> User | None:
    if email is None:
        return None
    from tenure.users.service import require_by_email

    return require_by_email(session, email)


def extra_variables(pairs: list[str] | None, path: Path | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise TenureError(f"{path}: not a JSON object: {error}") from None
        if not isinstance(loaded, dict):
            raise TenureError(f"{path}: not a JSON object")
        values.update(loaded)
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise TenureError(f"--var {pair!r}: use NAME=VALUE")
        values[name] = value
    return values


# -- templates -------------------------------------------------------------------------------
@template_app.command("load")
def load_templates(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Template files (TOML).")],
    by: AsOption = None,
) -> None:
    """Check template files and store each as the next version of its name (all or none)."""
    cli = context(ctx)
    problems: list[str] = []
    with cli.unit_of_work() as session:
        loaded = []
        for path in files:
            try:
                source = path.read_text()
            except OSError as error:
                raise TenureError(f"{path}: cannot read: {error.strerror}") from None
            try:
                loaded.append(service.load_template(session, source, str(path), by))
            except TenureError as error:
                problems.extend(error.problems or [error.message])
        if problems:
            raise TenureError("templates refused, nothing loaded", problems=problems)
    for row in loaded:
        say(f"template {row.name} version {row.version} loaded from {row.source_file}")


@template_app.command("list")
def list_templates(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """The templates in use: the latest loaded version of each name, else the shipped one."""
    cli = context(ctx)
    with cli.unit_of_work() as session:
        rows = [
            {
                "name": t.template.name,
                "version": t.version,
                "audience": t.template.audience,
                "variables": ", ".join(t.template.variables),
                "description": t.template.description,
            }
            for t in service.list_templates(session)
        ]
    emit(rows, fmt, title="Message templates (version 0: shipped with Tenure)")


@template_app.command("show")
def show_template(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Template name.")],
    version: Annotated[int | None, typer.Option(help="A stored version; default latest.")] = None,
) -> None:
    """Print a template's source (load a changed copy with `tenure template load`)."""
    cli = context(ctx)
    with cli.unit_of_work() as session:
        found = service.get_template(session, name, version)
    say(f"{name} version {found.version} ({found.source_file or 'stored'})")
    typer.echo(found.source, nl=False)


# -- the outbox ------------------------------------------------------------------------------
def _contacts(session: Session, account: Account, email: str | None) -> list[Contact]:
    if email is not None:
        contact = session.scalar(
            select(Contact).where(
                Contact.account_id == account.id, Contact.email == service.normalise(email)
            )
        )
        if contact is None:
            # Imported addresses keep their case: compare without it.
            contact = next(
                (c for c in account.contacts if (c.email or "").lower() == email.lower()), None
            )
        if contact is None:
            raise NotFound(f"{account.external_id} has no contact {email!r}")
        return [contact]
    found = [c for c in account.contacts if c.email]
    if not found:
        raise TenureError(f"{account.external_id} has no contact with an email address")
    return found


@mail_app.command("draft")
def draft(
    ctx: typer.Context,
    template: Annotated[str, typer.Option("--template", help="Template name.")],
    account_id: Annotated[str, typer.Option("--account", help="The account's external id.")],
    contact: Annotated[
        str | None, typer.Option("--contact", help="A contact's email; default every contact.")
    ] = None,
    var: VarOption = None,
    vars_file: VarsFileOption = None,
    reason: Annotated[str, typer.Option(help="Why it is sent (on the timeline).")] = (
        "written by its CSM"
    ),
    author: Annotated[
        str | None, typer.Option("--author", help="Who writes it (a Tenure user's email).")
    ] = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Draft a message from a template for an account's contact (or each of its contacts)."""
    from tenure.accounts.service import get_account

    cli = context(ctx)
    day = parse_date(as_of)
    extra = extra_variables(var, vars_file)
    with cli.unit_of_work() as session:
        account = get_account(session, account_id)
        writer = user_or_none(session, author)
        messages = [
            service.draft_message(
                session,
                cli.settings,
                account=account,
                contact=c,
                template=template,
                variables=extra,
                author=writer,
                reason=reason,
                warehouse=cli.warehouse,
                as_of=day,
            )
            for c in _contacts(session, account, contact)
        ]
        records = [schemas.message_read(m).model_dump() for m in messages]
    emit(records, fmt, columns=MESSAGE_COLUMNS, title="Drafted")
    suppressed = sum(1 for r in records if r["status"] == service.SUPPRESSED)
    if suppressed:
        say(f"{suppressed} recipient(s) opted out or bounced: kept as suppressed, never sent")


@mail_app.command("list")
def list_mail(
    ctx: typer.Context,
    status: Annotated[
        list[str] | None, typer.Option("--status", help="Only these states (repeatable).")
    ] = None,
    account_id: Annotated[str | None, typer.Option("--account", help="Only this account.")] = None,
    batch: Annotated[str | None, typer.Option(help="Only this announcement or incident.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 500,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The outbox, newest first."""
    from tenure.accounts.service import get_account

    cli = context(ctx)
    with cli.unit_of_work() as session:
        account = get_account(session, account_id) if account_id else None
        messages = service.list_messages(
            session, statuses=status, account=account, batch=batch, limit=limit
        )
        records = [schemas.message_read(m).model_dump() for m in messages]
    emit(records, fmt, columns=MESSAGE_COLUMNS, title="Outbox")


@mail_app.command("show")
def show_mail(
    ctx: typer.Context,
    message_id: Annotated[int, typer.Argument(help="The message's id.")],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """One message with its text."""
    cli = context(ctx)
    with cli.unit_of_work() as session:
        record = schemas.message_text(service.get_message(session, message_id)).model_dump()
    emit([record], fmt, title=f"Message {message_id}")


def _each(ctx: typer.Context, ids: list[int], who: str | None, verb: str, action: Any) -> None:
    cli = context(ctx)
    with cli.unit_of_work() as session:
        user = user_or_none(session, who)
        for message_id in ids:
            action(session, cli, service.get_message(session, message_id), user)
    say(f"{len(ids)} message(s) {verb}")


@mail_app.command("approve")
def approve(
    ctx: typer.Context,
    ids: Annotated[list[int] | None, typer.Argument(help="Message ids.")] = None,
    batch: Annotated[
        str | None, typer.Option(help="Every draft of this announcement or incident.")
    ] = None,
    who: AsOption = None,
) -> None:
    """Approve messages for sending (the author of a client message cannot approve it)."""
    ids = list(ids or [])
    if batch is not None:
        cli = context(ctx)
        with cli.unit_of_work() as session:
            waiting = service.list_messages(
                session, statuses=list(service.EDITABLE), batch=batch, limit=100_000
            )
            ids += [m.id for m in waiting]
        say(f"batch {batch}: {len(waiting)} messages waiting for approval")
    if not ids:
        raise TenureError("name message ids or --batch")
    _each(
        ctx,
        ids,
        who,
        "approved",
        lambda session, cli, m, user: service.approve(session, cli.settings, m, user),
    )


@mail_app.command("submit")
def submit(
    ctx: typer.Context,
    ids: Annotated[list[int], typer.Argument(help="Message ids.")],
    who: AsOption = None,
) -> None:
    """Ask for approval of drafts (draft -> pending_approval)."""
    _each(
        ctx, ids, who, "submitted", lambda session, _cli, m, user: service.submit(session, m, user)
    )


@mail_app.command("cancel")
def cancel(
    ctx: typer.Context,
    ids: Annotated[list[int], typer.Argument(help="Message ids.")],
    who: AsOption = None,
) -> None:
    """Cancel messages not sent yet."""
    _each(
        ctx, ids, who, "cancelled", lambda session, _cli, m, user: service.cancel(session, m, user)
    )


@mail_app.command("send")
def send(
    ctx: typer.Context,
    limit: Annotated[int | None, typer.Option(help="Send at most this many.")] = None,
) -> None:
    """Send the approved messages that are due over SMTP (each exactly once)."""
    from tenure.messaging.handoffs import deliver_webhooks
    from tenure.messaging.sender import send_approved

    cli = context(ctx)
    report = send_approved(cli.database, cli.settings, limit=limit)
    say(report.summary())
    say(deliver_webhooks(cli.database, cli.settings).summary())
    if report.limit_reached:
        raise TenureError(
            f"daily sending limit of {cli.settings.mail_daily_limit} reached "
            f"(TENURE_MAIL_DAILY_LIMIT): {report.limit_reached} approved message(s) wait for "
            "tomorrow"
        )


# -- consent ---------------------------------------------------------------------------------
def opt_out(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The address that receives nothing more.")],
    reason: Annotated[str, typer.Option(help="unsubscribed, hard_bounce or manual.")] = "manual",
    note: Annotated[str | None, typer.Option(help="Why, in words.")] = None,
    by: AsOption = None,
) -> None:
    """Put an address on the suppression list: Tenure never sends it a client message."""
    cli = context(ctx)
    with cli.unit_of_work() as session:
        row = service.suppress(session, email, reason, note, by)
    say(f"{row.email} opted out ({row.reason})")


def opt_in(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="An address on the suppression list.")],
) -> None:
    """Take an address off the suppression list (only when the person asked to be back)."""
    cli = context(ctx)
    with cli.unit_of_work() as session:
        removed = service.unsuppress(session, email)
    if not removed:
        raise NotFound(f"{email} is not on the suppression list")
    say(f"{service.normalise(email)} opted back in")


def suppressed(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """The suppression list: every address Tenure never sends to, with its reason."""
    cli = context(ctx)
    with cli.unit_of_work() as session:
        rows = session.scalars(select(Suppression).order_by(Suppression.email))
        records = [schemas.suppression_read(r).model_dump() for r in rows]
    emit(records, fmt, title="Suppression list")


# -- hand-offs -------------------------------------------------------------------------------
HANDOFF_COLUMNS = [
    "id",
    "account_external_id",
    "lane",
    "summary",
    "author",
    "message_status",
    "webhook_status",
    "webhook_attempts",
    "webhook_answer",
]


@handoff_app.command("create")
def create_handoff(
    ctx: typer.Context,
    account_id: Annotated[str, typer.Option("--account", help="The account's external id.")],
    lane: Annotated[str, typer.Option(help="support, sales or product.")],
    summary: Annotated[str, typer.Option(help="What is handed off, in one line.")],
    evidence: Annotated[
        list[str] | None, typer.Option(help="A piece of evidence (repeatable).")
    ] = None,
    who: AsOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Hand work to a colleague's lane: an internal email (sent by `tenure mail send` and
    `tenure serve`) and/or a signed webhook, shown on the account's timeline."""
    from tenure.accounts.service import get_account
    from tenure.messaging.handoffs import hand_off, handoff_record

    cli = context(ctx)
    with cli.unit_of_work() as session:
        row = hand_off(
            session,
            cli.settings,
            account=get_account(session, account_id),
            lane=lane,
            summary=summary,
            evidence=evidence or [],
            author=user_or_none(session, who),
        )
        record = handoff_record(row)
    emit([record], fmt, columns=HANDOFF_COLUMNS, title="Hand-off")


@handoff_app.command("list")
def list_handoffs(
    ctx: typer.Context,
    account_id: Annotated[str | None, typer.Option("--account", help="Only this account.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Hand-offs, newest first, with where their email and webhook are."""
    from tenure.accounts.service import get_account
    from tenure.messaging import handoffs

    cli = context(ctx)
    with cli.unit_of_work() as session:
        account = get_account(session, account_id) if account_id else None
        records = [handoffs.handoff_record(r) for r in handoffs.list_handoffs(session, account)]
    emit(records, fmt, columns=HANDOFF_COLUMNS, title="Hand-offs")


@handoff_app.command("deliver")
def deliver(ctx: typer.Context) -> None:
    """Post the hand-off webhooks that are due (retries included)."""
    from tenure.messaging.handoffs import deliver_webhooks

    cli = context(ctx)
    say(deliver_webhooks(cli.database, cli.settings).summary())


# -- announcements ---------------------------------------------------------------------------
RECIPIENT_COLUMNS = ["account_external_id", "account_name", "name", "email", "role", "suppressed"]


def announce_command(
    ctx: typer.Context,
    template: Annotated[str, typer.Option("--template", help="A client template's name.")],
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            help="Account filter KEY=VALUE (repeatable): tier, segment, industry, "
            "lifecycle_stage, csm, health, renewal_within, attribute:NAME.",
        ),
    ] = None,
    contacts: Annotated[
        str, typer.Option("--contacts", help="all, sponsor or seniority:LEVEL[,LEVEL].")
    ] = "all",
    var: VarOption = None,
    vars_file: VarsFileOption = None,
    reason: Annotated[str, typer.Option(help="Why it is sent (on the timeline).")] = (
        "announcement"
    ),
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the recipients and count them; draft nothing.")
    ] = False,
    who: AsOption = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Announce to a segment: the recipients and their count first, then one draft per
    contact (pending approval, one batch; approve it with `tenure mail approve --batch`)."""
    from tenure.messaging import announcements

    cli = context(ctx)
    day = parse_date(as_of)
    filters = announcements.parse_filters(where or [])
    extra = extra_variables(var, vars_file)
    with cli.unit_of_work() as session:
        found = announcements.recipients(session, cli.settings, filters, contacts, day)
        records = [vars(r) for r in found]
        if not dry_run:
            service.get_template(session, template)
            drafted = announcements.announce(
                session,
                cli.settings,
                template=template,
                filters=filters,
                role=contacts,
                author=user_or_none(session, who),
                reason=reason,
                variables=extra,
                as_of=day,
                warehouse=cli.warehouse,
            )
    emit(records, fmt, columns=RECIPIENT_COLUMNS, title="Recipients")
    blocked = sum(1 for r in found if r.suppressed)
    accounts = len({r.account_external_id for r in found})
    say(f"{len(found)} recipients at {accounts} accounts ({blocked} opted out or bounced)")
    if dry_run:
        say("nothing drafted (--dry-run)")
    else:
        batch = drafted[0].batch if drafted else ""
        say(f"{len(drafted)} messages drafted for approval: batch {batch}")
