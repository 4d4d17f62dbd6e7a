"""`tenure churn train|backtest|score`: the churn model from the command line."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from tenure.kit.cli import AsOfOption, CliContext, FormatOption, context, parse_date, typer_app
from tenure.kit.output import OutputFormat, emit, emit_parts, stderr
from tenure.retention import service
from tenure.retention.backtest import LEAD_DAYS
from tenure.retention.churn import service as churn_service
from tenure.retention.churn.features import ChurnOptions
from tenure.retention.cli import shown

churn_app = typer_app(
    "The churn model: learn from past renewals which accounts leave, test it on later ones, "
    "score today's accounts."
)


class ModelName(StrEnum):
    logistic = "logistic"
    boosting = "boosting"


HistoryFrom = Annotated[
    str | None,
    typer.Option(
        "--from",
        help="First observation date (YYYY-MM-DD), then every --step-days; default: every "
        "--step-days back from the as-of date over 24 months.",
    ),
]
MetricWindow = Annotated[
    int,
    typer.Option(min=1, help="A metric value older than this many days counts as no data."),
]
StepDays = Annotated[int, typer.Option(min=1, help="Days between observation dates.")]
LeadDays = Annotated[
    int, typer.Option(min=0, help="Lead time: renewals sooner than this are not predicted.")
]
HorizonDays = Annotated[
    int, typer.Option(min=1, help="The period after the lead time whose renewals are predicted.")
]
AllAccounts = Annotated[
    bool,
    typer.Option(
        "--all-accounts",
        help="Observe every paying account, not only those with a renewal in the period.",
    ),
]
Folds = Annotated[int, typer.Option(min=1, help="Blocks of later dates the backtest predicts.")]


def _options(step: int, lead: int, horizon: int, all_accounts: bool, window: int) -> ChurnOptions:
    return ChurnOptions(
        step_days=step,
        lead_days=lead,
        horizon_days=horizon,
        metric_window_days=window,
        due_only=not all_accounts,
    )


def _history(
    cli: CliContext, as_of: str | None, start: str | None, options: ChurnOptions
) -> churn_service.History:
    day = parse_date(as_of)
    first = parse_date(start, "--from") if start else None
    with cli.database.sessions() as session:
        return churn_service.history(
            session,
            cli.warehouse,
            cli.settings,
            day,
            first,
            options,
            churn_service.health_reader(cli.warehouse),
        )


def _table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: shown(k, v) for k, v in r.items() if k != "calibration"} for r in rows]


def _emit(parts: dict[str, list[dict[str, Any]]], fmt: OutputFormat) -> None:
    emit_parts(
        {k: _table(v) for k, v in parts.items()} if fmt is OutputFormat.table else parts, fmt
    )


@churn_app.command("backtest")
def backtest_command(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    start: HistoryFrom = None,
    step_days: StepDays = 30,
    lead_days: LeadDays = 30,
    horizon_days: HorizonDays = 90,
    all_accounts: AllAccounts = False,
    metric_window_days: MetricWindow = 35,
    folds: Folds = 4,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Train on earlier renewals, predict later ones: AUC, top-decile lift and calibration
    of each model."""
    options = _options(step_days, lead_days, horizon_days, all_accounts, metric_window_days)
    hist = _history(context(ctx), as_of, start, options)
    rows = churn_service.backtest(hist, folds)
    if fmt is OutputFormat.table:
        calibration = [{"model": r["model"], **b} for r in rows for b in r["calibration"]]
        emit_parts({"backtest": _table(rows), "calibration": _table(calibration)}, fmt)
    else:
        emit(rows, fmt)


@churn_app.command("train")
def train_command(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    start: HistoryFrom = None,
    step_days: StepDays = 30,
    lead_days: LeadDays = 30,
    horizon_days: HorizonDays = 90,
    all_accounts: AllAccounts = False,
    metric_window_days: MetricWindow = 35,
    folds: Folds = 4,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Fit both models on every renewal with a known outcome, backtest them, and store them
    in the data dir for `tenure churn score`."""
    cli = context(ctx)
    options = _options(step_days, lead_days, horizon_days, all_accounts, metric_window_days)
    hist = _history(cli, as_of, start, options)
    model = churn_service.train_model(hist, parse_date(as_of), folds)
    path = churn_service.save_model(cli.settings, model)
    stderr.print(
        f"trained on {model.observations} observations ({model.positives} churned); "
        f"scoring with {model.best}; saved to {path}"
    )
    parts = {"models": model.backtest, "effects": model.effects()}
    _emit(parts, fmt)


@churn_app.command("score")
def score_command(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    model: Annotated[
        ModelName | None,
        typer.Option("--model", help="Default: the model with the better backtest AUC."),
    ] = None,
    csm: Annotated[str | None, typer.Option("--csm", help="Only this CSM's accounts.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the riskiest N.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Churn probability and top reasons for every paying account, riskiest first."""
    cli = context(ctx)
    trained = churn_service.load_model(cli.settings)
    day = parse_date(as_of)
    with cli.database.sessions() as session:
        records = churn_service.score(
            session,
            cli.warehouse,
            cli.settings,
            trained,
            day,
            model.value if model else None,
            churn_service.health_reader(cli.warehouse),
        )
    if csm:
        records = [r for r in records if r["csm_email"] == csm.lower()]
    records = records[:limit] if limit else records
    if fmt is OutputFormat.table:
        records = [
            {**r, "probability": f"{r['probability']:.1%}", "reasons": "; ".join(r["reasons"])}
            for r in records
        ]
    emit(records, fmt, title=f"Churn risk on {day}")


def health_backtest(
    ctx: typer.Context,
    start: Annotated[str, typer.Option("--from", help="First renewal date (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last renewal date, included.")],
    lead_days: Annotated[
        int, typer.Option(min=0, help="Read the score this many days before each renewal.")
    ] = LEAD_DAYS,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """How well stored health scores separated renewals that churned from those that renewed:
    AUC, churn rate per band (Wilson 95%), lead time to red, and suggested weights."""
    cli = context(ctx)
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    with cli.database.sessions() as session:
        result = service.health_backtest(
            session, cli.warehouse, cli.settings, first, last, lead_days
        )
    parts: dict[str, list[dict[str, Any]]] = {
        "summary": [result.summary],
        "bands": result.bands,
        "weights": result.weights,
        "lead_times": result.lead_times,
    }
    _emit(parts, fmt)
