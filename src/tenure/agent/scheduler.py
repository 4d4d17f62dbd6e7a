"""The agent's daily run inside `tenure serve`, at the time of day set in agent_schedule
(UTC): one thread, one run a day over every book, then each CSM's digest. A run the
server misses (it was down) is not made up for: cron, or `tenure agent run --as-of`,
replays a day."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from tenure.config import Settings
from tenure.db import Database
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


class Scheduler:
    def __init__(self, settings: Settings, database: Database, warehouse: Warehouse):
        self.settings = settings
        self.database = database
        self.warehouse = warehouse
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.settings.agent_schedule and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="tenure-agent", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _loop(self) -> None:
        assert self.settings.agent_schedule is not None
        while True:
            now = datetime.now(UTC)
            wait = (next_run(now, self.settings.agent_schedule) - now).total_seconds()
            if self._stop.wait(wait):
                return
            try:
                run_day(self.database, self.warehouse, self.settings, datetime.now(UTC).date())
            except Exception:  # the next day runs anyway; the log says what failed
                logger.exception("the agent's daily run failed")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    scheduler = Scheduler(app.state.settings, app.state.database, app.state.warehouse)
    scheduler.start()
    try:
        yield
    finally:
        await run_in_threadpool(scheduler.stop)
