"""Health: scorecards in the app database, scoring a day into warehouse snapshots, the
dashboard and "why". The public face the CLI, the API, the pages and other domains import;
each idea lives in its own module."""

from __future__ import annotations

from tenure.health.account_info import AccountInfo, eligible_accounts, load_accounts
from tenure.health.computing import (
    SNAPSHOTS_FOLDER,
    WRITE_EVERY_DAYS,
    ComputeResult,
    Trend,
    compute,
    day_trends,
    ensure_day,
    refresh_latest,
    score_day,
    snapshot_store,
)
from tenure.health.dashboard import (
    Dashboard,
    HealthRow,
    StoredHealth,
    dashboard,
    latest_health,
    renewal_band,
    stored_health,
    stored_rows,
)
from tenure.health.explain import describe_change, standing, summary, whole
from tenure.health.scorecard_store import (
    DEFAULT_FILE,
    LoadOutcome,
    ScorecardVersions,
    all_scorecards,
    current_scorecards,
    ensure_default_scorecard,
    get_scorecard,
    known_metrics,
    load_scorecard,
)
from tenure.health.scorecards import Bands
from tenure.health.scorecards import Scorecard as ScorecardDefinition
from tenure.health.scorecards import Trend as TrendRule
from tenure.health.snapshots import Snapshot, snapshots
from tenure.health.views import health_read
from tenure.health.why import Why, why

__all__ = [
    "AccountInfo",
    "Bands",
    "ComputeResult",
    "DEFAULT_FILE",
    "Dashboard",
    "HealthRow",
    "LoadOutcome",
    "SNAPSHOTS_FOLDER",
    "ScorecardDefinition",
    "ScorecardVersions",
    "Snapshot",
    "StoredHealth",
    "Trend",
    "TrendRule",
    "WRITE_EVERY_DAYS",
    "Why",
    "all_scorecards",
    "compute",
    "current_scorecards",
    "dashboard",
    "day_trends",
    "describe_change",
    "eligible_accounts",
    "ensure_day",
    "ensure_default_scorecard",
    "get_scorecard",
    "health_read",
    "known_metrics",
    "latest_health",
    "load_accounts",
    "load_scorecard",
    "refresh_latest",
    "renewal_band",
    "score_day",
    "snapshot_store",
    "snapshots",
    "standing",
    "stored_health",
    "stored_rows",
    "summary",
    "whole",
    "why",
]
