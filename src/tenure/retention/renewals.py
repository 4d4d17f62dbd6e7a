"""Renewal forecast: ARR coming up for renewal in the next 90/180 days and the ARR expected
to stay, by band and CSM. Pure.

The expected share retained comes from history: each contract end in the year before the
as-of date is a past renewal, and the share of its ARR the account kept (capped at 100%, as
GRR) is its outcome. A band's rate is its past renewals' ARR kept over ARR up, when it has at
least `MIN_HISTORY` of them; otherwise the rate over all past renewals. The band is the
account's health band when health snapshots exist (read `lead_days` before each past renewal,
as the forecast reads today's), else its renewal band by months to renewal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tenure.kit.dates import whole_months_between
from tenure.retention.book_facts import ZERO, AccountRecord, Book
from tenure.retention.kpis import ratio

WINDOWS = (90, 180)
MIN_HISTORY = 5
HISTORY_DAYS = 365
# Renewal months bands: red 0-3, amber 4-6, green 7 and more.
RENEWAL_BANDS = ((3, "red"), (6, "amber"))

BandAt = Callable[[str, date], str | None]


def renewal_months(book: Book, account: str, as_of: date) -> int | None:
    """Whole months from as_of to the latest end date among the active contracts."""
    ends = [c.end_date for c in book.by_account.get(account, []) if c.is_active_on(as_of)]
    return whole_months_between(as_of, max(ends)) if ends else None


def renewal_band(months: int | None) -> str | None:
    if months is None:
        return None
    for limit, band in RENEWAL_BANDS:
        if months <= limit:
            return band
    return "green"


def renewal_band_at(book: Book) -> BandAt:
    def band(account: str, day: date) -> str | None:
        return renewal_band(renewal_months(book, account, day))

    return band


@dataclass(frozen=True)
class Renewal:
    account: str
    end_date: date
    arr_up: Decimal  # ARR of the contracts ending that day
    arr_kept: Decimal | None = None  # for past renewals: ARR the account kept, at most arr_up


def renewals_between(book: Book, after: date, until: date) -> list[Renewal]:
    """Contract ends in (after, until], one per account and end date, with what was kept.

    Kept = ARR active on the end date minus the ARR that was not up for renewal, within
    [0, up]: a renewal starting on the end date keeps the account's ARR (churn is
    dated on end_date), a gap of even a day counts as lost.
    """
    found: list[Renewal] = []
    for account, days in book.end_dates_between(after, until).items():
        contracts = book.by_account[account]
        for day in days:
            up = sum((c.arr for c in contracts if c.end_date == day and c.start_date < day), ZERO)
            before = book.account_arr_on(account, day - timedelta(days=1)) or ZERO
            on_day = book.account_arr_on(account, day) or ZERO
            kept = min(up, max(ZERO, on_day - (before - up)))
            found.append(Renewal(account, day, up, kept))
    return sorted(found, key=lambda r: (r.end_date, r.account))


@dataclass(frozen=True)
class BandRate:
    band: str | None
    renewals: int
    arr_up: Decimal
    arr_kept: Decimal

    @property
    def rate(self) -> float | None:
        return ratio(self.arr_kept, self.arr_up)


def band_rates(
    history: Sequence[Renewal], band_at: BandAt, lead_days: int
) -> tuple[dict[str | None, BandRate], BandRate]:
    """Past renewal rates by the band each account had `lead_days` before its renewal."""
    grouped: dict[str | None, list[Renewal]] = defaultdict(list)
    for renewal in history:
        if renewal.arr_up > 0:
            band = band_at(renewal.account, renewal.end_date - timedelta(days=lead_days))
            grouped[band].append(renewal)

    def rate(band: str | None, items: Sequence[Renewal]) -> BandRate:
        return BandRate(
            band,
            len(items),
            sum((r.arr_up for r in items), ZERO),
            sum((r.arr_kept or ZERO for r in items), ZERO),
        )

    overall = rate("all", [r for items in grouped.values() for r in items])
    return {band: rate(band, items) for band, items in grouped.items()}, overall


@dataclass(frozen=True)
class RenewalForecast:
    renewals: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    rates: list[dict[str, Any]]


def forecast_renewals(
    book: Book,
    accounts: Mapping[str, AccountRecord],
    as_of: date,
    band_at: BandAt | None = None,
    band_source: str = "renewal",
    windows: Sequence[int] = WINDOWS,
) -> RenewalForecast:
    """ARR renewing within each window after as_of and the ARR expected to stay."""
    band_at = band_at or renewal_band_at(book)
    horizon = max(windows)
    history = renewals_between(book, as_of - timedelta(days=HISTORY_DAYS), as_of)
    by_band, overall = band_rates(history, band_at, lead_days=horizon // 2)
    upcoming = renewals_between(book, as_of, as_of + timedelta(days=horizon))
    detail: list[dict[str, Any]] = []
    totals: dict[tuple[str | None, str | None], dict[str, Any]] = {}
    for renewal in upcoming:
        if renewal.arr_up <= 0:
            continue
        band = band_at(renewal.account, as_of)
        measured = by_band.get(band)
        used = measured if measured and measured.renewals >= MIN_HISTORY else overall
        rate = used.rate
        account = accounts.get(renewal.account)
        csm = account.csm_email if account else None
        days = (renewal.end_date - as_of).days
        expected = None if rate is None else renewal.arr_up * Decimal(str(rate))
        detail.append(
            {
                "account_external_id": renewal.account,
                "csm_email": csm,
                "band": band,
                "renewal_date": renewal.end_date,
                "days": days,
                "arr": renewal.arr_up,
                "expected_rate": rate,
                "rate_from": "band" if used is measured else "all",
                "expected_arr": expected,
            }
        )
        total = totals.setdefault(
            (band, csm),
            {"band": band, "csm_email": csm}
            | {f"{k}_{w}d": ZERO for w in windows for k in ("arr_renewing", "expected_arr")}
            | {f"accounts_{w}d": 0 for w in windows},
        )
        for window in windows:
            if days <= window:
                total[f"arr_renewing_{window}d"] += renewal.arr_up
                total[f"accounts_{window}d"] += 1
                if expected is not None:
                    total[f"expected_arr_{window}d"] += expected
    rates = [
        {
            "band": r.band,
            "band_source": band_source,
            "past_renewals": r.renewals,
            "arr_up": r.arr_up,
            "arr_kept": r.arr_kept,
            "rate": r.rate,
        }
        for r in [*sorted(by_band.values(), key=_band_order), overall]
    ]
    summary = sorted(totals.values(), key=lambda t: (_band_rank(t["band"]), t["csm_email"] or ""))
    return RenewalForecast(detail, summary, rates)


def _band_rank(band: str | None) -> int:
    return {"red": 0, "amber": 1, "green": 2}.get(band or "", 3)


def _band_order(rate: BandRate) -> int:
    return _band_rank(rate.band)
