"""Renewals: what renews in the next 90 or 180 days, the ARR at stake by band, and the risk."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from tenure.kit.charts import bar_chart
from tenure.models import Account, AccountHealth, Role
from tenure.retention import service as retention
from tenure.web.deps import DbDep, IdentityDep, settings_of, today, warehouse_of
from tenure.web.routing import WebRoute
from tenure.web.templating import render, short_money

router = APIRouter(route_class=WebRoute, include_in_schema=False)

WINDOWS = (90, 180)
BAND_ORDER = ("red", "amber", "green", None)


@dataclass
class CsmRenewals:
    csm_email: str | None
    renewals: int = 0
    arr: Decimal = Decimal(0)
    expected: Decimal = Decimal(0)
    by_band: dict[str | None, Decimal] = field(default_factory=lambda: defaultdict(Decimal))


def by_csm(summary: list[dict[str, Any]], days: int, csm: str) -> list[CsmRenewals]:
    """Each CSM's ARR renewing within the window and the ARR expected to stay, summed from
    the forecast's own (band, CSM) totals; biggest book of renewals first."""
    lines: dict[str | None, CsmRenewals] = {}
    for total in summary:
        if csm != "all" and total["csm_email"] != csm:
            continue
        line = lines.setdefault(total["csm_email"], CsmRenewals(total["csm_email"]))
        line.renewals += total[f"accounts_{days}d"]
        line.arr += total[f"arr_renewing_{days}d"]
        line.expected += total[f"expected_arr_{days}d"]
        line.by_band[total["band"]] += total[f"arr_renewing_{days}d"]
    return sorted(
        (x for x in lines.values() if x.renewals), key=lambda x: (-x.arr, x.csm_email or "")
    )


@router.get("/renewals")
def renewals_page(
    request: Request,
    db: DbDep,
    identity: IdentityDep,
    days: Annotated[int, Query()] = 90,
    csm: Annotated[str | None, Query(max_length=320)] = None,
) -> Response:
    if days not in WINDOWS:
        days = WINDOWS[0]
    user = identity.user
    if not csm:
        csm = user.email if user.role is Role.csm else "all"
    as_of = today()
    band_at, source = retention.health_bands(warehouse_of(request), as_of)
    forecast, currency = retention.renewals(db, settings_of(request), as_of, band_at, source)
    rows = [
        r
        for r in forecast.renewals
        if r["days"] <= days and (csm == "all" or r["csm_email"] == csm)
    ]
    ids = sorted({r["account_external_id"] for r in rows})
    names: dict[str, tuple[str, int | None, str | None]] = {}
    for chunk in range(0, len(ids), 500):
        for external_id, name, health, band in db.execute(
            select(Account.external_id, Account.name, AccountHealth.health, AccountHealth.band)
            .outerjoin(AccountHealth, AccountHealth.account_id == Account.id)
            .where(Account.external_id.in_(ids[chunk : chunk + 500]))
        ):
            names[external_id] = (name, health, band)
    at_stake: dict[str | None, Decimal] = defaultdict(Decimal)
    expected: dict[str | None, Decimal] = defaultdict(Decimal)
    for r in rows:
        at_stake[r["band"]] += r["arr"]
        expected[r["band"]] += r["expected_arr"] or Decimal(0)
    bands = [b for b in BAND_ORDER if b in at_stake]
    chart = bar_chart(
        [((b or "no band").capitalize(), float(at_stake[b]), b or "none") for b in bands],
        f"ARR renewing in the next {days} days by band",
        label=lambda v: short_money(v, currency),
    )
    total = sum(at_stake.values(), Decimal(0))
    context: dict[str, Any] = {
        "rows": rows,
        "names": names,
        "days": days,
        "windows": WINDOWS,
        "csm": csm,
        "csms": sorted({r["csm_email"] for r in forecast.renewals if r["csm_email"]}),
        "currency": currency,
        "source": source,
        "bands": bands,
        "at_stake": at_stake,
        "expected": expected,
        "total": total,
        "total_expected": sum(expected.values(), Decimal(0)),
        "chart": chart,
        "rates": forecast.rates,
        "as_of": as_of,
        "csm_lines": by_csm(forecast.summary, days, csm),
    }
    return render(request, "renewals.html", context)
