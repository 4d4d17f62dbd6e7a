"""The two demo companies: what they sell, who they sell it to, and how their clients behave.

Everything that differs between the scenarios is a parameter here; the simulation in
`simulation.py` is shared, the event streams live in `enterprise_events.py` and
`shortener_events.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ScenarioName(StrEnum):
    shortener = "shortener"
    enterprise = "enterprise"


@dataclass(frozen=True)
class Plan:
    name: str
    arr: int  # a year's price in USD
    clicks: int  # clicks a month included


SHORTENER_PLANS = (
    Plan("starter", 348, 10_000),
    Plan("pro", 1_188, 100_000),
    Plan("business", 4_788, 1_000_000),
)

ENTERPRISE_FEATURES = (
    "partner_portal",
    "incentive_rules",
    "leaderboards",
    "points_ledger",
    "rewards_catalog",
    "claims",
    "reports",
    "campaigns",
    "training",
    "quizzes",
    "integrations",
    "api",
)


@dataclass(frozen=True)
class Scenario:
    name: ScenarioName
    prefix: str
    default_accounts: int
    csms: tuple[str, ...]
    # Share of the accounts that are already clients when the history starts; the others
    # sign up during it.
    initial_share: float
    # Share of sign-ups on the free tier (they have no contract until they convert).
    free_share: float
    units: str
    # Logistic churn model at a contract's end: p = sigmoid(churn_intercept - churn_slope * q)
    # where q sums recent engagement, satisfaction, sponsor seniority and noise.
    churn_intercept: float
    churn_slope: float
    # Accounts processed together when generating events: a constant, so the random streams
    # (one per month and block) and thus the bytes never depend on how output is chunked.
    event_block: int


ENTERPRISE = Scenario(
    name=ScenarioName.enterprise,
    prefix="ENT",
    default_accounts=115,
    csms=(
        "ana.silva@demo.tenure.dev",
        "ben.okafor@demo.tenure.dev",
        "chloe.martin@demo.tenure.dev",
        "david.kim@demo.tenure.dev",
        "elena.rossi@demo.tenure.dev",
        "farid.haddad@demo.tenure.dev",
    ),
    initial_share=0.72,
    free_share=0.0,
    units="seats",
    churn_intercept=-2.9,
    churn_slope=1.6,
    event_block=32,
)

SHORTENER = Scenario(
    name=ScenarioName.shortener,
    prefix="SHO",
    default_accounts=300,
    csms=(
        "maya.cohen@demo.tenure.dev",
        "omar.haddad@demo.tenure.dev",
        "sofia.santos@demo.tenure.dev",
    ),
    initial_share=0.65,
    free_share=0.8,
    units="clicks/month",
    churn_intercept=-2.5,
    churn_slope=1.4,
    event_block=64,
)

SCENARIOS = {s.name: s for s in (ENTERPRISE, SHORTENER)}
