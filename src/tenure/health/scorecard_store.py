"""Scorecards in the app database: loading a TOML file as a new version, the shipped
default, and reading versions back. Never commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tenure.config import Settings
from tenure.health import derived
from tenure.health.scorecards import (
    Scorecard,
    default_source,
    parse_scorecard,
    unknown_metrics,
)
from tenure.kit.errors import NotFound, TenureError
from tenure.models import Scorecard as ScorecardRow
from tenure.warehouse import Warehouse

DEFAULT_FILE = "enterprise.toml (shipped with Tenure)"


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


class ScorecardVersions:
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
