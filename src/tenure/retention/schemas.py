"""API read models of retention analytics (the CLI's JSON has the same keys)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Share = float | None


class KpiRead(BaseModel):
    """The KPIs of one group for a period. A `--by` grouping adds its key (`segment`,
    `tier` or `csm_email`)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    group: str | None
    currency: str | None
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    logos_start: int
    logos_new: int
    logos_reactivated: int
    logos_churned: int
    logos_end: int
    logo_churn: Share
    logo_retention: Share
    arr_start: float
    arr_new: float
    arr_expansion: float
    arr_reactivation: float
    arr_contraction: float
    arr_churn: float
    arr_end: float
    gross_revenue_churn: Share
    net_revenue_churn: Share
    grr: Share
    nrr: Share
    grr_12m: Share
    nrr_12m: Share
    paid_logos_start: int
    paid_logos_churned: int
    paid_churn: Share
    ghost_logos_start: int
    ghost_logos_churned: int
    ghost_churn: Share
    trial_logos_start: int
    trial_logos_churned: int
    trial_churn: Share
    free_logos_start: int
    free_logos_churned: int
    free_churn: Share
    ghost_known: bool
    arpa_monthly: float | None
    monthly_churn: Share
    lifetime_months: float | None
    margin: float
    clv: float | None
    nps: float | None
    nps_responses: int
    csat: Share
    csat_responses: int
    ces: float | None
    ces_responses: int
    nps_invited: int
    nps_response_rate: Share
    csat_invited: int
    csat_response_rate: Share
    ces_invited: int
    ces_response_rate: Share
    ttfv_accounts: int
    ttfv_reached: int
    ttfv_median_days: float | None
    ttfv_mean_days: float | None


class MovementRead(BaseModel):
    model_config = ConfigDict(extra="allow")

    group: str | None
    currency: str | None
    movement: str
    logos: int | None
    arr: float


class KpisRead(BaseModel):
    kpis: list[KpiRead]
    movements: list[MovementRead]


class CohortRead(BaseModel):
    cohort: str
    period: int
    accounts: int
    survivors: int
    logo_retention: Share
    arr_start: float
    arr: float
    revenue_retention: Share
    currency: str | None


class ProjectedRead(BaseModel):
    cohort: str
    period: int
    observed: float | None
    projected: float
    survival: float
    retention_rate: float | None


class ForecastRead(BaseModel):
    alpha: float
    beta: float
    log_likelihood: float
    cohorts: int
    periods_observed: int
    at_limit: bool
    limit_note: str | None = None  # at the search's limit: what the fit still says, in words
    survivors: list[ProjectedRead]


class SurvivorsCreate(BaseModel):
    survivors: list[Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]] = Field(
        description="Customers alive at the start of each period; the first is the cohort size.",
        min_length=2,
        max_length=1000,
    )
    periods: int = Field(default=10, ge=1, le=1000, description="Project up to this period.")


class RenewalRead(BaseModel):
    account_external_id: str
    csm_email: str | None
    band: str | None
    renewal_date: date
    days: int
    arr: float
    expected_rate: Share
    rate_from: str
    expected_arr: float | None
    currency: str | None


class RenewalSummaryRead(BaseModel):
    model_config = ConfigDict(extra="allow")  # arr_renewing_90d, expected_arr_180d, ...

    band: str | None
    csm_email: str | None
    currency: str | None


class RenewalRateRead(BaseModel):
    band: str | None
    band_source: str
    past_renewals: int
    arr_up: float
    arr_kept: float
    rate: Share


class RenewalForecastRead(BaseModel):
    summary: list[RenewalSummaryRead]
    renewals: list[RenewalRead]
    rates: list[RenewalRateRead]


class ChurnScoreRead(BaseModel):
    account_external_id: str
    csm_email: str | None
    arr: float | None
    currency: str | None
    renewal_date: date | None
    days_to_renewal: int | None
    probability: float
    model: str
    reasons: list[str]


class CalibrationBinRead(BaseModel):
    bin: int
    observations: int
    predicted: float
    observed: float
    low: float
    high: float


class ChurnBacktestRead(BaseModel):
    model: str
    auc: float | None
    lift: float | None
    brier: float | None
    observations: int
    churned: int
    churn_rate: float | None
    folds: int
    method: str
    calibration: list[CalibrationBinRead]


class HealthBacktestRead(BaseModel):
    summary: dict[str, float | int | date | None]
    bands: list[dict[str, float | int | str | None]]
    weights: list[dict[str, float | str | None]]
    lead_times: list[dict[str, str | date | bool | int | None]]
