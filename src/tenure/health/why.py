"""Why an account scores what it does: its snapshot, the one before, the trend and what
moved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from tenure.health.account_info import AccountInfo, load_accounts
from tenure.health.computing import (
    Trend,
    day_trends,
    ensure_day,
    snapshot_store,
)
from tenure.health.explain import standing, summary
from tenure.health.scorecard_store import (
    ScorecardVersions,
)
from tenure.health.scorecards import (
    Scorecard,
)
from tenure.health.snapshots import Snapshot, SnapshotStore, snapshots
from tenure.kit.errors import NotFound, TenureError
from tenure.warehouse import Warehouse

# -- why ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Why:
    account: AccountInfo
    now: Snapshot | None
    previous: Snapshot | None
    trend: Trend
    summary: str


def why(session: Session, warehouse: Warehouse, external_id: str, as_of: date) -> Why:
    """An account's score as of a day: each component's and measure's contribution, and what
    moved since the previous snapshot."""
    accounts = load_accounts(session, external_id=external_id)
    if not accounts:
        raise NotFound(f"no account with external_id {external_id!r}")
    account = accounts[0]
    ensure_day(session, warehouse, as_of, accounts)
    store = snapshot_store(warehouse)
    found = snapshots(store.on_day(as_of, [external_id]))
    if not found:
        since = account.customer_since
        reason = (
            f"a customer only since {since}"
            if since is not None and since > as_of
            else "not a client that day: its contracts had ended (churned)"
        )
        raise TenureError(f"{external_id}: no health on {as_of}: {reason}", status=404)
    now = found[0]
    definitions = ScorecardVersions(session)
    trend = day_trends(session, warehouse, as_of, [now], definitions, accounts)[0][external_id]
    before = snapshots(store.latest(as_of, [external_id], before=True))
    previous = before[0] if before else None
    # What moved is told against the snapshot the trend arrow compares with, so the two
    # never disagree; without one a trend window back, the client is new to the history.
    card = definitions.get(now.scorecard, now.scorecard_version)
    moved = _moved(store, now, previous, trend, card)
    if now.health is None:
        return Why(account, now, previous, trend, moved)
    red, amber = (card.bands.red, card.bands.amber) if card else (50.0, 74.0)
    return Why(account, now, previous, trend, f"{standing(now, red, amber)}. What moved: {moved}")


def _moved(
    store: SnapshotStore,
    now: Snapshot,
    previous: Snapshot | None,
    trend: Trend,
    card: Scorecard | None,
) -> str:
    """What moved, told against the snapshot the trend arrow compares with (so the two never
    disagree); a client whose history does not reach a trend window back is new; with no
    trend to agree with, against the previous snapshot."""
    if trend.earlier is not None and trend.earlier.health_exact is not None:
        # The trend read it without components and measures: read it whole.
        whole_earlier = snapshots(store.on_day(trend.earlier.date, [now.account_external_id]))
        earlier = whole_earlier[0] if whole_earlier else trend.earlier
        return summary(now, earlier, trend.name)
    if trend.earlier is None and card is not None and card.trend.window_days and previous:
        first = snapshots(store.history(now.account_external_id, None, now.date))
        return summary(now, None, None, first[0].date.isoformat() if first else None)
    return summary(now, previous)
