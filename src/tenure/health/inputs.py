"""A day's measure values for scoring: each metric's latest value per account inside its
window, the derived measures from the account store and the rest from the metrics series.
Loads data only; never writes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenure.health import derived
from tenure.models import (
    Account,
    Contact,
    SurveyKind,
    SurveyResponse,
    Ticket,
    TimelineEntry,
    TimelineKind,
)
from tenure.warehouse import Warehouse

Needed = set[tuple[str, int]]  # (metric, window_days)


@dataclass(frozen=True)
class Column:
    """One input's values: `values[i]` belongs to account `accounts[i]`."""

    accounts: pa.Array
    values: npt.NDArray[np.float64]

    def aligned(self, ids: pa.Array) -> npt.NDArray[np.float64]:
        """The values in the order of `ids`, NaN for accounts without one."""
        position = pc.index_in(ids, value_set=self.accounts)
        out = np.full(len(ids), np.nan)
        found = position.is_valid().to_numpy(zero_copy_only=False)
        out[found] = self.values[position.drop_null().to_numpy()]
        return out


def measure_values(
    session: Session, warehouse: Warehouse, day: date, needed: Needed
) -> dict[tuple[str, int], Column]:
    """Each needed metric's latest value per account inside its window: derived measures
    from the account store, anything else (and derived ones the store says nothing about)
    from the metrics series."""
    columns: dict[tuple[str, int], Column] = {}
    windows: dict[int, list[str]] = defaultdict(list)
    for metric, window in needed:
        windows[window].append(metric)
    for window, metrics in windows.items():
        latest = warehouse.metrics.latest(day, window, sorted(metrics))
        for metric in metrics:
            rows = latest.filter(pc.equal(latest.column("metric"), metric))
            if rows.num_rows:
                columns[(metric, window)] = Column(
                    rows.column("account_external_id").combine_chunks(),
                    rows.column("value").to_numpy().astype(np.float64),
                )
    for key, values in _derived(session, day, needed).items():
        column = Column(pa.array(list(values), pa.string()), np.fromiter(values.values(), float))
        if key in columns:
            # The account store's answer wins; the series fills in accounts it knows nothing of.
            series = columns[key]
            keep = pc.invert(pc.is_in(series.accounts, value_set=column.accounts))
            mask = keep.to_numpy(zero_copy_only=False)
            column = Column(
                pa.concat_arrays([column.accounts, series.accounts.filter(keep)]),
                np.concatenate([column.values, series.values[mask]]),
            )
        columns[key] = column
    return columns


def _derived(
    session: Session, day: date, needed: Needed
) -> dict[tuple[str, int], dict[str, float]]:
    wanted = [(m, w) for m, w in needed if m in derived.DERIVED]
    out: dict[tuple[str, int], dict[str, float]] = {}
    if not wanted:
        return out
    metrics = {m for m, _ in wanted}
    end = derived.end_of(day)
    if metrics & {derived.TICKETS_CLOSED_48H, derived.HELP_TO_PROBLEM}:
        rows = session.execute(
            select(Account.external_id, Ticket.opened_at, Ticket.closed_at, Ticket.kind)
            .join(Account, Ticket.account_id == Account.id)
            .where(
                Ticket.opened_at >= derived.window_start(day, derived.TICKET_WINDOW_DAYS),
                Ticket.opened_at < end,
            )
        )
        tickets = derived.ticket_measures(
            (derived.TicketRow(a, o, c, k.value) for a, o, c, k in rows), day
        )
        for metric, window in wanted:
            if metric in tickets:
                out[(metric, window)] = tickets[metric]
    surveys = {derived.NPS_LATEST: SurveyKind.nps, derived.CSAT_LATEST: SurveyKind.csat}
    for metric, window in wanted:
        if metric in surveys:
            rows = session.execute(
                select(
                    Account.external_id,
                    func.coalesce(SurveyResponse.contact_email, SurveyResponse.external_id),
                    SurveyResponse.score,
                    SurveyResponse.responded_at,
                )
                .join(Account, SurveyResponse.account_id == Account.id)
                .where(
                    SurveyResponse.kind == surveys[metric],
                    SurveyResponse.score.is_not(None),
                    SurveyResponse.responded_at >= derived.window_start(day, window),
                    SurveyResponse.responded_at < end,
                )
            )
            out[(metric, window)] = derived.survey_latest(
                (derived.SurveyRow(a, r, float(s), t) for a, r, s, t in rows), day, window
            )
        elif metric == derived.CSM_SENTIMENT:
            rows = session.execute(
                select(
                    Account.external_id,
                    TimelineEntry.at,
                    TimelineEntry.id,
                    TimelineEntry.sentiment,
                )
                .join(Account, TimelineEntry.account_id == Account.id)
                .where(
                    TimelineEntry.kind == TimelineKind.sentiment,
                    TimelineEntry.sentiment.is_not(None),
                    TimelineEntry.at >= derived.window_start(day, window),
                    TimelineEntry.at < end,
                )
            )
            out[(metric, window)] = derived.csm_sentiment(
                (derived.SentimentRow(a, t, i, s.value) for a, t, i, s in rows if s), day, window
            )
        elif metric == derived.SPONSOR_SENIORITY:
            rows = session.execute(
                select(Account.external_id, Contact.seniority, Contact.is_sponsor).join(
                    Account, Contact.account_id == Account.id
                )
            )
            out[(metric, window)] = derived.sponsor_seniority(
                derived.ContactRow(a, s.value if s else None, bool(sp)) for a, s, sp in rows
            )
    return out
