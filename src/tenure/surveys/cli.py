"""`tenure survey create|send|remind|status|close`: survey campaigns from the command line."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from tenure.kit.cli import FormatOption, context, typer_app
from tenure.kit.output import OutputFormat, emit, stderr
from tenure.models import Seniority, SurveyKind, Tier

survey_app = typer_app(
    "Survey campaigns Tenure sends itself (NPS, CSAT, CES): create, send, remind, status, close."
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
    from tenure.surveys import core, service

    cli = context(ctx)
    with cli.unit_of_work() as session:
        campaigns = [service.get_campaign(session, name)] if name else None
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
    from tenure.surveys import service

    cli = context(ctx)
    with cli.unit_of_work() as session:
        campaign = service.close_campaign(session, service.get_campaign(session, name), utc_now())
        read = service.campaign_read(session, campaign)
    rate = "none" if read.response_rate is None else f"{read.response_rate:.0%}"
    stderr.print(f"survey {name} closed: {read.answered} answers, response rate {rate}")
