"""What the retention pages show, cut from the retention services' results: the period a
leader asks about, KPI tiles with their definitions, the ARR waterfall, the monthly trend and
the cohort grid. No figure is computed here that the retention domain does not compute."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tenure.kit.charts import Series, Step
from tenure.kit.dates import quarter_bounds
from tenure.kit.errors import TenureError
from tenure.retention.service import KINDS, MOVEMENTS, Book, CohortPeriod, add_months, movements
from tenure.web.templating import money, number

# More than two years of month ends makes the trend line unreadable, and the page slow at scale.
TREND_MONTHS = 24
DAY = timedelta(days=1)
# Contracts of a living business; the bounds keep the date arithmetic of the figures (a year
# back, a month on, lead times) inside the calendar Python can count.
MIN_YEAR, MAX_YEAR = 1900, 2999


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    def query(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def parse_day(field: str, text: str | None) -> date | None:
    """A date typed into a form: empty means "not given"; anything else must be ISO."""
    if text is None or not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise TenureError(
            f"{field}: {text.strip()!r} is not a date (use YYYY-MM-DD)", status=422
        ) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise TenureError(f"{field}: {day}: use a year from {MIN_YEAR} to {MAX_YEAR}", 422)
    return day


def last_full_months(today: date, months: int = 12) -> Period:
    """The last `months` whole calendar months before this one: a leader compares trailing
    twelve months, and whole months make consecutive views chain without overlaps."""
    this_month = today.replace(day=1)
    return Period(add_months(this_month, -months), this_month - DAY)


def presets(today: date) -> list[tuple[str, Period]]:
    """The periods a leader reaches for, as quick links."""
    quarter_start, _ = quarter_bounds(today)
    last_quarter, _ = quarter_bounds(quarter_start - DAY)
    return [
        ("Last 12 months", last_full_months(today)),
        ("Last quarter", Period(last_quarter, quarter_start - DAY)),
        ("Year to date", Period(date(today.year, 1, 1), today)),
        (str(today.year - 1), Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))),
    ]


def chosen_period(start_text: str | None, end_text: str | None, today: date) -> Period:
    """The period of the form; with neither day given, the last twelve whole months; with
    one, a year ending on `to` or running from `from` to today (as the API does)."""
    start, end = parse_day("from", start_text), parse_day("to", end_text)
    if start is None and end is None:
        return last_full_months(today)
    last = end or today
    first = start or add_months(last, -12) + DAY
    if last < first:
        raise TenureError(f"to: {last} is before from {first}", status=422)
    return Period(first, last)


# --- tiles ---------------------------------------------------------------------------------


def share(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


@dataclass(frozen=True)
class Tile:
    key: str  # the kpi_report field it shows, also its footnote's anchor
    label: str
    value: str
    sub: str
    definition: str


@dataclass(frozen=True)
class Section:
    title: str
    tiles: list[Tile]


DEFINITIONS: dict[str, str] = {
    "logo_churn": "Accounts active at the start and not at the end, over the accounts active "
    "at the start. The start is the day before the period's first day.",
    "logo_retention": "1 - logo churn.",
    "logos_new": "Accounts active at the end that had never had an active contract before "
    "the period; reactivated ones had one and came back.",
    "arr_start": "ARR of the contracts active on the day before the period.",
    "arr_end": "ARR of the contracts active on the period's last day.",
    "gross_revenue_churn": "(churned ARR + contraction) / ARR at the start.",
    "net_revenue_churn": "(churned ARR + contraction - expansion) / ARR at the start; below "
    "zero when expansion outgrows what was lost.",
    "grr": "Over the accounts paying at the start: the sum of min(ARR at the start, ARR at the "
    "end) / their ARR at the start. At most 100%.",
    "nrr": "Over the accounts paying at the start: their ARR at the end / their ARR at the "
    "start, expansion included; new and reactivated ARR never count.",
    "grr_12m": "GRR of the accounts paying twelve months before the period's last day.",
    "nrr_12m": "NRR of the accounts paying twelve months before the period's last day.",
    "paid_churn": "Logo churn of the accounts paying at the start that had active users (or "
    "no usage data).",
    "ghost_churn": "Logo churn of the accounts paying at the start with no active users the "
    "day before the period (metric active_users_28d): paying for something nobody used.",
    "trial_churn": "Logo churn of the accounts on a $0 contract at the start, tier not free.",
    "free_churn": "Logo churn of the free-tier accounts on a $0 contract at the start.",
    "arpa_monthly": "ARR at the start / 12 / accounts paying at the start.",
    "monthly_churn": "The paying accounts' logo churn c over the period as a monthly rate: "
    "1 - (1 - c) ^ (30.44 / days in the period).",
    "lifetime_months": "1 / monthly churn.",
    "clv": "Monthly ARPA x gross margin / monthly churn. Empty when no paying account churned.",
    "nps": "100 x (promoters, 9-10, - detractors, 0-6) / answers in the period. The response "
    "rate is the invitations sent in the period and answered by its end / invitations sent.",
    "csat": "Answers of 4 or 5 / answers, on a 1-5 scale, with its response rate.",
    "ces": "Mean answer on a 1-7 effort scale, with its response rate.",
    "ttfv_median_days": "Days from an account's first contract start to the first day the "
    "first-value metric reached its threshold, for the accounts that started in the period.",
}


def _tile(key: str, label: str, value: str, sub: str = "") -> Tile:
    return Tile(key, label, value, sub, DEFINITIONS[key])


def _kind_tile(row: Mapping[str, Any], kind: str) -> Tile:
    start, churned = row[f"{kind}_logos_start"], row[f"{kind}_logos_churned"]
    if kind == "ghost" and not row["ghost_known"]:
        return _tile("ghost_churn", "Ghost churn", "unknown", "no active_users_28d metric")
    return _tile(
        f"{kind}_churn",
        f"{kind.capitalize()} churn",
        share(row[f"{kind}_churn"]),
        f"{churned} of {start} accounts",
    )


def _survey_tile(row: Mapping[str, Any], kind: str, value: str) -> Tile:
    answers, invited = row[f"{kind}_responses"], row[f"{kind}_invited"]
    rate = share(row[f"{kind}_response_rate"], 0)
    return _tile(kind, kind.upper(), value, f"{answers} answers · {rate} of {invited} invited")


def _unit(value: float | None, unit: str, digits: int = 0) -> str:
    return "—" if value is None else f"{number(value, digits)} {unit}"


def _logo_tiles(row: Mapping[str, Any]) -> list[Tile]:
    start, end, churned = row["logos_start"], row["logos_end"], row["logos_churned"]
    return [
        _tile(
            "logo_churn", "Logo churn", share(row["logo_churn"]), f"{churned} of {start} accounts"
        ),
        _tile(
            "logo_retention",
            "Logo retention",
            share(row["logo_retention"]),
            f"{start} → {end} accounts",
        ),
        _tile(
            "logos_new",
            "New logos",
            number(row["logos_new"]),
            f"{row['logos_reactivated']} reactivated",
        ),
    ]


def _revenue_tiles(row: Mapping[str, Any], currency: str | None) -> list[Tile]:
    return [
        _tile(
            "arr_start",
            "ARR at the start",
            money(row["arr_start"], currency),
            f"on {row['from'] - DAY}",
        ),
        _tile("arr_end", "ARR at the end", money(row["arr_end"], currency), f"on {row['to']}"),
        _tile("gross_revenue_churn", "Gross revenue churn", share(row["gross_revenue_churn"])),
        _tile("net_revenue_churn", "Net revenue churn", share(row["net_revenue_churn"])),
        _tile("grr", "GRR", share(row["grr"]), "over the period"),
        _tile("nrr", "NRR", share(row["nrr"]), "over the period"),
        _tile("grr_12m", "GRR, 12 months", share(row["grr_12m"]), "12-month cohort"),
        _tile("nrr_12m", "NRR, 12 months", share(row["nrr_12m"]), "12-month cohort"),
    ]


def _value_tiles(row: Mapping[str, Any], currency: str | None) -> list[Tile]:
    margin = share(row["margin"], 0)
    return [
        _tile("arpa_monthly", "ARPA, monthly", money(row["arpa_monthly"], currency)),
        _tile("monthly_churn", "Monthly churn", share(row["monthly_churn"])),
        _tile("lifetime_months", "Lifetime", _unit(row["lifetime_months"], "months", 1)),
        _tile("clv", "CLV", money(row["clv"], currency), f"at {margin} gross margin"),
    ]


def _experience_tiles(row: Mapping[str, Any], ttfv_asked: bool) -> list[Tile]:
    reached = (
        f"median; mean {_unit(row['ttfv_mean_days'], 'd')}; {row['ttfv_reached']} of "
        f"{row['ttfv_accounts']} new accounts reached it"
    )
    return [
        _survey_tile(row, "nps", number(row["nps"], 0)),
        _survey_tile(row, "csat", share(row["csat"], 0)),
        _survey_tile(row, "ces", number(row["ces"], 1)),
        _tile(
            "ttfv_median_days",
            "Time to first value",
            _unit(row["ttfv_median_days"], "days"),
            reached if ttfv_asked else "choose a first-value metric under More options",
        ),
    ]


def sections(row: Mapping[str, Any], currency: str | None, ttfv_asked: bool) -> list[Section]:
    """The KPI tiles of one kpi_report row, grouped the way a leader reads them."""
    return [
        Section("Logos", _logo_tiles(row)),
        Section("Revenue", _revenue_tiles(row, currency)),
        Section("Churn by kind of account", [_kind_tile(row, k) for k in KINDS]),
        Section("Customer lifetime value", _value_tiles(row, currency)),
        Section("Experience and onboarding", _experience_tiles(row, ttfv_asked)),
    ]


# --- ARR movements -------------------------------------------------------------------------

STEP_NAMES = {
    "start": "Start",
    "new": "New",
    "expansion": "Expansion",
    "reactivation": "Reactivation",
    "contraction": "Contraction",
    "churn": "Churn",
    "end": "End",
}


def group_movements(rows: Sequence[Mapping[str, Any]], group: str = "all") -> dict[str, Any]:
    """One group's movement rows of kpi_report, by movement name."""
    return {r["movement"]: r for r in rows if r["group"] == group}


def waterfall_steps(moves: Mapping[str, Mapping[str, Any]]) -> list[Step]:
    order = ["start", *MOVEMENTS, "end"]
    return [Step(STEP_NAMES[m], float(moves[m]["arr"]), total=m in ("start", "end")) for m in order]


@dataclass(frozen=True)
class Reconciliation:
    terms: list[tuple[str, Decimal]]  # (movement, signed amount)
    start: Decimal
    end: Decimal
    total: Decimal  # start + every movement

    @property
    def holds(self) -> bool:
        return self.total == self.end


def reconcile(moves: Mapping[str, Mapping[str, Any]]) -> Reconciliation:
    """Start + movements against the end, in the exact decimals the service returned."""
    start, end = Decimal(moves["start"]["arr"]), Decimal(moves["end"]["arr"])
    terms = [(m, Decimal(moves[m]["arr"])) for m in MOVEMENTS]
    return Reconciliation(terms, start, end, start + sum((t for _, t in terms), Decimal(0)))


# --- monthly trend -------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthPoint:
    day: date
    arr: Decimal
    grr_12m: float | None
    nrr_12m: float | None


def month_ends(period: Period, limit: int = TREND_MONTHS) -> list[date]:
    """Each month end in the period, and its last day, the latest `limit` of them."""
    days: list[date] = []
    day = add_months(period.start.replace(day=1), 1) - DAY
    while day < period.end:
        days.append(day)
        day = add_months(day + DAY, 1) - DAY
    days.append(period.end)
    return days[-limit:]


def monthly_trend(book: Book, period: Period) -> list[MonthPoint]:
    """ARR and the 12-month GRR / NRR at each month end: the same movements kpi_report cuts
    its `arr_end`, `grr_12m` and `nrr_12m` from, over one book loaded once."""
    points = []
    for day in month_ends(period):
        year = movements(book, add_months(day, -12) + DAY, day)
        points.append(MonthPoint(day, year.arr_end, year.grr, year.nrr))
    return points


def trend_series(points: Sequence[MonthPoint]) -> tuple[list[Series], list[Series]]:
    arr = [Series("ARR", [(p.day, float(p.arr)) for p in points], "s0")]
    rates = [
        Series("GRR, 12 months", [(p.day, p.grr_12m) for p in points], "s2"),
        Series("NRR, 12 months", [(p.day, p.nrr_12m) for p in points], "s0"),
    ]
    return arr, rates


# --- cohorts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortLine:
    cohort: str
    accounts: int
    arr_start: Decimal
    logo: list[float | None]  # retention after period 1, 2, ...
    revenue: list[float | None]


def cohort_grid(table: Sequence[CohortPeriod]) -> tuple[list[CohortLine], int]:
    """The cohort table as one line per cohort, and the most periods any cohort reached."""
    lines: dict[str, CohortLine] = {}
    for row in sorted(table, key=lambda r: (r.cohort, r.period)):
        line = lines.setdefault(
            row.cohort, CohortLine(row.cohort, row.accounts, row.arr_start, [], [])
        )
        if row.period:
            line.logo.append(row.logo_retention)
            line.revenue.append(row.revenue_retention)
    found = list(lines.values())
    return found, max((len(line.logo) for line in found), default=0)


def cohort_start(label: str) -> date:
    """The first day of a cohort named by cohorts.cohort_label ("2025", "2025-Q2", "2025-04")."""
    year, _, rest = label.partition("-")
    if not rest:
        return date(int(year), 1, 1)
    if rest.startswith("Q"):
        return date(int(year), 3 * (int(rest[1:]) - 1) + 1, 1)
    return date(int(year), int(rest), 1)


def forecast_series(
    survivors: Sequence[Mapping[str, Any]], period_months: int, limit: int = 6
) -> tuple[list[Series], list[tuple[str, str]]]:
    """Observed (solid) and projected (dashed) customers of the latest `limit` cohorts, each
    period placed at the cohort's first day plus that many periods; and the legend."""
    names = sorted({r["cohort"] for r in survivors})[-limit:]
    series: list[Series] = []
    legend: list[tuple[str, str]] = []
    for index, name in enumerate(names):
        start, css = cohort_start(name), f"s{index % 6}"
        rows = sorted((r for r in survivors if r["cohort"] == name), key=lambda r: r["period"])
        days = [add_months(start, r["period"] * period_months) for r in rows]
        observed = [
            (d, r["observed"]) for d, r in zip(days, rows, strict=True) if r["observed"] is not None
        ]
        projected = [(d, r["projected"]) for d, r in zip(days, rows, strict=True)]
        series += [
            Series(f"{name} observed", observed, css),
            Series(f"{name} projected", projected, f"{css} projected"),
        ]
        legend.append((name, css))
    return series, legend


def period_ticks(series: Sequence[Series], most: int = 8) -> list[date]:
    """The dates the forecast's points sit on (each cohort's start plus whole periods), at most
    `most` of them evenly picked, so the axis labels name days the chart plots."""
    days = sorted({d for s in series for d, _ in s.points})
    if len(days) <= most:
        return days
    step = (len(days) - 1) / (most - 1)
    return sorted({days[round(i * step)] for i in range(most)})
