"""`tenure demo up`'s preparation as one flow over several domains: migrate the database,
generate the enterprise company, load it, warm up usage metrics and health, plan each CSM's
quarter and create the logins.

A flow orders services; it commits nothing itself: each step runs in a unit of work of its
own from the `unit_of_work` it is given (the CLI's), so a step once finished stays finished,
and is skipped when the flow runs again (a restart only serves). What it did, step by step, it
tells a `Watcher` (the CLI shows a progress display and prints the summaries); the services
report their own progress through an `OnProgress` callback and draw nothing.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenure.config import Settings
from tenure.database import Database
from tenure.demo import service
from tenure.demo.scenarios import ScenarioName
from tenure.demo.service import Generated, LoadResult, PlannedQuarter
from tenure.demo.writers import EventsFormat
from tenure.health import service as health
from tenure.kit.errors import TenureError
from tenure.kit.progress import OnProgress
from tenure.migrate import upgrade
from tenure.models import Account, ApiToken, Role, Task, User
from tenure.usage import service as usage
from tenure.usage.service import MetricRun, day_range
from tenure.users import service as users
from tenure.users.schemas import UserCreate
from tenure.warehouse import Warehouse

UnitOfWork = Callable[[], AbstractContextManager[Session]]

DEMO_EMAIL = "demo@tenure.dev"
DEMO_FOLDER = "demo-company"
CREDENTIALS = "demo-credentials.json"
# Days of metrics and health `tenure demo up` computes after loading, for scores and trends.
WARM_DAYS = 90
# Weeks before those computed once a week: the account charts then cover a year, and the
# health backtest has a year of renewals with a score from 90 days before each.
HISTORY_WEEKS = 40


class Step(Enum):
    """The steps of the flow, in order, each with what a progress display calls it."""

    migrate = "migrating the database"
    generate = "generating the company"
    load = "loading it"
    metrics = "computing usage metrics"
    health = "scoring health"
    plan = "planning each CSM's quarter"
    logins = "creating the logins"


@dataclass(frozen=True)
class Options:
    accounts: int | None = None  # None: the enterprise scenario's default
    months: int = 24
    seed: int = 1
    warm_days: int = WARM_DAYS
    history_weeks: int = HISTORY_WEEKS


@dataclass(frozen=True)
class WarmDays:
    """The days the warm-up computes: what the daily job would have left."""

    start: date  # the first of the last `warm_days` days, scored every day
    end: date
    weekly: list[date]  # one day a week over the weeks before `start`, oldest first
    metric_days: list[date]  # every day usage metrics are computed for

    @property
    def health_from(self) -> date:
        return self.weekly[0] if self.weekly else self.start


def warm_days(today: date, days: int, weeks: int) -> WarmDays:
    """Usage metrics and health over the last `days` days, and once a week over the `weeks`
    weeks before them (enough for a chart and a backtest, for a fraction of the time)."""
    # Imported here: the churn package loads scikit-learn (seconds), which a restart that
    # only serves never needs.
    from tenure.retention.churn.features import ChurnOptions
    from tenure.retention.churn.service import default_observation_dates

    start = today - timedelta(days=days - 1)
    weekly = [start - timedelta(weeks=k) for k in range(weeks, 0, -1)]
    # Usage metrics also on the days `tenure churn backtest` observes by default (every 30 days
    # over two years), so the churn model learns from what clients did on each of them.
    observed = default_observation_dates(today, ChurnOptions())
    metric_days = sorted({*observed, *weekly, *day_range(start, today)})
    return WarmDays(start, today, weekly, metric_days)


@dataclass
class Prepared:
    """What the flow did: each step's result, None where the step was skipped."""

    folder: Path
    warm: WarmDays | None = None
    generated: Generated | None = None
    loaded: LoadResult | None = None
    metrics: MetricRun | None = None
    health: health.ComputeResult | None = None  # of the last `warm_days` days
    planned: PlannedQuarter | None = None
    login: dict[str, Any] = field(default_factory=dict)
    ran: list[Step] = field(default_factory=list)


class Watcher(Protocol):
    """Who runs the flow: told each step as it starts (answering with a callback for the
    step's own progress, or None) and as it ends (`prepared` then holds its result)."""

    def started(self, step: Step, prepared: Prepared) -> OnProgress | None: ...

    def finished(self, step: Step, prepared: Prepared) -> None: ...


def refuse_external_events(settings: Settings) -> None:
    if settings.events_url:
        raise TenureError(
            "this Tenure reads events from TENURE_EVENTS_URL: the demo company's events go "
            "into the embedded warehouse, so unset it to load the demo"
        )


def prepare(
    settings: Settings,
    warehouse: Warehouse,
    unit_of_work: UnitOfWork,
    options: Options,
    today: date,
    watcher: Watcher | None = None,
) -> Prepared:
    """Everything `tenure demo up` does before serving. Each step is skipped when a previous
    run finished it; migrating and the logins always run (both change nothing when done)."""
    prepared = Prepared(settings.data_dir / DEMO_FOLDER)

    def run(step: Step, work: Callable[[OnProgress | None], None]) -> None:
        work(watcher.started(step, prepared) if watcher is not None else None)
        prepared.ran.append(step)
        if watcher is not None:
            watcher.finished(step, prepared)

    run(Step.migrate, lambda _progress: _migrate(settings, warehouse))
    with unit_of_work() as session:
        loaded = bool(session.scalar(select(func.count()).select_from(Account)))
    folder = prepared.folder
    if not loaded and not (folder / "accounts.csv").is_file():

        def generate(progress: OnProgress | None) -> None:
            prepared.generated = service.generate(
                ScenarioName.enterprise,
                options.accounts,
                options.months,
                options.seed,
                today,
                folder,
                EventsFormat.parquet,
                progress,
            )

        run(Step.generate, generate)
    if not loaded:
        refuse_external_events(settings)

        def load(progress: OnProgress | None) -> None:
            with unit_of_work() as session:
                prepared.loaded = service.load(session, warehouse, folder, progress)

        run(Step.load, load)
    if options.warm_days:
        computed = bool(warehouse.metrics.metric_names())
        scored = bool(health.snapshot_store(warehouse).table.partitions())
        if not computed or not scored:
            warm = prepared.warm = warm_days(today, options.warm_days, options.history_weeks)
            if not computed:

                def metrics(progress: OnProgress | None) -> None:
                    with unit_of_work() as session:
                        prepared.metrics = usage.compute_metrics(
                            session, warehouse, settings, warm.metric_days, progress
                        )

                run(Step.metrics, metrics)

            def score(progress: OnProgress | None) -> None:
                with unit_of_work() as session:
                    prepared.health = _score(session, warehouse, warm, progress)

            # Health is (re)done whenever the metrics were: its scores read them.
            run(Step.health, score)
        with unit_of_work() as session:
            planned = bool(session.scalar(select(func.count()).select_from(Task)))
        if not planned:

            def plan(progress: OnProgress | None) -> None:
                with unit_of_work() as session:
                    prepared.planned = service.plan_quarter(
                        session, warehouse, settings, today, progress
                    )

            run(Step.plan, plan)

    def logins(_progress: OnProgress | None) -> None:
        prepared.login = credentials(settings.data_dir / CREDENTIALS, unit_of_work)

    run(Step.logins, logins)
    return prepared


def _migrate(settings: Settings, warehouse: Warehouse) -> None:
    database = Database(settings)
    try:
        upgrade(database.engine)
    finally:
        database.dispose()
    warehouse.init()


def _score(
    session: Session, warehouse: Warehouse, warm: WarmDays, progress: OnProgress | None
) -> health.ComputeResult:
    """Health on the weekly days, then on each of the last days; what the last days gave."""
    total = len(warm.weekly) + (warm.end - warm.start).days + 1
    done = 0

    def one_day(_day: date) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    # Oldest first: each day's scores become the latest only until a later day's do.
    for day in warm.weekly:
        health.compute(session, warehouse, day, day, one_day)
    return health.compute(session, warehouse, warm.start, warm.end, one_day)


def credentials(path: Path, unit_of_work: UnitOfWork) -> dict[str, Any]:
    """The demo admin and an API token, created once; kept in the data dir (readable by its
    owner only) so every `tenure demo up` can say how to log in."""
    saved: dict[str, Any] = orjson.loads(path.read_bytes()) if path.is_file() else {}
    with unit_of_work() as session:
        user = users.get_by_email(session, DEMO_EMAIL)
        if user is None:
            password = secrets.token_urlsafe(12)
            data = UserCreate(
                email=DEMO_EMAIL, name="Demo Admin", role=Role.admin, password=password
            )
            user = users.create_user(session, data)
            saved = {"email": DEMO_EMAIL, "password": password}
        tokens = session.scalar(
            select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id)
        )
        if not tokens or "token" not in saved:
            _, saved["token"] = users.create_token(session, DEMO_EMAIL, name="demo")
        saved["csms"] = _csm_logins(session, saved.get("csms", {}))
    saved.setdefault("email", DEMO_EMAIL)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(orjson.dumps(saved, option=orjson.OPT_INDENT_2))
    return saved


def _csm_logins(session: Session, known: object) -> dict[str, str]:
    """A password for each demo CSM (the simulated company's account owners), so their own
    Today, book and plan can be seen: email -> password, kept with the admin's."""
    kept = dict(known) if isinstance(known, dict) else {}
    logins: dict[str, str] = {}
    for user in session.scalars(select(User).where(User.role == Role.csm).order_by(User.email)):
        password = kept.get(user.email)
        if not isinstance(password, str) or user.password_hash is None:
            password = secrets.token_urlsafe(9)
            users.set_password(session, user, password)
        logins[user.email] = password
    return logins
