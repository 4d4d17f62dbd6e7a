"""Scoring a day into warehouse snapshots: one day, a range of days (backfill), the trend
against a trend window back, and the latest health kept in the app database. Never commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby

import numpy as np
import pyarrow as pa
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from tenure.health.account_info import AccountInfo, eligible_accounts, load_accounts
from tenure.health.book_scoring import score_book, unscored
from tenure.health.explain import whole
from tenure.health.inputs import Needed, measure_values
from tenure.health.scorecard_store import (
    ScorecardVersions,
    current_scorecards,
)
from tenure.health.scorecards import (
    Scorecard,
    pick,
)
from tenure.health.scoring import (
    TREND_NAMES,
    names,
    trends,
)
from tenure.health.snapshots import Snapshot, SnapshotStore, snapshots, summaries
from tenure.kit.dates import utc_now
from tenure.kit.errors import TenureError
from tenure.models import (
    AccountHealth,
)
from tenure.models import Scorecard as ScorecardRow
from tenure.warehouse import Warehouse

SNAPSHOTS_FOLDER = "health_snapshots"
# Days of snapshots written to the warehouse at once during a backfill.
WRITE_EVERY_DAYS = 31


def snapshot_store(warehouse: Warehouse) -> SnapshotStore:
    return SnapshotStore(warehouse.root / SNAPSHOTS_FOLDER)


# -- scoring a day ---------------------------------------------------------------------------


def score_day(
    session: Session,
    warehouse: Warehouse,
    day: date,
    accounts: Sequence[AccountInfo] | None = None,
) -> pa.Table:
    """Snapshot rows of every account that was a customer on `day`, scored by the current
    version of the scorecard its rule picks."""
    if accounts is None:
        accounts = load_accounts(session)
    accounts = eligible_accounts(session, accounts, day)
    rows = current_scorecards(session)
    cards = {row.name: (row, Scorecard.from_dict(row.definition)) for row in rows}
    choice: dict[tuple[str, str | None, str | None], str | None] = {}
    members: dict[str | None, list[AccountInfo]] = defaultdict(list)
    for account in accounts:
        key = (account.tier, account.segment, account.lifecycle_stage)
        if key not in choice:
            chosen = pick([c for _, c in cards.values()], *key)
            choice[key] = chosen.name if chosen else None
        members[choice[key]].append(account)
    needed: Needed = {
        (m.metric, m.window_days)
        for name in members
        if name is not None
        for _, m in cards[name][1].measures
    }
    inputs = measure_values(session, warehouse, day, needed)
    tables = []
    for name, group in sorted(members.items(), key=lambda item: item[0] or ""):
        ids = [a.external_id for a in group]
        if name is None:
            tables.append(unscored(day, ids))
            continue
        row, card = cards[name]
        keys = pa.array(ids, pa.string())
        values = np.full((len(ids), len(card.measures)), np.nan)
        for j, (_, measure) in enumerate(card.measures):
            found = inputs.get((measure.metric, measure.window_days))
            if found is not None:
                values[:, j] = found.aligned(keys)
        segments = [a.segment for a in group]
        tables.append(score_book(day, card, row.version, ids, segments, values))
    if not tables:
        return unscored(day, [])
    return pa.concat_tables(tables).sort_by("account_external_id")


@dataclass
class ComputeResult:
    days: int = 0
    snapshots: int = 0
    bands: dict[str, int] = field(default_factory=dict)


def compute(
    session: Session,
    warehouse: Warehouse,
    start: date,
    end: date,
    progress: Callable[[date], None] | None = None,
) -> ComputeResult:
    """Score every day from `start` to `end` (inclusive) and store the snapshots, replacing
    those days' earlier ones; then refresh each account's latest health."""
    if end < start:
        raise TenureError(f"--to {end} is before --from {start}")
    store = snapshot_store(warehouse)
    accounts = load_accounts(session)
    result = ComputeResult()
    pending: list[pa.Table] = []
    last: pa.Table | None = None
    day = start
    while day <= end:
        table = score_day(session, warehouse, day, accounts)
        pending.append(table)
        last = table
        result.days += 1
        result.snapshots += table.num_rows
        if len(pending) >= WRITE_EVERY_DAYS:
            store.write(pa.concat_tables(pending))
            pending = []
        if progress:
            progress(day)
        day += timedelta(days=1)
    if pending:
        store.write(pa.concat_tables(pending))
    if last is not None:
        for band in last.column("band").to_pylist():
            result.bands[band or "no score"] = result.bands.get(band or "no score", 0) + 1
        refresh_latest(session, warehouse, end, summaries(last), accounts)
    return result


def ensure_day(
    session: Session,
    warehouse: Warehouse,
    day: date,
    accounts: Sequence[AccountInfo],
    with_trend: bool = True,
) -> int:
    """Compute `day` when any of `accounts` that was a customer then has no snapshot of it;
    store only the missing ones (a snapshot once made is kept), with the trend's earlier day
    unless `with_trend` is false. Returns how many snapshots it stored."""
    store = snapshot_store(warehouse)
    wanted = {a.external_id for a in eligible_accounts(session, accounts, day)}
    missing = wanted - store.accounts_on(day)
    if not missing:
        return 0
    # The whole book is scored so percentile ranks see every account, not only the missing.
    table = score_day(session, warehouse, day)
    mask = pa.array([a in missing for a in table.column("account_external_id").to_pylist()])
    table = table.filter(mask)
    store.write(table)
    written = summaries(table)
    stored = int(table.num_rows)
    trend = None
    if with_trend:
        trend, earlier = day_trends(
            session, warehouse, day, written, ScorecardVersions(session), accounts
        )
        stored += earlier
    refresh_latest(session, warehouse, day, written, accounts, trend)
    return stored


# -- trend and the latest health --------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    name: str | None
    earlier: Snapshot | None


def day_trends(
    session: Session,
    warehouse: Warehouse,
    day: date,
    now: Sequence[Snapshot],
    definitions: ScorecardVersions,
    accounts: Sequence[AccountInfo] | None = None,
) -> tuple[dict[str, Trend], int]:
    """Each snapshot's trend: its exact score minus that of the account's latest snapshot on
    or before the scorecard's trend window ago (computed first when `accounts` is given and
    that day is missing)."""
    store = snapshot_store(warehouse)
    out: dict[str, Trend] = {}
    computed = 0

    def rule(s: Snapshot) -> tuple[int, float]:
        card = definitions.get(s.scorecard, s.scorecard_version)
        return (card.trend.window_days, card.trend.threshold) if card else (0, 0.0)

    for (window, threshold), group_iter in groupby(sorted(now, key=rule), key=rule):
        group = list(group_iter)
        if window == 0:
            out.update({s.account_external_id: Trend(None, None) for s in group})
            continue
        earlier_day = day - timedelta(days=window)
        ids = [s.account_external_id for s in group]
        if accounts is not None:
            wanted = set(ids)
            computed += ensure_day(
                session,
                warehouse,
                earlier_day,
                [a for a in accounts if a.external_id in wanted],
                with_trend=False,
            )
        found = store.latest(earlier_day, ids, detail=False)
        earlier = {s.account_external_id: s for s in snapshots(found)}
        exact_now = np.array([_nan(s.health_exact) for s in group])
        exact_before = np.array(
            [_nan(earlier[i].health_exact) if i in earlier else np.nan for i in ids]
        )
        codes = names(trends(exact_now, exact_before, threshold), TREND_NAMES)
        out.update({i: Trend(t, earlier.get(i)) for i, t in zip(ids, codes, strict=True)})
    return out, computed


def _nan(value: float | None) -> float:
    return np.nan if value is None else value


def refresh_latest(
    session: Session,
    warehouse: Warehouse,
    day: date,
    day_snapshots: Sequence[Snapshot],
    accounts: Sequence[AccountInfo],
    trend: dict[str, Trend] | None = None,
) -> None:
    """Keep each account's most recent snapshot (with its trend) in the app database."""
    if trend is None:
        trend, _ = day_trends(session, warehouse, day, day_snapshots, ScorecardVersions(session))
    ids = {a.external_id: a.id for a in accounts}
    # One row per account at most: reading them all beats a parameter per account.
    query = select(AccountHealth.account_id, AccountHealth.date)
    held: dict[int, date] = dict(session.execute(query).tuples().all())
    versions = {(r.name, r.version): r.id for r in session.scalars(select(ScorecardRow))}
    now = utc_now()
    inserts: list[dict[str, object]] = []
    updates: list[dict[str, object]] = []
    for snap in day_snapshots:
        account_id = ids.get(snap.account_external_id)
        if account_id is None or (account_id in held and held[account_id] > day):
            continue
        values = {
            "account_id": account_id,
            "date": day,
            "scorecard_id": versions.get((snap.scorecard or "", snap.scorecard_version or 0)),
            "health": snap.health,
            "health_exact": snap.health_exact,
            "band": snap.band,
            "trend": trend[snap.account_external_id].name,
            "components": {c.key: whole(c.score) for c in snap.components},
            "computed_at": now,
        }
        (updates if account_id in held else inserts).append(values)
    if inserts:
        session.execute(insert(AccountHealth), inserts)
    if updates:
        session.execute(update(AccountHealth), updates)
