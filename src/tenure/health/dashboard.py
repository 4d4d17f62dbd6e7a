"""Looking at the book's health: the dashboard of a day from the snapshots, the rows stored
as the latest health, and one account's stored health with its scorecard's bands."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.book.query import BookQuery, matching_ids, owner_id_of, rows_of
from tenure.config import Settings
from tenure.health.account_info import load_accounts
from tenure.health.computing import (
    day_trends,
    ensure_day,
    snapshot_store,
)
from tenure.health.explain import whole
from tenure.health.scorecard_store import (
    ScorecardVersions,
)
from tenure.health.scorecards import (
    Bands,
    Scorecard,
)
from tenure.health.scorecards import Trend as TrendRule
from tenure.health.snapshots import snapshots
from tenure.kit.bands import band_of
from tenure.kit.contracts import contract_facts
from tenure.kit.dates import years_between
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
    """The book as of a day (or one CSM's, or one account whatever it was that day) with each
    account's health from that day's snapshots, computing those it needs that are missing:
    the day's, and the trend's earlier day's. Which accounts and their facts (name, CSM, ARR,
    renewal, years) are the book read model's, as the book page and `tenure accounts list`
    show them; the health, its trend and the renewal band by the day's scorecard are its own."""
    if csm is not None and owner_id_of(session, csm) is None:
        raise unknown_user(session, csm)
    # The book is the day's clients; one account asked for by its id is shown whatever it was.
    view = BookQuery(
        csm=csm,
        external_id=external_id,
        status="current" if external_id is None else "all",
        sort="name",
    )
    ids = matching_ids(session, settings, as_of, view)
    if external_id is not None and not ids:
        raise NotFound(f"no account with external_id {external_id!r}")
    facts = rows_of(session, settings, as_of, ids)
    # What scoring reads of them (a filter in Python: the whole book's ids would overflow a
    # statement's parameters).
    chosen = set(ids)
    accounts = [
        a for a in load_accounts(session, csm=csm, external_id=external_id) if a.id in chosen
    ]
    computed = ensure_day(session, warehouse, as_of, accounts)
    store = snapshot_store(warehouse)
    shown = [f.external_id for f in facts]
    now = {s.account_external_id: s for s in snapshots(store.on_day(as_of, shown, detail=False))}
    definitions = ScorecardVersions(session)
    trend, earlier = day_trends(
        session, warehouse, as_of, list(now.values()), definitions, accounts
    )
    board = Dashboard(rows=[], computed=computed + earlier)
    for fact in facts:
        snap = now.get(fact.external_id)
        card = definitions.get(snap.scorecard, snap.scorecard_version) if snap else None
        if fact.arr_problem is not None:
            board.warnings.append(f"{fact.external_id}: ARR left out: {fact.arr_problem}")
        renewal = card.renewal_bands if card else Bands(3, 6)
        board.rows.append(
            HealthRow(
                external_id=fact.external_id,
                name=fact.name,
                csm_email=fact.csm_email,
                health=snap.health if snap else None,
                health_exact=_shown_exact(snap.health_exact) if snap else None,
                band=snap.band if snap else None,
                trend=trend[fact.external_id].name if snap else None,
                renewal_months=fact.renewal_months,
                renewal_band=renewal_band(fact.renewal_months, renewal),
                arr=float(fact.arr) if fact.arr is not None else None,
                years=fact.years,
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


def _risk_order(row: HealthRow) -> tuple[int, float, str, str]:
    """Red first, then amber, green, unscored; lowest score first; then by name and id."""
    rank = {"red": 0, "amber": 1, "green": 2}.get(row.band or "", 3)
    exact = row.health_exact if row.health_exact is not None else 0.0
    return (rank, exact, row.name, row.external_id)


def renewal_band(months: int | None, limits: Bands) -> str | None:
    """One account's renewal band (`scoring.renewal_bands` does many at once)."""
    return band_of(months, limits)


def _shown_exact(value: float | None) -> float | None:
    # Full precision is kept in the snapshot; 6 decimals hide float noise (74.49999999999999).
    return None if value is None else round(value, 6)


def _years(since: date | None, as_of: date) -> float | None:
    if since is None or since > as_of:
        return None
    return round(years_between(since, as_of), 1)


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
