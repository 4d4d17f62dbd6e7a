"""Survey rules that need no database: scales, detractors, response rates. Pure.

Response rate = answered over delivered (invitations sent minus those that bounced or were
never sent), per campaign, account or segment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tenure.models.enums import SURVEY_SCALES, SurveyKind
from tenure.retention.surveys import ces, csat, nps

QUESTIONS = {
    SurveyKind.nps: "How likely are you to recommend us to a friend or colleague?",
    SurveyKind.csat: "How satisfied are you with our service?",
    SurveyKind.ces: "How easy was it to get what you needed from us?",
}
LABELS = {
    SurveyKind.nps: ("Not at all likely", "Extremely likely"),
    SurveyKind.csat: ("Very unsatisfied", "Very satisfied"),
    SurveyKind.ces: ("Very difficult", "Very easy"),
}


def scale(kind: SurveyKind) -> range:
    low, high = SURVEY_SCALES[kind]
    return range(low, high + 1)


def check_score(kind: SurveyKind, score: int) -> str | None:
    """Why `score` is not an answer to a `kind` survey, or None when it is."""
    low, high = SURVEY_SCALES[kind]
    if not low <= score <= high:
        return f"a {kind.value.upper()} score is a whole number from {low} to {high}"
    return None


def needs_follow_up(kind: SurveyKind, score: int) -> bool:
    """A detractor (NPS 0-6) or an unhappy client (CSAT 1-2, CES 1-2: very hard to use)."""
    if kind is SurveyKind.nps:
        return score <= 6
    return score <= 2


@dataclass(frozen=True, slots=True)
class RecipientRow:
    campaign: str
    kind: str
    account: str
    segment: str | None
    delivered: bool
    score: int | None


def _figures(rows: list[RecipientRow]) -> dict[str, Any]:
    delivered = [r for r in rows if r.delivered]
    answered = [r for r in rows if r.score is not None]
    by_kind: dict[str, list[int]] = defaultdict(list)
    for r in answered:
        if r.score is not None:
            by_kind[r.kind].append(r.score)
    return {
        "invited": len(rows),
        "delivered": len(delivered),
        "answered": len(answered),
        "response_rate": len(answered) / len(delivered) if delivered else None,
        "nps": nps(by_kind["nps"]),
        "csat": csat(by_kind["csat"]),
        "ces": ces(by_kind["ces"]),
    }


def response_rates(rows: Iterable[RecipientRow], by: str) -> list[dict[str, Any]]:
    """Figures per `by` (campaign, account or segment), sorted by that key."""
    groups: dict[str, list[RecipientRow]] = defaultdict(list)
    for row in rows:
        key = {"campaign": row.campaign, "account": row.account, "segment": row.segment}[by]
        groups[key or "(none)"].append(row)
    return [{by: key, **_figures(groups[key])} for key in sorted(groups)]
