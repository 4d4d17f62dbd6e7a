"""`tenure demo`: generate a simulated company, load it, or run the whole demo (whose
preparation is the flow in `tenure.demo.flows`; this module parses, shows progress, prints)."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tenure.demo import flows, service
from tenure.demo.flows import (
    CREDENTIALS,
    HISTORY_WEEKS,
    WARM_DAYS,
    Options,
    Prepared,
    Step,
    refuse_external_events,
)
from tenure.demo.scenarios import ScenarioName
from tenure.demo.writers import EventsFormat
from tenure.kit.cli import AsOfOption, CliContext, context, parse_date, typer_app
from tenure.kit.dates import utc_today
from tenure.kit.output import stderr
from tenure.kit.progress import OnProgress
from tenure.server import serve

demo_app = typer_app("A simulated company to try Tenure on: generate it, load it, or run the demo.")


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
    refuse_external_events(cli.settings)
    with cli.unit_of_work() as session:
        result = service.load(session, cli.warehouse, folder)
    for line in result.summaries():
        say(line)


class Display:
    """`tenure demo up`'s preparation on stderr: one bar over the flow's steps, named, and
    below it the running step's own bar where it counts something (days, events, CSMs); the
    summary lines print above them and stay. Where stderr is not a terminal (CI, a pipe, a
    log) there are no bars, only the lines."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        if progress is not None:
            self.overall = progress.add_task("preparing the demo", total=len(Step))
            self.inner = progress.add_task("", total=None, visible=False)

    def started(self, step: Step, prepared: Prepared) -> OnProgress | None:
        for line in _starting(step, prepared):
            say(line)
        if self.progress is None:
            return None
        number = list(Step).index(step)
        described = f"{step.value} ({number + 1}/{len(Step)})"
        self.progress.update(self.overall, completed=number, description=described)
        self.progress.update(self.inner, visible=False, completed=0, total=None)
        unit = COUNTED.get(step)
        if unit is None:
            return None
        progress, inner = self.progress, self.inner

        def report(done: int, total: int) -> None:
            progress.update(inner, completed=done, total=total, description=f"  {unit}")
            progress.update(inner, visible=True)

        return report

    def finished(self, step: Step, prepared: Prepared) -> None:
        for line in _finishing(step, prepared):
            say(line)
        if self.progress is not None:
            self.progress.update(self.overall, completed=list(Step).index(step) + 1)
            self.progress.update(self.inner, visible=False)


# What the inner bar counts, for the steps long enough to have one.
COUNTED = {
    Step.generate: "months x blocks of accounts",
    Step.load: "events",
    Step.metrics: "days",
    Step.health: "days",
    Step.plan: "CSMs",
}


def _starting(step: Step, prepared: Prepared) -> list[str]:
    warm = prepared.warm
    if step is Step.generate:
        return [f"generating the enterprise demo company into {prepared.folder} ..."]
    if step is Step.load:
        return ["loading it ..."]
    if step is Step.metrics and warm is not None:
        return [
            f"computing usage metrics from {warm.metric_days[0]} and health from "
            f"{warm.health_from} to {warm.end} ..."
        ]
    if step is Step.health and warm is not None and prepared.metrics is None:
        return [f"computing health from {warm.health_from} to {warm.end} ..."]
    if step is Step.plan:
        return ["planning each CSM's quarter ..."]
    return []


def _finishing(step: Step, prepared: Prepared) -> list[str]:
    if step is Step.load and prepared.loaded is not None:
        return [f"  {line}" for line in prepared.loaded.summaries()]
    if step is Step.metrics and prepared.metrics is not None:
        return [f"  {prepared.metrics.summary()}"]
    if step is Step.health and prepared.health is not None and prepared.warm is not None:
        scored = prepared.health
        bands = ", ".join(f"{n} {band}" for band, n in sorted(scored.bands.items()))
        return [
            f"  health: {scored.snapshots:,} snapshots over the last {scored.days} days (and "
            f"{len(prepared.warm.weekly)} weekly days before them); today {bands}"
        ]
    if step is Step.plan and prepared.planned is not None:
        planned = prepared.planned
        return [
            f"  {planned.tasks} tasks from {planned.quarter_start}, {planned.done} of them done "
            "in the weeks already over",
            *(f"  not planned: {refusal}" for refusal in planned.refused),
        ]
    return []


def _progress() -> Progress | None:
    if not stderr.is_terminal:
        return None
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    return Progress(*columns, console=stderr, transient=True)


def prepare(
    cli: CliContext,
    accounts: int | None,
    months: int,
    seed: int,
    warm_days: int = WARM_DAYS,
    history_weeks: int = HISTORY_WEEKS,
) -> dict[str, Any]:
    """Everything `tenure demo up` does before serving (the flow), its progress shown;
    returns how to log in."""
    options = Options(accounts, months, seed, warm_days, history_weeks)
    progress = _progress()
    display = Display(progress)
    with progress if progress is not None else nullcontext():
        prepared = flows.prepare(
            cli.settings, cli.warehouse, cli.unit_of_work, options, utc_today(), display
        )
    return prepared.login


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
