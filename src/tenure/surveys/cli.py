"""`tenure survey create|send|remind|sync|status|close`: survey campaigns from the command line."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tenure.kit.cli import FormatOption, context, typer_app
from tenure.kit.output import OutputFormat, emit, stderr
from tenure.models import Seniority, SurveyKind, Tier

if TYPE_CHECKING:
    from datetime import datetime

survey_app = typer_app(
    "Survey campaigns Tenure sends itself (NPS, CSAT, CES): create, send, remind, sync, "
    "status, close."
)

CAMPAIGN_COLUMNS = [
    "name",
    "kind",
    "status",
    "sent_at",
    "invited",
    "delivered",
    "answered",
    "response_rate",
    "nps",
    "csat",
    "ces",
]


class RatesBy(StrEnum):
    campaign = "campaign"
    account = "account"
    segment = "segment"


def _record(read: Any) -> dict[str, Any]:
    record: dict[str, Any] = read.model_dump(mode="json", exclude={"audience"})
    record["audience"] = read.audience.model_dump(mode="json", exclude_defaults=True)
    return record


@survey_app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name of its own, e.g. nps-2026-q4.")],
    kind: Annotated[SurveyKind, typer.Option(help="nps (0-10), csat (1-5) or ces (1-7).")],
    question: Annotated[str | None, typer.Option(help="Default: the standard question.")] = None,
    follow_up: Annotated[
        str | None, typer.Option(help="An open question asked after the score.")
    ] = None,
    role: Annotated[
        str, typer.Option(help="sponsor (executive sponsors) or all (every contact).")
    ] = "sponsor",
    seniority: Annotated[
        list[Seniority] | None, typer.Option(help="Only contacts of this seniority (repeat).")
    ] = None,
    tier: Annotated[Tier | None, typer.Option(help="Only accounts of this tier.")] = None,
    segment: Annotated[str | None, typer.Option(help="Only accounts of this segment.")] = None,
    csm: Annotated[str | None, typer.Option("--csm", help="Only this CSM's accounts.")] = None,
    account: Annotated[
        list[str] | None, typer.Option("--account", help="Only this account (repeat).")
    ] = None,
    include_inactive: Annotated[
        bool,
        typer.Option("--include-inactive", help="Also accounts with no active contract."),
    ] = False,
    expires_days: Annotated[int, typer.Option(help="Days each link stays valid.")] = 30,
    reminder_days: Annotated[
        int, typer.Option(help="Remind non-responders once after this many days (0: never).")
    ] = 7,
    by: Annotated[str | None, typer.Option(help="Who creates it (an email).")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Create a survey campaign (a draft: nothing is sent until `tenure survey send`)."""
    from tenure.surveys import service
    from tenure.surveys.schemas import CampaignCreate

    cli = context(ctx)
    data = CampaignCreate.model_validate(
        {
            "name": name,
            "kind": kind,
            "question": question,
            "follow_up": follow_up,
            "audience": {
                "role": role,
                "seniority": seniority or [],
                "tier": tier,
                "segment": segment,
                "csm_email": csm,
                "accounts": account or [],
                "active_only": not include_inactive,
            },
            "expires_days": expires_days,
            "reminder_days": reminder_days or None,
        }
    )
    with cli.unit_of_work() as session:
        campaign = service.create_campaign(session, data, by)
        read = service.campaign_read(session, campaign)
    stderr.print(f"survey {name} created (draft); send it with `tenure survey send {name}`")
    emit([_record(read)], fmt, CAMPAIGN_COLUMNS)


@survey_app.command("status")
def status(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="One campaign; default all.")] = None,
    by: Annotated[
        RatesBy, typer.Option("--by", help="Response rates per campaign, account or segment.")
    ] = RatesBy.campaign,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Invited, delivered, answered, response rate (answered over delivered) and scores."""
    from tenure.surveys import core, mail, service

    cli = context(ctx)
    with cli.unit_of_work() as session:
        campaigns = [service.get_campaign(session, name)] if name else None
        for campaign in campaigns or service.list_campaigns(session):
            mail.sync(session, campaign)
        if campaigns is None and by is RatesBy.campaign:
            reads = [service.campaign_read(session, c) for c in service.list_campaigns(session)]
            emit([_record(r) for r in reads], fmt, CAMPAIGN_COLUMNS, title="Survey campaigns")
            return
        if campaigns and by is RatesBy.campaign:
            emit([_record(service.campaign_read(session, campaigns[0]))], fmt, CAMPAIGN_COLUMNS)
            return
        rows = service.recipient_rows(session, campaigns[0] if campaigns else None)
    emit(core.response_rates(rows, by.value), fmt, title=f"Response rates by {by.value}")


@survey_app.command("close")
def close(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The campaign.")],
) -> None:
    """Close a campaign: its links then say so and take no more answers."""
    from tenure.kit.dates import utc_now
    from tenure.surveys import mail, service

    cli = context(ctx)
    with cli.unit_of_work() as session:
        campaign = service.get_campaign(session, name)
        mail.sync(session, campaign)
        service.close_campaign(session, campaign, utc_now())
        read = service.campaign_read(session, campaign)
    rate = "none" if read.response_rate is None else f"{read.response_rate:.0%}"
    stderr.print(f"survey {name} closed: {read.answered} answers, response rate {rate}")


AsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="The person who approves the emails (not the campaign's creator); default "
        "Tenure itself.",
    ),
]


def _approver(session: Any, email: str | None) -> Any:
    from tenure.users.service import require_by_email

    return None if email is None else require_by_email(session, email)


NowOption = Annotated[
    bool, typer.Option("--now", help="Also send the approved emails at once over SMTP.")
]


def _deliver(cli: Any, name: str) -> None:
    """Send what is approved now (else `tenure serve` sends it within mail_send_seconds)."""
    from tenure.messaging.sender import send_approved
    from tenure.surveys import mail, service

    report = send_approved(cli.database, cli.settings)
    stderr.print(report.summary())
    with cli.unit_of_work() as session:
        mail.sync(session, service.get_campaign(session, name))


@survey_app.command("send")
def send(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The campaign.")],
    who: AsOption = None,
    hold: Annotated[
        bool,
        typer.Option("--hold", help="Leave the emails waiting for approval in the outbox."),
    ] = False,
    now: NowOption = False,
    new_wave: Annotated[
        bool, typer.Option("--new-wave", help="Survey the audience again (a new wave).")
    ] = False,
) -> None:
    """Put one invitation per recipient, with its one-click score links, in the outbox."""
    from tenure.kit.dates import utc_now
    from tenure.surveys import mail, service

    cli = context(ctx)
    with cli.unit_of_work() as session:
        campaign = service.get_campaign(session, name)
        approver = _approver(session, who)
        mailed = mail.invite(
            session, cli.settings, campaign, utc_now(), approver, not hold, new_wave
        )
    stderr.print(
        f"survey {name}: {mailed.recipients} invitation(s) in the outbox, {mailed.approved} "
        f"approved" + (f", {len(mailed.suppressed)} suppressed" if mailed.suppressed else "")
    )
    if now:
        _deliver(cli, name)


def _moment(as_of: str | None) -> datetime:
    """The end of the day `--as-of` names (reminders due that day are due), default now."""
    from datetime import UTC, time
    from datetime import datetime as moment

    from tenure.kit.cli import parse_date
    from tenure.kit.dates import utc_now

    return moment.combine(parse_date(as_of), time(23, 59), tzinfo=UTC) if as_of else utc_now()


@survey_app.command("remind")
def remind(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The campaign.")],
    who: AsOption = None,
    now: NowOption = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Remind as of this day; default now.")
    ] = None,
) -> None:
    """Remind, once, those who have not answered the campaign's reminder_days after it was
    sent."""
    from tenure.surveys import mail, service

    cli = context(ctx)
    moment = _moment(as_of)
    with cli.unit_of_work() as session:
        campaign = service.get_campaign(session, name)
        mailed = mail.remind(session, cli.settings, campaign, moment, _approver(session, who))
    stderr.print(f"survey {name}: {mailed.recipients} reminder(s) in the outbox")
    if now:
        _deliver(cli, name)


@survey_app.command("sync")
def sync(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Remind as of this day; default now.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """What `tenure serve` does every mail_send_seconds, once (for cron without a server):
    count each open campaign's sent invitations as delivered and draft its due reminders,
    approved by Tenure where Tenure approved the invitation, else waiting for approval."""
    from tenure.surveys.background import sync_open

    cli = context(ctx)
    moment = _moment(as_of)
    rounds = sync_open(cli.database, cli.settings, moment)
    rows = [
        {
            "name": r.campaign,
            "delivered": r.counts.get("sent", 0),
            "pending": r.counts.get("pending", 0),
            "reminders": r.reminders.recipients,
            "reminders_approved": r.reminders.approved,
        }
        for r in rounds
    ]
    stderr.print(f"{len(rows)} open survey campaign(s) synced with the outbox")
    emit(rows, fmt, ["name", "delivered", "pending", "reminders", "reminders_approved"])
