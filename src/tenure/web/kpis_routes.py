"""The retention pages: KPIs with the ARR waterfall (/kpis), start cohorts with the sBG
forecast (/kpis/cohorts), and the backtests of the health score and of the churn model
(/backtest). Every signed-in user may read them, as the retention API allows."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from tenure.accounts.service import account_names
from tenure.kit.charts import Interval, interval_chart, line_chart, waterfall_chart
from tenure.kit.dates import utc_now
from tenure.kit.errors import TenureError
from tenure.retention import service as retention
from tenure.retention.churn import ChurnModel
from tenure.retention.churn import service as churn_service
from tenure.retention.service import (
    COHORT_MONTHS,
    GROUPINGS,
    LEAD_DAYS,
    MIN_FIT,
    Book,
    KpiReport,
)
from tenure.web import kpis as page
from tenure.web.deps import DbDep, IdentityDep, settings_of, today, warehouse_of
from tenure.web.routing import WebRoute
from tenure.web.templating import query, render, short_money

router = APIRouter(route_class=WebRoute, include_in_schema=False)

AT_RISK = 20  # riskiest accounts listed by default
LISTED = 50  # churners listed under the health backtest


def _number(field: str, text: str | None, low: float, high: float) -> float | None:
    """A number typed into a form, within [low, high]; empty means "not given"."""
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise TenureError(f"{field}: {text.strip()!r} is not a number", status=422)
    if not low <= value <= high:
        raise TenureError(f"{field}: {value:g} must be between {low:g} and {high:g}", 422)
    return value


def _grouping(by: str | None) -> str | None:
    if not by:
        return None
    if by not in GROUPINGS:
        raise TenureError(f"by: {by!r}: break down by one of {', '.join(GROUPINGS)}", 422)
    return by


def _first_value(
    metric: str | None, threshold: str | None, known: Sequence[str]
) -> retention.FirstValue | None:
    if not metric:
        return None
    if metric not in known:
        raise TenureError(
            f"first_value_metric: {metric!r} is not in the metrics series "
            f"(known: {', '.join(known) or 'none yet'})",
            422,
        )
    value = _number("first_value_threshold", threshold, float("-inf"), float("inf"))
    return retention.FirstValue(metric, retention.FIRST_VALUE_THRESHOLD if value is None else value)


# --- /kpis ---------------------------------------------------------------------------------


@router.get("/kpis")
def kpis_page(
    request: Request,
    db: DbDep,
    _identity: IdentityDep,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
    by: Annotated[str | None, Query(max_length=40)] = None,
    margin: Annotated[str | None, Query(max_length=40)] = None,
    first_value_metric: Annotated[str | None, Query(max_length=200)] = None,
    first_value_threshold: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    day = today()
    period = page.chosen_period(start, end, day)
    grouping = _grouping(by)
    gross_margin = _number("margin", margin, 0, 1)
    warehouse, settings = warehouse_of(request), settings_of(request)
    metrics = warehouse.metrics.metric_names()
    rule = _first_value(first_value_metric, first_value_threshold, metrics)
    options = {
        "by": grouping,
        "margin": margin,
        "first_value_metric": first_value_metric,
        "first_value_threshold": first_value_threshold,
    }
    context: dict[str, Any] = {
        "period": period,
        "today": day,
        "is_default": period == page.last_full_months(day),
        "quick": [
            (label, "/kpis?" + query(options, **p.query())) for label, p in page.presets(day)
        ],
        "options": options,
        "groupings": GROUPINGS,
        "metrics": metrics,
        "problem": None,
    }
    # Left out when not typed, so the service's own default margin applies.
    extra: dict[str, Any] = {} if gross_margin is None else {"margin": gross_margin}
    records = retention.contract_records(db)  # read once: the KPIs and the month ends
    try:
        report = retention.kpi_report(
            db,
            warehouse,
            settings,
            period.start,
            period.end,
            grouping,
            value_rule=rule,
            contracts=records,
            **extra,
        )
        book, _ = retention.book(db, settings, records)
    except TenureError as error:
        # Mixed currencies without rates: a setting to fix, said on the page itself.
        return render(request, "kpis.html", {**context, "problem": error.message}, error.status)
    return render(request, "kpis.html", {**context, **_kpi_view(report, book, period, rule)})


def _kpi_view(
    report: KpiReport, book: Book, period: page.Period, rule: retention.FirstValue | None
) -> dict[str, Any]:
    currency = report.currency

    def cash(value: float) -> str:
        return short_money(value, currency)

    moves = page.group_movements(report.movements)
    arr, rates = page.trend_series(page.monthly_trend(book, period))
    return {
        "row": report.rows[0],
        "currency": currency,
        "sections": page.sections(report.rows[0], currency, rule is not None),
        "waterfall": waterfall_chart(page.waterfall_steps(moves), "ARR movements", label=cash),
        "moves": moves,
        "reconciliation": page.reconcile(moves),
        "arr_chart": line_chart(arr, "ARR at each month end", label=cash),
        "rate_chart": line_chart(
            rates, "GRR and NRR over the 12 months to each month end", label=page.share
        ),
        "rate_series": rates,
        "groups": report.rows[1:],
        "share": page.share,
    }


# --- /kpis/cohorts -------------------------------------------------------------------------


@router.get("/kpis/cohorts")
def cohorts_page(
    request: Request,
    db: DbDep,
    _identity: IdentityDep,
    cohort: Annotated[str, Query(max_length=20)] = "year",
    period_months: Annotated[int, Query(ge=1, le=120)] = 12,
    periods: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    """Logo and revenue retention by start cohort, and the sBG model fitted to them."""
    if cohort not in COHORT_MONTHS:
        raise TenureError(f"cohort: {cohort!r}: one of {', '.join(COHORT_MONTHS)}", 422)
    settings, as_of = settings_of(request), today()
    context: dict[str, Any] = {
        "cohort": cohort,
        "cohorts": list(COHORT_MONTHS),
        "period_months": period_months,
        "periods": periods,
        "as_of": as_of,
        "problem": None,
        "forecast_problem": None,
    }
    try:
        table, currency = retention.cohorts(db, settings, as_of, cohort, period_months)
    except TenureError as error:
        return render(request, "kpis_cohorts.html", {**context, "problem": error.message}, 400)
    lines, reached = page.cohort_grid(table)
    context.update(lines=lines, reached=reached, currency=currency)
    try:
        forecast = retention.forecast_book(db, settings, as_of, cohort, period_months, periods)
    except TenureError as error:
        # Too little history to fit the model is a fact about the data, not a broken page.
        return render(request, "kpis_cohorts.html", {**context, "forecast_problem": error.message})
    series, legend = page.forecast_series(forecast.survivors, period_months)
    curve = [r for r in forecast.survivors if r["cohort"] == forecast.survivors[0]["cohort"]]
    chart = line_chart(
        series,
        "Customers of each cohort, observed and projected",
        x_ticks=page.period_ticks(series),
    )
    context.update(fit=forecast.fit_record(), curve=curve, chart=chart, legend=legend)
    return render(request, "kpis_cohorts.html", context)


# --- /backtest -----------------------------------------------------------------------------

# Backtests and churn scores read every renewal, snapshot and metric: seconds of work whose
# inputs change with imports and the daily job, not between two clicks. Each result is kept
# ten minutes per database, question and day, as the account page keeps a book's signals.
KEEP_SECONDS = 600.0
_KEPT = 50
T = TypeVar("T")
_results: OrderedDict[tuple[Hashable, ...], tuple[float, Any, datetime]] = OrderedDict()


def kept(
    request: Request, db: Session, key: tuple[Hashable, ...], compute: Callable[[], T]
) -> tuple[T, datetime]:
    """`compute()`, or its result from the last ten minutes, with when it was computed. The
    database and the data dir (warehouse, model) are part of the key."""
    data_dir = str(settings_of(request).data_dir)
    full = (str(db.get_bind().engine.url), data_dir, today(), *key)
    cached = _results.get(full)
    if cached is not None and time.monotonic() - cached[0] < KEEP_SECONDS:
        value: T = cached[1]
        return value, cached[2]
    result, at = compute(), utc_now()
    _results[full] = (time.monotonic(), result, at)
    _results.move_to_end(full)
    while len(_results) > _KEPT:
        _results.popitem(last=False)
    return result, at


def _lead_days(text: str | None) -> int:
    value = _number("lead_days", text, 0, 730)
    if value is None:
        return LEAD_DAYS
    if value != int(value):
        raise TenureError(f"lead_days: {value:g} is not a whole number of days", 422)
    return int(value)


@router.get("/backtest")
def backtest_page(
    request: Request,
    _identity: IdentityDep,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
    lead_days: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The page shell: the health backtest and the churn model arrive just after (htmx)."""
    day = today()
    period = page.chosen_period(start, end, day)
    lead = _lead_days(lead_days)
    options = {"lead_days": lead}
    return render(
        request,
        "kpis_backtest.html",
        {
            "period": period,
            "lead_days": lead,
            "is_default": period == page.last_full_months(day),
            "health_query": query({**period.query(), **options}),
            "quick": [
                (label, "/backtest?" + query(options, **p.query()))
                for label, p in page.presets(day)
            ],
        },
    )


@router.get("/backtest/health")
def health_backtest(
    request: Request,
    db: DbDep,
    _identity: IdentityDep,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
    lead_days: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """Did the stored health scores tell churners from renewers (loaded into /backtest)."""
    period = page.chosen_period(start, end, today())
    lead = _lead_days(lead_days)
    warehouse, settings = warehouse_of(request), settings_of(request)
    context: dict[str, Any] = {
        "period": period,
        "lead_days": lead,
        "missing": None,
        "max_age_days": retention.METRIC_WINDOW_DAYS,
        "min_fit": MIN_FIT,
    }
    try:
        result, at = kept(
            request,
            db,
            ("health", period, lead),
            lambda: retention.health_backtest(
                db, warehouse, settings, period.start, period.end, lead
            ),
        )
    except TenureError as error:
        return render(request, "kpis_backtest_health.html", {**context, "missing": error.message})
    bands = interval_chart(
        [
            Interval(
                (b["band"] or "no band").capitalize(),
                b["churn_rate"],
                b["churn_rate_low"],
                b["churn_rate_high"],
                b["band"] or "none",
                f"{b['churned']} of {b['renewals']} churned",
            )
            for b in result.bands
        ],
        "Churn rate per band, with its Wilson 95% interval",
        label=lambda v: page.share(v, 0),
    )
    # The latest churners first; a large book's full list belongs in the CLI's JSON.
    listed = sorted(result.lead_times, key=lambda r: r["churn_date"], reverse=True)[:LISTED]
    context.update(
        summary=result.summary,
        bands=result.bands,
        chart=bands,
        weights=result.weights,
        lead_times=listed,
        churners=len(result.lead_times),
        names=account_names(db, [r["account_external_id"] for r in listed]),
        computed_at=at,
    )
    return render(request, "kpis_backtest_health.html", context)


def _model(request: Request) -> tuple[ChurnModel, int]:
    """The trained churn model and its file's stamp (a new training changes the stamp)."""
    settings = settings_of(request)
    model = churn_service.load_model(settings)
    return model, churn_service.model_path(settings).stat().st_mtime_ns


@router.get("/backtest/churn")
def churn_model(
    request: Request,
    db: DbDep,
    _identity: IdentityDep,
    limit: Annotated[int, Query(ge=1, le=500)] = AT_RISK,
) -> Response:
    """The trained churn model's backtest and today's riskiest accounts (loaded into
    /backtest)."""
    try:
        model, stamp = _model(request)
    except TenureError as error:
        return render(request, "kpis_backtest_churn.html", {"missing": error.message})
    warehouse, settings, day = warehouse_of(request), settings_of(request), today()
    scores, at = kept(
        request,
        db,
        ("churn-scores", stamp),
        lambda: churn_service.score(
            db, warehouse, settings, model, day, None, churn_service.health_reader(warehouse)
        ),
    )
    top = scores[:limit]
    return render(
        request,
        "kpis_backtest_churn.html",
        {
            "missing": None,
            "model": model,
            "scores": top,
            "scored": len(scores),
            "names": account_names(db, [r["account_external_id"] for r in top]),
            "computed_at": at,
            "as_of": day,
        },
    )


@router.get("/backtest/calibration")
def churn_calibration(request: Request, db: DbDep, _identity: IdentityDep) -> Response:
    """The churn model's backtest run again as of its training day, with the calibration
    tables a stored model does not keep (loaded into /backtest)."""
    try:
        model, stamp = _model(request)
    except TenureError as error:
        return render(request, "kpis_backtest_calibration.html", {"missing": error.message})
    warehouse, settings = warehouse_of(request), settings_of(request)

    def rerun() -> list[dict[str, Any]]:
        hist = churn_service.history(
            db,
            warehouse,
            settings,
            model.trained_until,
            None,
            model.options,
            churn_service.health_reader(warehouse),
        )
        return churn_service.backtest(hist)

    if model.backtest_rows is not None and model.backtest_at is not None:
        # Computed by `churn train` on the same history: the page reads it, no refit.
        rows, at, stored = model.backtest_rows, model.backtest_at, True
    else:
        try:
            rows, at = kept(request, db, ("churn-backtest", stamp), rerun)
        except TenureError as error:
            return render(request, "kpis_backtest_calibration.html", {"missing": error.message})
        stored = False
    return render(
        request,
        "kpis_backtest_calibration.html",
        {"missing": None, "rows": rows, "model": model, "computed_at": at, "stored": stored},
    )
