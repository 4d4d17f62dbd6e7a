"""Loading the contract book, surveys and metrics for the retention cores. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tenure.config import Settings
from tenure.kit.errors import TenureError
from tenure.kit.files import read_header, read_rows
from tenure.models import Account, Contract, SurveyResponse, User
from tenure.retention.backtest import LEAD_DAYS as LEAD_DAYS
from tenure.retention.backtest import MIN_FIT as MIN_FIT
from tenure.retention.backtest import HealthBacktest, renewal_outcomes
from tenure.retention.backtest import health_backtest as run_health_backtest
from tenure.retention.book_facts import AccountRecord, ContractRecord, in_one_currency
from tenure.retention.book_facts import Book as Book
from tenure.retention.book_facts import add_months as add_months
from tenure.retention.cohorts import COHORT_MONTHS as COHORT_MONTHS
from tenure.retention.cohorts import CohortPeriod as CohortPeriod
from tenure.retention.cohorts import cohort_table, survivors_by_cohort
from tenure.retention.health_data import band_lookup, has_snapshots, snapshot_records
from tenure.retention.kpis import GROUPINGS as GROUPINGS
from tenure.retention.kpis import KINDS as KINDS
from tenure.retention.kpis import MOVEMENTS as MOVEMENTS
from tenure.retention.kpis import KpiInputs, kpis
from tenure.retention.kpis import KpiReport as KpiReport
from tenure.retention.kpis import movements as movements
from tenure.retention.renewals import (
    HISTORY_DAYS,
    WINDOWS,
    BandAt,
    RenewalForecast,
    forecast_renewals,
)
from tenure.retention.sbg import SbgFit, fit, limit_note
from tenure.retention.surveys import SurveyRecord
from tenure.retention.value import first_value_dates
from tenure.warehouse import Warehouse

ACTIVE_USERS_METRIC = "active_users_28d"
# Reaching 1 of a count metric is "the first time it happened": the first-value default.
FIRST_VALUE_THRESHOLD = 1.0
# A metric value older than this does not describe the account on the day asked about.
METRIC_WINDOW_DAYS = 35


def account_records(session: Session) -> dict[str, AccountRecord]:
    rows = session.execute(
        select(
            Account.external_id,
            Account.tier,
            Account.segment,
            Account.industry,
            User.email,
            Account.attributes,
        ).outerjoin(User, Account.owner_id == User.id)
    )
    return {
        external_id: AccountRecord(external_id, tier.value, segment, email, industry, attributes)
        for external_id, tier, segment, industry, email, attributes in rows
    }


def contract_records(session: Session) -> list[ContractRecord]:
    rows = session.execute(
        select(
            Account.external_id,
            Contract.start_date,
            Contract.end_date,
            Contract.arr,
            Contract.currency,
            Contract.status,
        ).join(Account, Contract.account_id == Account.id)
    )
    return [
        ContractRecord(account, start, end, arr, currency, status.value)
        for account, start, end, arr, currency, status in rows
    ]


def book(
    session: Session, settings: Settings, records: Sequence[ContractRecord] | None = None
) -> tuple[Book, str | None]:
    """Every contract (or `records`, already read), in one currency (refused when currencies
    mix without rates)."""
    contracts, currency = in_one_currency(
        contract_records(session) if records is None else records,
        settings.base_currency,
        settings.currency_rates,
    )
    return Book(contracts), currency


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def survey_records(session: Session, start: date, end: date) -> list[SurveyRecord]:
    """Invitations sent in the period or answered in it."""
    after, until = _day_start(start), _day_start(end + timedelta(days=1))
    rows = session.execute(
        select(
            Account.external_id,
            SurveyResponse.kind,
            SurveyResponse.sent_at,
            SurveyResponse.score,
            SurveyResponse.responded_at,
        )
        .join(Account, SurveyResponse.account_id == Account.id)
        .where(
            SurveyResponse.sent_at < until,
            or_(SurveyResponse.sent_at >= after, SurveyResponse.responded_at >= after),
        )
    )
    return [
        SurveyRecord(
            account,
            kind.value,
            sent.astimezone(UTC).date(),
            score,
            responded.astimezone(UTC).date() if responded else None,
        )
        for account, kind, sent, score, responded in rows
    ]


def latest_metric(
    warehouse: Warehouse, metric: str, day: date, window_days: int = METRIC_WINDOW_DAYS
) -> dict[str, float] | None:
    """Each account's latest value of `metric` on or before `day`; None when the metrics
    series has no such metric at all (so "no data" is never mistaken for zero)."""
    if metric not in warehouse.metrics.metric_names():
        return None
    table = warehouse.metrics.latest(day, window_days, [metric])
    return {
        account: float(value)
        for account, value in zip(
            table.column("account_external_id").to_pylist(),
            table.column("value").to_pylist(),
            strict=True,
        )
        if value is not None
    }


@dataclass(frozen=True)
class FirstValue:
    """The first-value moment: the first day `metric` reaches `threshold`."""

    metric: str
    threshold: float


def first_value(
    warehouse: Warehouse, book: Book, rule: FirstValue, start: date, end: date
) -> dict[str, date]:
    if rule.metric not in warehouse.metrics.metric_names():
        raise TenureError(
            f"--first-value-metric {rule.metric!r}: no such metric in the metrics series "
            f"(known: {', '.join(warehouse.metrics.metric_names()) or 'none'})"
        )
    starts = {a: d for a in book.accounts if (d := book.first_start(a)) and start <= d <= end}
    table = warehouse.metrics.read([rule.metric], sorted(starts), start, end)
    series = zip(
        table.column("account_external_id").to_pylist(),
        table.column("date").to_pylist(),
        table.column("value").to_pylist(),
        strict=True,
    )
    return first_value_dates(starts, series, rule.threshold)


def kpi_report(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    start: date,
    end: date,
    by: str | None = None,
    margin: float = 0.8,
    active_users_metric: str = ACTIVE_USERS_METRIC,
    value_rule: FirstValue | None = None,
    contracts: Sequence[ContractRecord] | None = None,
) -> KpiReport:
    """The KPIs of start..end; `contracts`: the contract records, when the caller has read
    them already."""
    contracts = contract_records(session) if contracts is None else contracts
    accounts = account_records(session)
    reached: dict[str, date] | None = None
    if value_rule is not None:
        reached = first_value(warehouse, Book(contracts), value_rule, start, end)
    inputs = KpiInputs(
        contracts=contracts,
        accounts=accounts,
        surveys=survey_records(session, start, end),
        active_users=latest_metric(warehouse, active_users_metric, start - timedelta(days=1)),
        first_value=reached,
        margin=margin,
        base_currency=settings.base_currency,
        rates=settings.currency_rates,
    )
    return kpis(inputs, start, end, by)


def cohorts(
    session: Session, settings: Settings, as_of: date, cohort: str, period_months: int
) -> tuple[list[CohortPeriod], str | None]:
    contracts, currency = book(session, settings)
    return cohort_table(contracts, as_of, cohort, period_months), currency


@dataclass(frozen=True)
class Forecast:
    model: SbgFit
    survivors: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "alpha": self.model.alpha,
            "beta": self.model.beta,
            "log_likelihood": self.model.log_likelihood,
            "cohorts": self.model.cohorts,
            "periods_observed": self.model.periods,
            "at_limit": self.model.at_limit,
            "limit_note": limit_note(self.model),
            "survivors": self.survivors,
        }

    def fit_record(self) -> dict[str, Any]:
        return {k: v for k, v in self.as_json().items() if k != "survivors"}


def project(
    model: SbgFit, cohorts: dict[str, Sequence[float]], periods: int
) -> list[dict[str, Any]]:
    """Observed and projected survivors of each cohort for periods 0..max(observed, periods)."""
    records: list[dict[str, Any]] = []
    for name, observed in cohorts.items():
        size = float(observed[0])
        last = max(len(observed) - 1, periods)
        for t, projected in enumerate(model.projected_survivors(size, last)):
            records.append(
                {
                    "cohort": name,
                    "period": t,
                    "observed": observed[t] if t < len(observed) else None,
                    "projected": projected,
                    "survival": model.survival(t),
                    "retention_rate": model.retention_rate(t) if t else None,
                }
            )
    return records


def forecast_survivors(survivors: Sequence[float], periods: int) -> Forecast:
    model = fit([survivors])
    return Forecast(model, project(model, {"file": survivors}, periods))


def forecast_book(
    session: Session,
    settings: Settings,
    as_of: date,
    cohort: str = "year",
    period_months: int = 12,
    periods: int = 10,
) -> Forecast:
    """sBG fitted to every start cohort observed for at least one period, projected."""
    table, _ = cohorts(session, settings, as_of, cohort, period_months)
    observed = {k: v for k, v in survivors_by_cohort(table).items() if len(v) >= 2}
    if not observed:
        raise TenureError(
            f"no cohort has been observed for a whole period of {period_months} months by "
            f"{as_of}: import contracts with more history, or give --survivors FILE"
        )
    model = fit(list(observed.values()))
    return Forecast(model, project(model, dict(observed), periods))


def renewals(
    session: Session,
    settings: Settings,
    as_of: date,
    band_at: BandAt | None = None,
    band_source: str = "renewal",
) -> tuple[RenewalForecast, str | None]:
    contracts, currency = book(session, settings)
    return (
        forecast_renewals(contracts, account_records(session), as_of, band_at, band_source),
        currency,
    )


def read_survivors(path: Path) -> list[float]:
    """The `survivors` column of a CSV (or JSON Lines) file, first row the cohort size."""
    if "survivors" not in read_header(path):
        raise TenureError(f"{path}:1: no column 'survivors' (the count alive at each period)")
    values: list[float] = []
    lines: list[int] = []
    problems: list[str] = []
    for row in read_rows(path):
        raw = row.values.get("survivors")
        try:
            value = float(raw) if raw is not None else None
        except (TypeError, ValueError):
            value = None
        if value is None or value < 0 or value != value:
            problems.append(f"{path}:{row.line}: survivors: {raw!r}: not a count of customers")
        else:
            values.append(value)
            lines.append(row.line)
    if problems:
        raise TenureError(f"{path}: {len(problems)} bad row(s)", problems=problems)
    for index in range(1, len(values)):
        if values[index] > values[index - 1]:
            raise TenureError(
                f"{path}:{lines[index]}: survivors: {values[index]:g}: more than the period "
                f"before ({values[index - 1]:g}); survivors can only fall"
            )
    return values


def health_bands(warehouse: Warehouse, as_of: date) -> tuple[BandAt | None, str]:
    """How to band accounts for the renewal forecast: by stored health snapshots when the
    health domain has written any ("health"), else by months to renewal ("renewal")."""
    earliest = as_of - timedelta(days=HISTORY_DAYS + max(WINDOWS) + METRIC_WINDOW_DAYS)
    lookup = band_lookup(warehouse, earliest, as_of)
    return (lookup, "health") if lookup is not None else (None, "renewal")


def health_backtest(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    start: date,
    end: date,
    lead_days: int = LEAD_DAYS,
) -> HealthBacktest:
    """The stored health snapshots against the renewals dated start..end."""
    if end < start:
        raise TenureError(f"--to {end} is before --from {start}")
    if not has_snapshots(warehouse):
        raise TenureError(
            "no health snapshots in the warehouse: run `tenure health compute --from DATE "
            "--to DATE` over the period first"
        )
    contracts, _ = book(session, settings)
    outcomes = renewal_outcomes(contracts, start, end)
    # A year before the earliest score read, so "turned red" can reach back that far.
    earliest = start - timedelta(days=lead_days + 365)
    snapshots = snapshot_records(warehouse, earliest, end)
    return run_health_backtest(
        snapshots, outcomes, start, end, lead_days, max_age_days=METRIC_WINDOW_DAYS
    )
