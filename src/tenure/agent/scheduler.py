"""The agent's daily run inside `tenure serve`, at the time of day set in agent_schedule
(UTC): one thread, one run a day over every book, then each CSM's digest. A run the
server misses (it was down) is not made up for: cron, or `tenure agent run --as-of`,
replays a day."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta

from fastapi import FastAPI

from tenure.config import Settings
from tenure.db import Database
from tenure.kit.periodic import Periodic, running
from tenure.warehouse import Warehouse

logger = logging.getLogger(__name__)


def at_time(schedule: str) -> time:
    hours, _, minutes = schedule.partition(":")
    return time(int(hours), int(minutes), tzinfo=UTC)


def next_run(now: datetime, schedule: str) -> datetime:
    """The next moment the schedule names, strictly after `now`."""
    when = datetime.combine(now.astimezone(UTC).date(), at_time(schedule))
    return when if when > now else when + timedelta(days=1)


def run_day(database: Database, warehouse: Warehouse, settings: Settings, day: date) -> int:
    """The day's run and the digests, each in its own unit of work; returns the new
    actions."""
    from tenure.agent import digest, service

    with database.unit_of_work() as session:
        result = service.run(session, warehouse, settings, day)
    with database.unit_of_work() as session:
        for csm in digest.csms(session, None):
            digest.send(session, settings, csm, day)
    return len(result.new)


def scheduler(settings: Settings, database: Database, warehouse: Warehouse) -> Periodic | None:
    """The agent's daily run at `agent_schedule` inside `tenure serve`; None when unset."""
    schedule = settings.agent_schedule
    if not schedule:
        return None

    def until_next() -> float:
        now = datetime.now(UTC)
        return (next_run(now, schedule) - now).total_seconds()

    def run_today() -> None:
        run_day(database, warehouse, settings, datetime.now(UTC).date())

    return Periodic("tenure-agent", until_next, run_today)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    state = app.state
    async with running(scheduler(state.settings, state.database, state.warehouse)):
        yield
