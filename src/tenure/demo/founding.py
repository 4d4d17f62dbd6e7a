"""The accounts a simulated company has or will have: who they are, when they arrive, their
contacts, and the hidden traits that drive their behaviour (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from tenure.demo import names
from tenure.demo.calendar import Step, add_months, day_number, month_floor
from tenure.demo.company import ContactRecord
from tenure.demo.scenarios import SHORTENER_PLANS, Scenario, ScenarioName

SENIORITIES = ("c_level", "vp", "director", "manager")
# A senior sponsor holds the budget: accounts sponsored higher up churn less.
SPONSOR_BONUS = {"c_level": 0.45, "vp": 0.25, "director": 0.0, "manager": -0.35}


@dataclass
class Founded:
    """One account as founded: public facts plus the hidden traits (never written out)."""

    initial: bool  # already a client when the history starts
    start: date  # first day it uses the product inside the history
    customer_since: date
    paid: bool  # paying from the start
    contract_start: date | None
    seats: int
    price: float  # per seat and year (enterprise)
    plan: int  # index into SHORTENER_PLANS (shortener)
    click_base: float  # clicks a month at neutral engagement (shortener)
    team: int  # product users a shortener client has
    campaigner: bool  # runs unique-link email campaigns
    power_clicker: bool  # a free client with paid-level traffic
    mu: float  # long-run engagement
    nu: float  # satisfaction baseline
    w: float  # proneness to product problems
    aversion: float  # added to the log-odds of answering a survey
    sponsor_seniority: str | None
    region: str
    industry: str
    name: str = ""
    external_id: str = ""
    domain: str = ""
    extra: dict[str, int | str] = field(default_factory=dict)


def _enterprise(rng: np.random.Generator, initial: bool, steps: list[Step]) -> Founded:
    history_start = steps[0].start
    if initial:
        contract_start = add_months(month_floor(history_start), -int(rng.integers(0, 12)))
        years = int(rng.choice(6, p=[0.2, 0.24, 0.2, 0.16, 0.12, 0.08]))
        since = add_months(contract_start, -12 * years)
        start = history_start
    else:
        first = 1 if len(steps) > 1 else 0
        start = steps[int(rng.integers(first, len(steps)))].start
        if start.day != 1:  # only when the whole history is one partial month
            start = add_months(month_floor(start), 1)
        contract_start = since = start
    arr = float(np.clip(rng.lognormal(np.log(24_000), 0.45), 10_000, 62_000))
    price = float(rng.uniform(160, 420))
    seats = max(5, round(arr / price))
    seniority = str(rng.choice(SENIORITIES, p=[0.2, 0.35, 0.3, 0.15]))
    industry = str(rng.choice(names.INDUSTRIES))
    return Founded(
        initial=initial,
        start=start,
        customer_since=since,
        paid=True,
        contract_start=contract_start,
        seats=seats,
        price=price,
        plan=0,
        click_base=0.0,
        team=0,
        campaigner=False,
        power_clicker=False,
        mu=float(rng.normal(0.15, 0.75)),
        nu=float(rng.normal(0.0, 0.5)),
        w=float(rng.normal(0.0, 0.5)),
        aversion=-3.0 if rng.random() < 0.15 else 0.0,
        sponsor_seniority=seniority,
        region=str(rng.choice(names.REGIONS, p=[0.4, 0.3, 0.1, 0.15, 0.05])),
        industry=industry,
        extra={
            "partners": int(np.clip(rng.lognormal(np.log(600), 0.9), 80, 9_000)),
            "revenue_musd": int(np.clip(rng.lognormal(np.log(2_500), 0.9), 500, 20_000)),
        },
    )


def _shortener(
    rng: np.random.Generator, initial: bool, steps: list[Step], free_share: float, as_of: date
) -> Founded:
    history_start = steps[0].start
    paid = rng.random() >= free_share
    if initial:
        start = history_start
        if paid:
            contract_start = date.fromordinal(history_start.toordinal() - int(rng.integers(0, 365)))
            since = add_months(contract_start, -12 * int(rng.choice(4, p=[0.4, 0.3, 0.2, 0.1])))
        else:
            contract_start = None
            since = date.fromordinal(history_start.toordinal() - int(rng.integers(1, 4 * 365)))
    else:
        first = steps[1].start if len(steps) > 1 else history_start
        start = date.fromordinal(
            first.toordinal() + int(rng.integers(0, max(1, (as_of - first).days)))
        )
        since = start
        contract_start = start if paid else None
    campaigner = rng.random() < 0.06
    power = (not paid) and rng.random() < 0.08
    if paid:
        clicks = float(rng.lognormal(np.log(1_500), 1.1))
    elif power:
        clicks = float(rng.lognormal(np.log(2_500), 0.8))
    else:
        clicks = float(rng.lognormal(np.log(80), 1.0))
    plan = next(
        (i for i, p in enumerate(SHORTENER_PLANS) if p.clicks >= 1.2 * clicks),
        len(SHORTENER_PLANS) - 1,
    )
    kind, suffixes = names.SMALL_BUSINESS_KINDS[int(rng.integers(len(names.SMALL_BUSINESS_KINDS)))]
    seniority = str(rng.choice(("c_level", "director", "manager"), p=[0.4, 0.35, 0.25]))
    return Founded(
        initial=initial,
        start=start,
        customer_since=since,
        paid=bool(paid),
        contract_start=contract_start,
        seats=0,
        price=0.0,
        plan=plan,
        click_base=clicks,
        team=int(2 + rng.poisson(3.0)) if paid else int(1 + rng.poisson(1.2)),
        campaigner=bool(campaigner),
        power_clicker=bool(power),
        mu=float(rng.normal(0.1, 0.7) + (0.5 if campaigner else 0.0) + (0.3 if power else 0.0)),
        nu=float(rng.normal(0.0, 0.5)),
        w=float(rng.normal(0.0, 0.5)),
        aversion=-3.0 if rng.random() < 0.2 else 0.0,
        sponsor_seniority=seniority,
        region=str(rng.choice(names.REGIONS, p=[0.35, 0.3, 0.12, 0.18, 0.05])),
        industry=kind,
        extra={"suffixes": "|".join(suffixes)},
    )


def found_accounts(
    scenario: Scenario, count: int, steps: list[Step], as_of: date, rng: np.random.Generator
) -> list[Founded]:
    """`count` accounts, numbered in the order they became clients (as a CRM would)."""
    initial_count = round(count * scenario.initial_share)
    founded = []
    for index in range(count):
        initial = index < initial_count
        if scenario.name is ScenarioName.enterprise:
            founded.append(_enterprise(rng, initial, steps))
        else:
            founded.append(_shortener(rng, initial, steps, scenario.free_share, as_of))
    order = sorted(range(count), key=lambda i: (founded[i].customer_since, i))
    founded = [founded[i] for i in order]
    taken: set[str] = set()
    for number, account in enumerate(founded, start=1):
        if scenario.name is ScenarioName.enterprise:
            suffixes = names.INDUSTRY_SUFFIX[account.industry]
        else:
            suffixes = tuple(str(account.extra.pop("suffixes")).split("|"))
        account.name = names.company_name(rng, suffixes, taken)
        account.domain = names.domain_of(account.name)
        account.external_id = f"{scenario.prefix}-{number:04d}"
    return founded


def found_contacts(
    scenario: Scenario, accounts: list[Founded], rng: np.random.Generator
) -> tuple[list[ContactRecord], list[dict[int, dict[str, str]]]]:
    """Each account's contacts, and the Segment traits of those who are product users.

    The sponsor is product user 0 (signs in rarely), the champion user 1 (a power user):
    their `user_id` ties what they say in surveys to what they do in the product.
    """
    contacts: list[ContactRecord] = []
    traits: list[dict[int, dict[str, str]]] = []
    for account in accounts:
        emails: set[str] = set()
        mine: dict[int, dict[str, str]] = {}
        people: list[tuple[str, str, bool, int | None]] = []  # title, seniority, sponsor, user
        sponsor = account.sponsor_seniority or "director"
        if scenario.name is ScenarioName.enterprise:
            people.append((str(rng.choice(names.SPONSOR_TITLES[sponsor])), sponsor, True, 0))
            people.append((str(rng.choice(names.USER_TITLES["manager"])), "manager", False, 1))
            for member in range(2, 2 + int(rng.integers(1, 5))):
                level = str(rng.choice(("director", "manager", "staff"), p=[0.2, 0.4, 0.4]))
                people.append((str(rng.choice(names.USER_TITLES[level])), level, False, member))
            if rng.random() < 0.5:
                title = str(rng.choice(names.OTHER_CONTACT_TITLES))
                people.append((title, "manager", False, None))
        else:
            owner_title = {"c_level": "Founder", "director": "Head of Marketing"}.get(
                sponsor, "Marketing Manager"
            )
            # Whether the owner counts as sponsor is settled once we know if they ever paid.
            people.append((owner_title, sponsor, account.paid, 0))
            for member in range(1, min(account.team, 1 + int(rng.integers(0, 3)))):
                people.append(("Marketing Specialist", "staff", False, member))
        for number, (title, seniority, is_sponsor, user) in enumerate(people, start=1):
            person = names.person_name(rng)
            email = names.email_of(person, account.domain, emails)
            user_id = None if user is None else f"{account.external_id}-u{user:04d}"
            contacts.append(
                ContactRecord(
                    external_id=f"{account.external_id}-P{number:02d}",
                    account_external_id=account.external_id,
                    name=person,
                    email=email,
                    title=title,
                    seniority=seniority,
                    is_sponsor=is_sponsor,
                    user_id=user_id,
                )
            )
            if user is not None:
                mine[user] = {"email": email, "name": person, "title": title}
        traits.append(mine)
    return contacts, traits


def start_day(account: Founded) -> int:
    return day_number(account.start)
