"""`tenure kpis`, `tenure retention ...` and (in churn/cli.py) `tenure churn ...`."""

from __future__ import annotations

import sys
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from tenure.kit.cli import AsOfOption, FormatOption, context, parse_date, typer_app
from tenure.kit.dates import utc_today
from tenure.kit.errors import TenureError
from tenure.kit.output import OutputFormat, emit, emit_parts, to_json
from tenure.retention import service
from tenure.retention.book_facts import add_months
from tenure.retention.kpis import GROUP_KEYS, KpiReport
from tenure.retention.sbg import limit_note

retention_app = typer_app("Retention analytics: cohorts, sBG forecasts and the renewal forecast.")


class Grouping(StrEnum):
    segment = "segment"
    tier = "tier"
    csm = "csm"


class Cohort(StrEnum):
    month = "month"
    quarter = "quarter"
    year = "year"


# Figures shown as percentages in tables (JSON and CSV keep the fraction).
SHARES = {
    "logo_churn",
    "logo_retention",
    "gross_revenue_churn",
    "net_revenue_churn",
    "grr",
    "nrr",
    "grr_12m",
    "nrr_12m",
    "paid_churn",
    "ghost_churn",
    "trial_churn",
    "free_churn",
    "monthly_churn",
    "margin",
    "csat",
    "nps_response_rate",
    "csat_response_rate",
    "ces_response_rate",
    "logo_retention_rate",
    "revenue_retention",
    "expected_rate",
    "rate",
    "survival",
    "retention_rate",
    "churn_rate",
    "churn_rate_low",
    "churn_rate_high",
    "predicted",
    "observed",
    "low",
    "high",
    "configured",
    "suggested",
    "probability_change_per_sd",
}


def shown(key: str, value: Any) -> Any:
    """A figure as a table shows it: shares as percentages, money with two decimals."""
    if value is None:
        return None
    if key in SHARES and isinstance(value, float):
        return f"{value:.1%}"
    if isinstance(value, float):
        # Money keeps cents; AUCs, lifts and odds ratios need a third decimal.
        return round(value, 2) if abs(value) >= 10 else round(value, 3)
    return value


def _table(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: shown(k, v) for k, v in r.items()} for r in records]


FromOption = Annotated[
    str | None,
    typer.Option("--from", help="First day of the period (YYYY-MM-DD); default 12 months back."),
]
ToOption = Annotated[
    str | None,
    typer.Option(
        "--to", "--as-of", help="Last day of the period, included (the as-of day); default today."
    ),
]


def kpis_command(
    ctx: typer.Context,
    start: FromOption = None,
    end: ToOption = None,
    by: Annotated[
        Grouping | None, typer.Option("--by", help="Also per segment, tier or CSM.")
    ] = None,
    margin: Annotated[
        float, typer.Option(help="Gross margin for customer lifetime value, 0-1.")
    ] = 0.8,
    active_users_metric: Annotated[
        str,
        typer.Option(help="Metric counting an account's active users (ghost churn)."),
    ] = service.ACTIVE_USERS_METRIC,
    first_value_metric: Annotated[
        str | None,
        typer.Option(help="Time to first value: the first day this metric reaches the threshold."),
    ] = None,
    first_value_threshold: Annotated[
        float, typer.Option(help="Threshold of --first-value-metric.")
    ] = service.FIRST_VALUE_THRESHOLD,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Logo and revenue churn, GRR/NRR, ARR movements, CLV, NPS/CSAT/CES and more for a
    period (both days included)."""
    cli = context(ctx)
    last = parse_date(end, "--to") if end else utc_today()
    # Default: the twelve months ending on --to.
    first = parse_date(start, "--from") if start else add_months(last, -12) + timedelta(days=1)
    rule = (
        service.FirstValue(first_value_metric, first_value_threshold)
        if first_value_metric
        else None
    )
    with cli.database.sessions() as session:
        report = service.kpi_report(
            session,
            cli.warehouse,
            cli.settings,
            first,
            last,
            by.value if by else None,
            margin,
            active_users_metric,
            rule,
        )
    emit_kpis(report, fmt, by.value if by else None)


def emit_kpis(report: KpiReport, fmt: OutputFormat, by: str | None) -> None:
    if fmt is not OutputFormat.table:
        emit_parts({"kpis": report.rows, "movements": report.movements}, fmt)
        return
    # A terminal is narrow: one row per figure, one column per group.
    labels = [str(r["group"]) for r in report.rows]
    skip = {"group", "currency", "from", "to", *GROUP_KEYS.values()}
    figures = [k for k in report.rows[0] if k not in skip] if report.rows else []
    kpi_rows = [
        {
            "kpi": key,
            **{label: shown(key, r[key]) for label, r in zip(labels, report.rows, strict=True)},
        }
        for key in figures
    ]
    moves: list[dict[str, Any]] = []
    for name in dict.fromkeys(m["movement"] for m in report.movements):
        row: dict[str, Any] = {"movement": name}
        for m in report.movements:
            if m["movement"] == name:
                row[f"{m['group']} arr"] = m["arr"]
                row[f"{m['group']} logos"] = m["logos"]
        moves.append(row)
    title = ""
    if report.rows:
        first = report.rows[0]
        title = f"{first['from']} to {first['to']}, {report.currency or 'no contracts'}"
    emit_parts(
        {f"KPIs {title}" + (f" by {by}" if by else ""): kpi_rows, "ARR movements": moves},
        fmt,
    )


@retention_app.command("cohorts")
def cohorts_command(
    ctx: typer.Context,
    cohort: Annotated[
        Cohort, typer.Option(help="Group accounts by the month, quarter or year they started.")
    ] = Cohort.quarter,
    period_months: Annotated[
        int, typer.Option(help="Length of a period in months (12 for annual contracts).")
    ] = 12,
    as_of: AsOfOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Logo and revenue retention of each start cohort after 0, 1, 2... periods."""
    cli = context(ctx)
    day = parse_date(as_of)
    with cli.database.sessions() as session:
        table, currency = service.cohorts(session, cli.settings, day, cohort.value, period_months)
    records = [{**r.as_record(), "currency": currency} for r in table]
    emit(records if fmt is not OutputFormat.table else _table(records), fmt, title="Cohorts")


@retention_app.command("forecast")
def forecast_command(
    ctx: typer.Context,
    survivors: Annotated[
        Path | None,
        typer.Option(
            "--survivors",
            help="CSV with one column `survivors`: the count alive at the start of each "
            "period, first row the cohort size. Default: Tenure's own start cohorts.",
        ),
    ] = None,
    periods: Annotated[int, typer.Option(help="Project up to this period.")] = 10,
    cohort: Annotated[
        Cohort, typer.Option(help="Start cohorts of Tenure's accounts (without --survivors).")
    ] = Cohort.year,
    period_months: Annotated[int, typer.Option(help="Length of a period in months.")] = 12,
    as_of: AsOfOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Fit the shifted-beta-geometric model (Fader & Hardie 2007) and project survivors."""
    if periods < 1:
        raise TenureError(f"--periods {periods}: must be at least 1")
    if survivors is not None:
        forecast = service.forecast_survivors(service.read_survivors(survivors), periods)
    else:
        cli = context(ctx)
        day = parse_date(as_of)
        with cli.database.sessions() as session:
            forecast = service.forecast_book(
                session, cli.settings, day, cohort.value, period_months, periods
            )
    note = limit_note(forecast.model)
    if note:
        # A message, not data: it goes to stderr so the table, CSV or JSON stays parseable.
        typer.echo(f"note: {note}", err=True)
    if fmt is OutputFormat.json:
        # The sBG parameters at the top, next to the survivors (the command's documented shape).
        sys.stdout.buffer.write(to_json(forecast.as_json()) + b"\n")
        sys.stdout.flush()
        return
    fit_row = {k: v for k, v in forecast.fit_record().items() if k != "limit_note"}
    parts = {"fit": [fit_row], "survivors": forecast.survivors}
    if fmt is OutputFormat.table:
        parts = {k: _table(v) for k, v in parts.items()}
    emit_parts(parts, fmt)


@retention_app.command("renewals")
def renewals_command(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """ARR renewing in the next 90 and 180 days and the ARR expected to stay, by band and CSM."""
    cli = context(ctx)
    day = parse_date(as_of)
    with cli.database.sessions() as session:
        band_at, source = service.health_bands(cli.warehouse, day)
        forecast, currency = service.renewals(session, cli.settings, day, band_at, source)
    parts: dict[str, list[dict[str, Any]]] = {
        "summary": [{**r, "currency": currency} for r in forecast.summary],
        "renewals": [{**r, "currency": currency} for r in forecast.renewals],
        "rates": forecast.rates,
    }
    if fmt is OutputFormat.table:
        parts = {k: _table(v) for k, v in parts.items()}
    emit_parts(parts, fmt)
