"""What a simulated company is made of: the rows Tenure imports, plus the hidden usage
history the event streams are drawn from (never written out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from tenure.demo.calendar import Step
from tenure.demo.scenarios import Scenario

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class AccountRecord:
    external_id: str
    name: str
    tier: str
    segment: str | None
    industry: str | None
    csm_email: str | None
    customer_since: date | None
    lifecycle_stage: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class ContractRecord:
    external_id: str
    account_external_id: str
    start_date: date
    end_date: date
    arr: int
    currency: str
    quantity: int
    units: str
    status: str = "active"


@dataclass
class ContactRecord:
    external_id: str
    account_external_id: str
    name: str
    email: str | None
    title: str | None
    seniority: str | None
    is_sponsor: bool
    user_id: str | None


@dataclass
class TicketRecord:
    external_id: str
    account_external_id: str
    opened_at: datetime
    closed_at: datetime | None
    kind: str
    priority: str
    satisfied: bool | None
    subject: str


@dataclass
class SurveyRecord:
    external_id: str
    account_external_id: str
    contact_email: str | None
    kind: str
    sent_at: datetime
    score: int | None
    responded_at: datetime | None
    comment: str | None


@dataclass(frozen=True)
class Campaign:
    """An email campaign with one unique short link per recipient (shortener only)."""

    account: int
    step: int
    day: int  # day number the links are created and the emails sent
    recipients: int
    name: str


@dataclass
class Usage:
    """The hidden per-account, per-month state the events are drawn from.

    Arrays are (accounts, steps). `live_from`/`live_to` are day numbers bounding the days
    the account uses the product inside each step (`live_to <= live_from`: not at all).
    """

    live_from: IntArray
    live_to: IntArray
    engagement: FloatArray
    active_users: IntArray
    breadth: IntArray
    paid: BoolArray
    clicks: FloatArray
    # Per account: each product user's lasting propensity to use the product (user n of an
    # account is `<external_id>-u<n>`); users 0.. are active first and stay longest.
    user_propensity: list[FloatArray]
    # Per account: the order in which it adopts features (enterprise).
    feature_order: IntArray
    # Per account: Segment `identify` traits of the users who are also contacts.
    contact_traits: list[dict[int, dict[str, str]]]
    campaigns: list[Campaign]
    # Per account: the share of clicks going to links labelled with a recurring campaign.
    campaign_share: FloatArray


@dataclass
class Company:
    scenario: Scenario
    seed: int
    as_of: date
    history_start: date
    steps: list[Step]
    accounts: list[AccountRecord]
    contracts: list[ContractRecord]
    contacts: list[ContactRecord]
    tickets: list[TicketRecord]
    surveys: list[SurveyRecord]
    usage: Usage

    def user_id(self, account: int, user: int) -> str:
        return f"{self.accounts[account].external_id}-u{user:04d}"
