"""`tenure demo`: generate a simulated company, load it, or run the whole demo."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenure.db import Database
from tenure.demo import service
from tenure.demo.scenarios import ScenarioName
from tenure.demo.writers import EventsFormat
from tenure.health import service as health
from tenure.kit.cli import AsOfOption, CliContext, context, parse_date, typer_app
from tenure.kit.dates import utc_today
from tenure.kit.errors import TenureError
from tenure.kit.output import stderr
from tenure.migrate import upgrade
from tenure.models import Account, ApiToken, Role, Task, User
from tenure.retention.churn.features import ChurnOptions
from tenure.retention.churn.service import default_observation_dates
from tenure.server import serve
from tenure.usage import service as usage
from tenure.usage.service import day_range
from tenure.users import service as users
from tenure.users.schemas import UserCreate

demo_app = typer_app("A simulated company to try Tenure on: generate it, load it, or run the demo.")

DEMO_EMAIL = "demo@tenure.dev"
DEMO_FOLDER = "demo-company"
CREDENTIALS = "demo-credentials.json"
# Days of metrics and health `tenure demo up` computes after loading, for scores and trends.
WARM_DAYS = 90
# Weeks before those computed once a week: the account charts then cover a year, and the
# health backtest has a year of renewals with a score from 90 days before each (about 30 s).
HISTORY_WEEKS = 40


def say(text: str) -> None:
    """A message on stderr, never wrapped: paths and tokens stay whole for copy and paste."""
    stderr.print(text, soft_wrap=True, highlight=False)


AccountsOption = Annotated[
    int | None,
    typer.Option(
        help="Accounts in the whole history, churned ones included (default: the "
        "scenario's, 115 for enterprise, 300 for shortener)."
    ),
]
SeedOption = Annotated[int, typer.Option(help="Random seed: same seed and as-of, same files.")]
MonthsOption = Annotated[int, typer.Option(help="Months of history before the as-of date.")]


@demo_app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder to write the files into (created).")],
    scenario: Annotated[
        ScenarioName, typer.Option(help="enterprise (B2B platform) or shortener (URL shortener).")
    ] = ScenarioName.enterprise,
    accounts: AccountsOption = None,
    months: MonthsOption = 24,
    seed: SeedOption = 1,
    as_of: AsOfOption = None,
    events_format: Annotated[
        EventsFormat,
        typer.Option(
            "--events-format",
            help="jsonl (Segment calls, events.jsonl), parquet (stored event columns, "
            "events.parquet, streamed: for large runs) or none.",
        ),
    ] = EventsFormat.jsonl,
) -> None:
    """Write a simulated company in Tenure's import formats: accounts, contracts, contacts,
    tickets and surveys as CSV, usage events as JSON Lines or Parquet."""
    day = parse_date(as_of)
    result = service.generate(scenario, accounts, months, seed, day, out, events_format)
    company = result.company
    say(
        f"{scenario.value} company as of {day} ({months} months from "
        f"{company.history_start}, seed {seed}) written to {out}:"
    )
    for name, rows in result.rows.items():
        say(f"  {name}.csv: {rows:,} rows")
    if events_format is not EventsFormat.none:
        say(f"  events.{events_format.value}: {result.events:,} events")
    for year in result.rates:
        say(
            f"  year to {year.end}: logo churn {year.logo_churn:.1%}, "
            f"GRR {year.grr:.1%}, NRR {year.nrr:.1%} ({year.accounts} paying accounts)"
        )


@demo_app.command()
def load(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="A folder written by `tenure demo generate`.")],
) -> None:
    """Import a generated company: accounts, contracts, contacts, tickets and surveys in one
    unit of work (all of it or nothing), then its events into the warehouse."""
    cli = context(ctx)
    refuse_external_events(cli)
    with cli.unit_of_work() as session:
        result = service.load(session, cli.warehouse, folder)
    for line in result.summaries():
        say(line)


def refuse_external_events(cli: CliContext) -> None:
    if cli.settings.events_url:
        raise TenureError(
            "this Tenure reads events from TENURE_EVENTS_URL: the demo company's events go "
            "into the embedded warehouse, so unset it to load the demo"
        )


def _credentials(cli: CliContext) -> dict[str, Any]:
    """The demo admin and an API token, created once; kept in the data dir (readable by its
    owner only) so every `tenure demo up` can say how to log in."""
    path = cli.settings.data_dir / CREDENTIALS
    saved: dict[str, Any] = orjson.loads(path.read_bytes()) if path.is_file() else {}
    with cli.unit_of_work() as session:
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


def prepare(
    cli: CliContext,
    accounts: int | None,
    months: int,
    seed: int,
    warm_days: int = WARM_DAYS,
    history_weeks: int = HISTORY_WEEKS,
) -> dict[str, Any]:
    """Everything `tenure demo up` does before serving; returns how to log in. Each step is
    skipped when a previous run finished it, so a restart only serves."""
    database = Database(cli.settings)
    try:
        upgrade(database.engine)
    finally:
        database.dispose()
    cli.warehouse.init()
    folder = cli.settings.data_dir / DEMO_FOLDER
    with cli.unit_of_work() as session:
        loaded = bool(session.scalar(select(func.count()).select_from(Account)))
    if not loaded:
        if not (folder / "accounts.csv").is_file():
            say(f"generating the enterprise demo company into {folder} ...")
            service.generate(
                ScenarioName.enterprise,
                accounts,
                months,
                seed,
                utc_today(),
                folder,
                EventsFormat.parquet,
            )
        say("loading it ...")
        refuse_external_events(cli)
        with cli.unit_of_work() as session:
            result = service.load(session, cli.warehouse, folder)
        for line in result.summaries():
            say(f"  {line}")
    if warm_days and not cli.warehouse.metrics.metric_names():
        _warm_up(cli, warm_days, history_weeks)
    with cli.unit_of_work() as session:
        planned = bool(session.scalar(select(func.count()).select_from(Task)))
    if warm_days and not planned:
        _plan_quarter(cli)
    return _credentials(cli)


def _warm_up(cli: CliContext, days: int, weeks: int) -> None:
    """What the daily job would have left: usage metrics, then health snapshots, over the last
    `days` days, and once a week over the `weeks` weeks before them (enough for a chart and a
    backtest, for a fraction of the time)."""
    end = utc_today()
    start = end - timedelta(days=days - 1)
    weekly = [start - timedelta(weeks=k) for k in range(weeks, 0, -1)]
    # Usage metrics also on the days `tenure churn backtest` observes by default (every 30 days
    # over two years), so the churn model learns from what clients did on each of them.
    observed = default_observation_dates(end, ChurnOptions())
    metric_days = sorted({*observed, *weekly, *day_range(start, end)})
    health_from = weekly[0] if weekly else start
    say(f"computing usage metrics from {metric_days[0]} and health from {health_from} to {end} ...")
    with cli.unit_of_work() as session:
        run = usage.compute_metrics(session, cli.warehouse, cli.settings, metric_days)
    say(f"  {run.summary()}")
    with cli.unit_of_work() as session:
        # Oldest first: each day's scores become the latest only until a later day's do.
        for day in weekly:
            health.compute(session, cli.warehouse, day, day)
        scored = health.compute(session, cli.warehouse, start, end)
    bands = ", ".join(f"{n} {band}" for band, n in sorted(scored.bands.items()))
    say(
        f"  health: {scored.snapshots:,} snapshots over the last {scored.days} days (and "
        f"{len(weekly)} weekly days before them); today {bands}"
    )


def _plan_quarter(cli: CliContext) -> None:
    say("planning each CSM's quarter ...")
    with cli.unit_of_work() as session:
        planned = service.plan_quarter(session, cli.warehouse, cli.settings, utc_today())
    say(
        f"  {planned.tasks} tasks from {planned.quarter_start}, {planned.done} of them done "
        "in the weeks already over"
    )
    for refusal in planned.refused:
        say(f"  not planned: {refusal}")


@demo_app.command()
def up(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    accounts: AccountsOption = None,
    months: MonthsOption = 24,
    seed: SeedOption = 1,
    warm_days: Annotated[
        int,
        typer.Option(help="Days of usage metrics and health to compute after loading (0: none)."),
    ] = WARM_DAYS,
    history_weeks: Annotated[
        int,
        typer.Option(help="Weeks before those days to compute once a week (0: none)."),
    ] = HISTORY_WEEKS,
) -> None:
    """What `make demo` runs: migrate, generate the enterprise company as of today unless the
    data dir has one, load it, compute 90 days of usage metrics and health (and one day a week
    over the 40 weeks before), plan each CSM's quarter, create the demo admin and an API
    token, then serve."""
    cli = context(ctx)
    login = prepare(cli, accounts, months, seed, warm_days, history_weeks)
    say(f"[bold]Log in at http://{host}:{port}[/] as {login['email']}")
    if "password" in login:
        say(f"  password:  {login['password']}")
    say(f"  API token: {login['token']}  (Authorization: Bearer ...)")
    csms = login.get("csms", {})
    if isinstance(csms, dict) and csms:
        say("Each demo CSM can log in too, to see their own Today, book and plan:")
        for email, password in csms.items():
            say(f"  {email}  password: {password}")
    say(f"  (kept in {cli.settings.data_dir / CREDENTIALS})")
    cli.close()  # the server opens its own connections
    serve(cli, host, port)
