"""REST API for retention analytics (`/api/v1/kpis`, `/api/v1/retention/...`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from tenure.db import SessionDep
from tenure.kit.bounds import MAX_WINDOW_DAYS, Day
from tenure.kit.dates import utc_today
from tenure.retention import service
from tenure.retention.backtest import LEAD_DAYS
from tenure.retention.book_facts import add_months
from tenure.retention.churn import service as churn_service
from tenure.retention.churn.features import ChurnOptions
from tenure.retention.schemas import (
    ChurnBacktestRead,
    ChurnScoreRead,
    CohortRead,
    ForecastRead,
    HealthBacktestRead,
    KpisRead,
    RenewalForecastRead,
    SurvivorsCreate,
)
from tenure.users.auth import CurrentUser

router = APIRouter()


def plain(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Decimals as floats, so figures are JSON numbers in every field, extra ones included."""
    return [
        {k: float(v) if isinstance(v, Decimal) else v for k, v in record.items()}
        for record in records
    ]


@router.get("/kpis", response_model=KpisRead, response_model_by_alias=True, tags=["retention"])
def kpis(
    request: Request,
    session: SessionDep,
    _user: CurrentUser,
    start: Annotated[
        Day | None, Query(alias="from", description="First day; default 12 months back.")
    ] = None,
    end: Annotated[Day | None, Query(alias="to", description="Last day; default today.")] = None,
    by: Literal["segment", "tier", "csm"] | None = None,
    margin: Annotated[float, Query(ge=0, le=1, description="Gross margin for CLV.")] = 0.8,
    active_users_metric: str = service.ACTIVE_USERS_METRIC,
    first_value_metric: str | None = None,
    first_value_threshold: float = service.FIRST_VALUE_THRESHOLD,
) -> KpisRead:
    state = request.app.state
    last = end or utc_today()
    first = start or add_months(last, -12) + timedelta(days=1)
    rule = (
        service.FirstValue(first_value_metric, first_value_threshold)
        if first_value_metric
        else None
    )
    report = service.kpi_report(
        session, state.warehouse, state.settings, first, last, by, margin, active_users_metric, rule
    )
    return KpisRead.model_validate(
        {"kpis": plain(report.rows), "movements": plain(report.movements)}
    )


@router.get("/retention/cohorts", response_model=list[CohortRead], tags=["retention"])
def cohorts(
    request: Request,
    session: SessionDep,
    _user: CurrentUser,
    cohort: Literal["month", "quarter", "year"] = "quarter",
    period_months: Annotated[int, Query(ge=1, le=120)] = 12,
    as_of: Day | None = None,
) -> list[CohortRead]:
    table, currency = service.cohorts(
        session, request.app.state.settings, as_of or utc_today(), cohort, period_months
    )
    return [CohortRead.model_validate({**r.as_record(), "currency": currency}) for r in table]


@router.get("/retention/forecast", response_model=ForecastRead, tags=["retention"])
def forecast_book(
    request: Request,
    session: SessionDep,
    _user: CurrentUser,
    cohort: Literal["month", "quarter", "year"] = "year",
    period_months: Annotated[int, Query(ge=1, le=120)] = 12,
    periods: Annotated[int, Query(ge=1, le=1000)] = 10,
    as_of: Day | None = None,
) -> ForecastRead:
    """The sBG model fitted to Tenure's own start cohorts."""
    result = service.forecast_book(
        session, request.app.state.settings, as_of or utc_today(), cohort, period_months, periods
    )
    return ForecastRead.model_validate(result.as_json())


@router.post("/retention/forecast", response_model=ForecastRead, tags=["retention"])
def forecast_survivors(_user: CurrentUser, data: SurvivorsCreate) -> ForecastRead:
    """The sBG model fitted to one cohort's survivor counts."""
    result = service.forecast_survivors(data.survivors, data.periods)
    return ForecastRead.model_validate(result.as_json())


@router.get("/retention/renewals", response_model=RenewalForecastRead, tags=["retention"])
def renewals(
    request: Request, session: SessionDep, _user: CurrentUser, as_of: Day | None = None
) -> RenewalForecastRead:
    state = request.app.state
    day = as_of or utc_today()
    band_at, source = service.health_bands(state.warehouse, day)
    result, currency = service.renewals(session, state.settings, day, band_at, source)
    return RenewalForecastRead.model_validate(
        {
            "summary": plain([{**r, "currency": currency} for r in result.summary]),
            "renewals": plain([{**r, "currency": currency} for r in result.renewals]),
            "rates": plain(result.rates),
        }
    )


@router.get("/churn/scores", response_model=list[ChurnScoreRead], tags=["retention"])
def churn_scores(
    request: Request,
    session: SessionDep,
    _user: CurrentUser,
    as_of: Day | None = None,
    model: Literal["logistic", "boosting"] | None = None,
    csm: Annotated[str | None, Query(description="Only this CSM's accounts (email).")] = None,
) -> list[ChurnScoreRead]:
    """Churn probability and top reasons per paying account, from the model `tenure churn
    train` stored; riskiest first."""
    state = request.app.state
    trained = churn_service.load_model(state.settings)
    records = churn_service.score(
        session,
        state.warehouse,
        state.settings,
        trained,
        as_of or utc_today(),
        model,
        churn_service.health_reader(state.warehouse),
    )
    return [
        ChurnScoreRead.model_validate(r)
        for r in records
        if csm is None or r["csm_email"] == csm.lower()
    ]


@router.get("/churn/backtest", response_model=list[ChurnBacktestRead], tags=["retention"])
def churn_backtest(
    request: Request,
    session: SessionDep,
    _user: CurrentUser,
    as_of: Day | None = None,
    start: Annotated[Day | None, Query(alias="from")] = None,
    step_days: Annotated[int, Query(ge=1, le=MAX_WINDOW_DAYS)] = 30,
    lead_days: Annotated[int, Query(ge=0, le=MAX_WINDOW_DAYS)] = 30,
    horizon_days: Annotated[int, Query(ge=1, le=MAX_WINDOW_DAYS)] = 90,
    metric_window_days: Annotated[int, Query(ge=1, le=MAX_WINDOW_DAYS)] = 35,
    folds: Annotated[int, Query(ge=1, le=20)] = 4,
) -> list[ChurnBacktestRead]:
    state = request.app.state
    options = ChurnOptions(
        step_days=step_days,
        lead_days=lead_days,
        horizon_days=horizon_days,
        metric_window_days=metric_window_days,
    )
    hist = churn_service.history(
        session,
        state.warehouse,
        state.settings,
        as_of or utc_today(),
        start,
        options,
        churn_service.health_reader(state.warehouse),
    )
    return [ChurnBacktestRead.model_validate(r) for r in churn_service.backtest(hist, folds)]


@router.get("/retention/health-backtest", response_model=HealthBacktestRead, tags=["retention"])
def health_backtest(
    request: Request,
    session: SessionDep,
    _user: CurrentUser,
    start: Annotated[Day, Query(alias="from", description="First renewal date.")],
    end: Annotated[Day, Query(alias="to", description="Last renewal date, included.")],
    lead_days: Annotated[int, Query(ge=0, le=MAX_WINDOW_DAYS)] = LEAD_DAYS,
) -> HealthBacktestRead:
    """How well stored health scores separated renewals that churned from those that renewed."""
    state = request.app.state
    result = service.health_backtest(
        session, state.warehouse, state.settings, start, end, lead_days
    )
    return HealthBacktestRead(
        summary=result.summary,
        bands=result.bands,
        weights=result.weights,
        lead_times=result.lead_times,
    )
