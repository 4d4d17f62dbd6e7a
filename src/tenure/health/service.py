"""Health: scorecards in the app database, scoring a day into warehouse snapshots, the
dashboard and "why". Loads data, calls the pure core, stores results; never commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby

import numpy as np
import pyarrow as pa
from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tenure.config import Settings
from tenure.health import derived
from tenure.health.book_scoring import score_book, unscored
from tenure.health.explain import standing, summary, whole
from tenure.health.inputs import Needed, measure_values
from tenure.health.scorecards import (
    Bands,
    Scorecard,
    default_source,
    parse_scorecard,
    pick,
    unknown_metrics,
)
from tenure.health.scorecards import Trend as TrendRule
from tenure.health.scoring import (
    TREND_NAMES,
    names,
    trends,
)
from tenure.health.snapshots import Snapshot, SnapshotStore, snapshots, summaries
from tenure.kit.contracts import contract_facts
from tenure.kit.dates import utc_now, years_between
from tenure.kit.errors import NotFound, TenureError
from tenure.models import (
    Account,
    AccountHealth,
    Contract,
    User,
)
from tenure.models import Scorecard as ScorecardRow
from tenure.users.service import unknown_user
from tenure.warehouse import Warehouse

SNAPSHOTS_FOLDER = "health_snapshots"
DEFAULT_FILE = "enterprise.toml (shipped with Tenure)"
# Days of snapshots written to the warehouse at once during a backfill.
WRITE_EVERY_DAYS = 31


def snapshot_store(warehouse: Warehouse) -> SnapshotStore:
    return SnapshotStore(warehouse.root / SNAPSHOTS_FOLDER)


# -- scorecards ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadOutcome:
    row: ScorecardRow
    created: bool
    notes: list[str]
    warnings: list[str]


def known_metrics(warehouse: Warehouse, settings: Settings) -> tuple[set[str], list[str]]:
    """Metric names something provides (the derived measures, the metrics series, the usage
    catalogue), and why any of them could not be asked."""
    from tenure.usage.service import catalogue_for

    names = {*derived.DERIVED, *warehouse.metrics.metric_names()}
    try:
        names.update(catalogue_for(settings).names())
    except TenureError as error:
        return names, [f"usage metric catalogue not read: {error.message}"]
    return names, []


def load_scorecard(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    text: str,
    file: str,
    loaded_by: str | None = None,
) -> LoadOutcome:
    """Check a scorecard and store it: version 1 under a new name, the next version under an
    existing one; the same definition as the latest version stores nothing."""
    loaded = parse_scorecard(text, file)
    card = loaded.scorecard
    # The shipped scorecard is there from the start: loading "enterprise" makes version 2.
    ensure_default_scorecard(session)
    latest = _latest_row(session, card.name)
    known, warnings = known_metrics(warehouse, settings)
    warnings += [
        f"metric {m!r}: nothing provides it yet (not a derived measure, not in the usage "
        "catalogue, no values in the metrics series); its measure has no data until it does"
        for m in unknown_metrics(card, known)
    ]
    if latest is not None and Scorecard.from_dict(latest.definition) == card:
        return LoadOutcome(latest, False, loaded.notes, warnings)
    row = ScorecardRow(
        name=card.name,
        version=(latest.version + 1) if latest else 1,
        definition=card.to_dict(),
        source=text,
        source_file=file,
        loaded_by=loaded_by,
    )
    session.add(row)
    session.flush()
    return LoadOutcome(row, True, loaded.notes, warnings)


def ensure_default_scorecard(session: Session) -> None:
    """With no scorecard at all, store the shipped enterprise one, so scores exist from day
    one and snapshots can name the version that made them."""
    if session.scalar(select(func.count()).select_from(ScorecardRow)):
        return
    card = parse_scorecard(default_source(), DEFAULT_FILE).scorecard
    # Two first requests may both find none (measured under load on a fresh install): the
    # second insert is a no-op instead of a unique-key error answered as a 500.
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgres_insert
    session.execute(
        insert(ScorecardRow)
        .values(
            name=card.name,
            version=1,
            definition=card.to_dict(),
            source=default_source(),
            source_file=DEFAULT_FILE,
        )
        .on_conflict_do_nothing(index_elements=["name", "version"])
    )
    session.flush()


def _latest_row(session: Session, name: str) -> ScorecardRow | None:
    return session.scalar(
        select(ScorecardRow)
        .where(ScorecardRow.name == name)
        .order_by(ScorecardRow.version.desc())
        .limit(1)
    )


def current_scorecards(session: Session) -> list[ScorecardRow]:
    """The latest version of every scorecard, by name."""
    ensure_default_scorecard(session)
    newest = (
        select(ScorecardRow.name, func.max(ScorecardRow.version).label("version"))
        .group_by(ScorecardRow.name)
        .subquery()
    )
    query = (
        select(ScorecardRow)
        .join(
            newest,
            (ScorecardRow.name == newest.c.name) & (ScorecardRow.version == newest.c.version),
        )
        .order_by(ScorecardRow.name)
    )
    return list(session.scalars(query))


def all_scorecards(session: Session) -> list[ScorecardRow]:
    ensure_default_scorecard(session)
    query = select(ScorecardRow).order_by(ScorecardRow.name, ScorecardRow.version)
    return list(session.scalars(query))


def get_scorecard(session: Session, name: str, version: int | None = None) -> ScorecardRow:
    ensure_default_scorecard(session)
    if version is None:
        row = _latest_row(session, name)
    else:
        row = session.scalar(
            select(ScorecardRow).where(ScorecardRow.name == name, ScorecardRow.version == version)
        )
    if row is None:
        shown = name if version is None else f"{name} version {version}"
        raise NotFound(f"no scorecard {shown!r} (see `tenure scorecard list`)")
    return row


class _Definitions:
    """Scorecard versions by (name, version), read once per call."""

    def __init__(self, session: Session):
        self.session = session
        self.cache: dict[tuple[str, int], Scorecard] = {}

    def get(self, name: str | None, version: int | None) -> Scorecard | None:
        if name is None or version is None:
            return None
        key = (name, version)
        if key not in self.cache:
            row = self.session.scalar(
                select(ScorecardRow).where(
                    ScorecardRow.name == name, ScorecardRow.version == version
                )
            )
            if row is None:
                return None
            self.cache[key] = Scorecard.from_dict(row.definition)
        return self.cache[key]


# -- accounts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountInfo:
    id: int
    external_id: str
    name: str
    tier: str
    segment: str | None
    lifecycle_stage: str | None
    customer_since: date | None
    csm_email: str | None


def _accounts(
    session: Session, csm: str | None = None, external_id: str | None = None
) -> list[AccountInfo]:
    query = select(
        Account.id,
        Account.external_id,
        Account.name,
        Account.tier,
        Account.segment,
        Account.lifecycle_stage,
        Account.customer_since,
        User.email,
    ).outerjoin(User, Account.owner_id == User.id)
    if csm is not None:
        if session.scalar(select(User.id).where(User.email == csm.lower())) is None:
            raise unknown_user(session, csm)
        query = query.where(User.email == csm.lower())
    if external_id is not None:
        query = query.where(Account.external_id == external_id)
    query = query.order_by(Account.external_id)
    return [
        AccountInfo(i, e, n, t.value, s, stage, since, email)
        for i, e, n, t, s, stage, since, email in session.execute(query)
    ]


def _eligible(session: Session, accounts: Iterable[AccountInfo], day: date) -> list[AccountInfo]:
    """Accounts that were clients on `day`: started by then (no start date known counts as
    always), and not churned: an account whose contract ended by `day` with none active that
    day has churned (churn is dated on end_date) and is not scored while it stays so. An
    account without contracts (a free-tier client) is scored all along."""
    ended = set(
        session.scalars(select(Contract.account_id).where(Contract.end_date <= day).distinct())
    )
    active = set(
        session.scalars(select(Contract.account_id).where(Contract.active_on(day)).distinct())
    )
    return [
        a
        for a in accounts
        if (a.customer_since is None or a.customer_since <= day)
        and (a.id not in ended or a.id in active)
    ]


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
        accounts = _accounts(session)
    accounts = _eligible(session, accounts, day)
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
    accounts = _accounts(session)
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
    wanted = {a.external_id for a in _eligible(session, accounts, day)}
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
        trend, earlier = _trends(session, warehouse, day, written, _Definitions(session), accounts)
        stored += earlier
    refresh_latest(session, warehouse, day, written, accounts, trend)
    return stored


# -- trend and the latest health --------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    name: str | None
    earlier: Snapshot | None


def _trends(
    session: Session,
    warehouse: Warehouse,
    day: date,
    now: Sequence[Snapshot],
    definitions: _Definitions,
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
        trend, _ = _trends(session, warehouse, day, day_snapshots, _Definitions(session))
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


# -- looking at it -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HealthRow:
    """One account on the dashboard (the JSON record of `tenure health`)."""

    external_id: str
    name: str
    csm_email: str | None
    health: int | None
    health_exact: float | None
    band: str | None
    trend: str | None
    renewal_months: int | None
    renewal_band: str | None
    arr: float | None
    years: float | None
    components: dict[str, int | None]


@dataclass
class Dashboard:
    rows: list[HealthRow]
    computed: int = 0  # snapshots computed because they were missing
    warnings: list[str] = field(default_factory=list)


def dashboard(
    session: Session,
    warehouse: Warehouse,
    settings: Settings,
    as_of: date,
    csm: str | None = None,
    external_id: str | None = None,
) -> Dashboard:
    """Every account (or one CSM's) with its health as of a day, computing the snapshots it
    needs that are missing: the day's, and the trend's earlier day's."""
    accounts = _accounts(session, csm=csm, external_id=external_id)
    if external_id is not None and not accounts:
        raise NotFound(f"no account with external_id {external_id!r}")
    if external_id is None:
        accounts = _eligible(session, accounts, as_of)  # the book: clients on the day
    computed = ensure_day(session, warehouse, as_of, accounts)
    store = snapshot_store(warehouse)
    ids = [a.external_id for a in accounts]
    now = {s.account_external_id: s for s in snapshots(store.on_day(as_of, ids, detail=False))}
    definitions = _Definitions(session)
    trend, earlier = _trends(session, warehouse, as_of, list(now.values()), definitions, accounts)
    # Contracts active on the day, all of them: one parameter per account would not scale.
    contracts: dict[int, list[Contract]] = defaultdict(list)
    for contract in session.scalars(select(Contract).where(Contract.active_on(as_of))):
        contracts[contract.account_id].append(contract)
    board = Dashboard(rows=[], computed=computed + earlier)
    for account in accounts:
        snap = now.get(account.external_id)
        card = definitions.get(snap.scorecard, snap.scorecard_version) if snap else None
        try:
            facts = contract_facts(contracts[account.id], as_of, settings)
            arr = float(facts.arr) if facts.arr is not None else None
            months = facts.renewal_months
        except TenureError as error:
            board.warnings.append(f"{account.external_id}: ARR left out: {error.message}")
            arr, months = None, None
        renewal = card.renewal_bands if card else Bands(3, 6)
        board.rows.append(
            HealthRow(
                external_id=account.external_id,
                name=account.name,
                csm_email=account.csm_email,
                health=snap.health if snap else None,
                health_exact=_shown_exact(snap.health_exact) if snap else None,
                band=snap.band if snap else None,
                trend=trend[account.external_id].name if snap else None,
                renewal_months=months,
                renewal_band=renewal_band(months, renewal),
                arr=arr,
                years=_years(account.customer_since, as_of),
                components={c.key: whole(c.score) for c in snap.components} if snap else {},
            )
        )
    board.rows.sort(key=_risk_order)
    return board


def stored_rows(
    session: Session, settings: Settings, as_of: date, account_ids: Sequence[int]
) -> tuple[list[HealthRow], list[str]]:
    """Dashboard rows of these accounts from their latest stored health (`account_health`, as
    `tenure health compute` / `tenure daily` left it), with ARR and renewal as of `as_of`, and
    the warnings: for pages, which answer without scoring a day that was never computed."""
    found = session.execute(
        select(Account, User.email, AccountHealth, ScorecardRow.definition)
        .outerjoin(User, Account.owner_id == User.id)
        .outerjoin(AccountHealth, AccountHealth.account_id == Account.id)
        .outerjoin(ScorecardRow, AccountHealth.scorecard_id == ScorecardRow.id)
        .where(Account.id.in_(list(account_ids)))
        .order_by(Account.external_id)
    ).all()
    contracts: dict[int, list[Contract]] = defaultdict(list)
    for contract in session.scalars(
        select(Contract).where(
            Contract.account_id.in_(list(account_ids)),
            Contract.active_on(as_of),
        )
    ):
        contracts[contract.account_id].append(contract)
    rows, warnings = [], []
    bands: dict[int, Bands] = {}  # renewal bands by scorecard version, parsed once
    for account, email, stored, definition in found:
        try:
            facts = contract_facts(contracts[account.id], as_of, settings)
            arr = float(facts.arr) if facts.arr is not None else None
            months = facts.renewal_months
        except TenureError as error:
            warnings.append(f"{account.external_id}: ARR left out: {error.message}")
            arr, months = None, None
        renewal = Bands(3, 6)
        if definition and stored and stored.scorecard_id is not None:
            if stored.scorecard_id not in bands:
                bands[stored.scorecard_id] = Scorecard.from_dict(definition).renewal_bands
            renewal = bands[stored.scorecard_id]
        rows.append(
            HealthRow(
                external_id=account.external_id,
                name=account.name,
                csm_email=email,
                health=stored.health if stored else None,
                health_exact=_shown_exact(stored.health_exact) if stored else None,
                band=stored.band if stored else None,
                trend=stored.trend if stored else None,
                renewal_months=months,
                renewal_band=renewal_band(months, renewal),
                arr=arr,
                years=_years(account.customer_since, as_of),
                components=dict(stored.components) if stored else {},
            )
        )
    return rows, warnings


def _risk_order(row: HealthRow) -> tuple[int, float, str]:
    """Red first, then amber, green, unscored; lowest score first; then by name."""
    rank = {"red": 0, "amber": 1, "green": 2}.get(row.band or "", 3)
    return (rank, row.health_exact if row.health_exact is not None else 0.0, row.name)


def renewal_band(months: int | None, limits: Bands) -> str | None:
    """One account's renewal band (`scoring.renewal_bands` does many at once)."""
    if months is None:
        return None
    return "red" if months <= limits.red else "amber" if months <= limits.amber else "green"


def _shown_exact(value: float | None) -> float | None:
    # Full precision is kept in the snapshot; 6 decimals hide float noise (74.49999999999999).
    return None if value is None else round(value, 6)


def _years(since: date | None, as_of: date) -> float | None:
    if since is None or since > as_of:
        return None
    return round(years_between(since, as_of), 1)


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
    accounts = _accounts(session, external_id=external_id)
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
    definitions = _Definitions(session)
    trend = _trends(session, warehouse, as_of, [now], definitions, accounts)[0][external_id]
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


def latest_health(
    session: Session, external_ids: Sequence[str] | None = None
) -> list[AccountHealth]:
    """Accounts' latest stored health (for pages listing many accounts)."""
    query = select(AccountHealth).join(Account, AccountHealth.account_id == Account.id)
    if external_ids is not None:
        query = query.where(Account.external_id.in_(list(external_ids)))
    return list(session.scalars(query))


@dataclass(frozen=True)
class StoredHealth:
    row: AccountHealth | None
    bands: Bands
    renewal_bands: Bands
    trend: TrendRule = TrendRule()


def stored_health(session: Session, account: Account) -> StoredHealth:
    """The account's latest stored health and the bands of the scorecard that scored it."""
    row = session.get(AccountHealth, account.id)
    card = None
    if row is not None and row.scorecard_id is not None:
        definition = session.scalar(
            select(ScorecardRow.definition).where(ScorecardRow.id == row.scorecard_id)
        )
        if definition is not None:
            card = Scorecard.from_dict(definition)
    if card is None:
        return StoredHealth(row, Bands(50, 74), Bands(3, 6))
    return StoredHealth(row, card.bands, card.renewal_bands, card.trend)
