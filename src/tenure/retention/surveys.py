"""Experience figures from survey invitations: NPS, CSAT, CES and response rates. Pure.

NPS (Bain): share of promoters (9-10) minus share of detractors (0-6), on -100..100.
CSAT: share of answers of 4 or 5 on a 1-5 scale. CES: mean answer on a 1-7 scale.
Response rate: invitations sent in the period that were answered by its end, over all
invitations sent in the period (a falling rate is a warning even when scores hold up).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from statistics import fmean
from typing import Any

KINDS = ("nps", "csat", "ces")


@dataclass(frozen=True, slots=True)
class SurveyRecord:
    account: str
    kind: str  # nps | csat | ces
    sent_on: date
    score: int | None = None
    responded_on: date | None = None

    @property
    def answered_on(self) -> date | None:
        # An answer imported without its date counts as given the day it was sent.
        if self.score is None:
            return None
        return self.responded_on or self.sent_on


@dataclass(frozen=True)
class SurveyFigures:
    nps: float | None
    nps_responses: int
    csat: float | None
    csat_responses: int
    ces: float | None
    ces_responses: int
    invited: dict[str, int]
    answered: dict[str, int]

    def response_rate(self, kind: str) -> float | None:
        invited = self.invited.get(kind, 0)
        return self.answered.get(kind, 0) / invited if invited else None

    def as_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "nps": self.nps,
            "nps_responses": self.nps_responses,
            "csat": self.csat,
            "csat_responses": self.csat_responses,
            "ces": self.ces,
            "ces_responses": self.ces_responses,
        }
        for kind in KINDS:
            record[f"{kind}_invited"] = self.invited.get(kind, 0)
            record[f"{kind}_response_rate"] = self.response_rate(kind)
        return record


def nps(scores: Iterable[int]) -> float | None:
    values = list(scores)
    if not values:
        return None
    promoters = sum(1 for s in values if s >= 9)
    detractors = sum(1 for s in values if s <= 6)
    return 100.0 * (promoters - detractors) / len(values)


def csat(scores: Iterable[int]) -> float | None:
    values = list(scores)
    if not values:
        return None
    return sum(1 for s in values if s >= 4) / len(values)


def ces(scores: Iterable[int]) -> float | None:
    values = list(scores)
    return fmean(values) if values else None


def survey_figures(surveys: Iterable[SurveyRecord], start: date, end: date) -> SurveyFigures:
    """Scores answered in [start, end] and response rates of invitations sent in it."""
    answers: dict[str, list[int]] = {kind: [] for kind in KINDS}
    invited: dict[str, int] = dict.fromkeys(KINDS, 0)
    answered: dict[str, int] = dict.fromkeys(KINDS, 0)
    for survey in surveys:
        on = survey.answered_on
        if survey.score is not None and on is not None and start <= on <= end:
            answers.setdefault(survey.kind, []).append(survey.score)
        if start <= survey.sent_on <= end:
            invited[survey.kind] = invited.get(survey.kind, 0) + 1
            if on is not None and on <= end:
                answered[survey.kind] = answered.get(survey.kind, 0) + 1
    return SurveyFigures(
        nps=nps(answers["nps"]),
        nps_responses=len(answers["nps"]),
        csat=csat(answers["csat"]),
        csat_responses=len(answers["csat"]),
        ces=ces(answers["ces"]),
        ces_responses=len(answers["ces"]),
        invited=invited,
        answered=answered,
    )
