"""What `tenure serve` does for survey campaigns between the outbox's sending rounds (and
`tenure survey sync` once, for installations that run it from cron): each open campaign is
brought in line with the outbox (a sent invitation becomes a row of the survey store, which
response rates and health read) and gets its due reminders drafted, once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from tenure.config import Settings
from tenure.db import Database
from tenure.kit.dates import utc_now
from tenure.kit.periodic import Periodic
from tenure.models import SurveyCampaign
from tenure.surveys import mail, service

logger = logging.getLogger(__name__)


@dataclass
class Synced:
    campaign: str
    counts: dict[str, int]
    reminders: mail.Mailed


def sync_open(database: Database, settings: Settings, now: datetime) -> list[Synced]:
    """One round over the open campaigns, each in its own short transaction, so a campaign
    that fails leaves the others done (and is tried again next round)."""
    with database.sessions() as session:
        names = list(
            session.scalars(
                select(SurveyCampaign.name)
                .where(SurveyCampaign.status == service.SENT)
                .order_by(SurveyCampaign.created_at)
            )
        )
    done: list[Synced] = []
    for name in names:
        try:
            with database.unit_of_work() as session:
                campaign = service.get_campaign(session, name)
                if campaign.status != service.SENT:  # closed since the list was read
                    continue
                counts = mail.sync(session, campaign)
                reminders = mail.remind_due(session, settings, campaign, now)
        except Exception:  # the next round tries this campaign again
            logger.exception("syncing survey %s with the outbox failed; will retry", name)
            continue
        if reminders.recipients:
            logger.info(
                "survey %s: %s reminder(s) drafted, %s approved",
                name,
                reminders.recipients,
                reminders.approved,
            )
        done.append(Synced(name, counts, reminders))
    return done


class SurveyFollowUp:
    """Runs `sync_open` every mail_send_seconds inside `tenure serve` (one thread, like the
    outbox's sender; `tenure survey` commands may run at the same time: reminders carry an
    idempotency key and a recipient is reminded once). `clock` says what "now" is."""

    def __init__(
        self, settings: Settings, database: Database, clock: Callable[[], datetime] = utc_now
    ):
        self.settings = settings
        self.database = database
        self.clock = clock
        self.worker = Periodic("tenure-surveys", lambda: settings.mail_send_seconds, self.run_once)

    def run_once(self) -> None:
        try:
            sync_open(self.database, self.settings, self.clock())
        except Exception:  # never the server's end: the next round starts afresh
            logger.exception("the survey round failed; will retry")
