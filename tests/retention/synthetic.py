"""A small simulated customer base for churn-model tests: a latent engagement per account
drifts month to month and drives logins, tickets, NPS answers and each renewal decision.
The latent state is never handed to the model; only what it drives."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from tenure.retention.book_facts import AccountRecord, Book, ContractRecord, add_months
from tenure.retention.churn.features import FeatureData


@dataclass
class Company:
    contracts: list[ContractRecord]
    accounts: dict[str, AccountRecord]
    metrics: pd.DataFrame
    tickets: pd.DataFrame
    surveys: pd.DataFrame
    sentiments: pd.DataFrame
    sponsors: dict[str, float]

    def data(self) -> FeatureData:
        return FeatureData(
            book=Book(self.contracts),
            accounts=self.accounts,
            metrics=self.metrics,
            tickets=self.tickets,
            surveys=self.surveys,
            sentiments=self.sentiments,
            sponsors=self.sponsors,
        )


def company(
    accounts: int = 240,
    seed: int = 1,
    first: date = date(2023, 1, 1),
    until: date = date(2026, 1, 1),
) -> Company:
    rng = np.random.default_rng(seed)
    contracts: list[ContractRecord] = []
    records: dict[str, AccountRecord] = {}
    metric_rows: list[tuple[str, str, date, float]] = []
    tickets: list[tuple[str, datetime, datetime | None, str]] = []
    surveys: list[tuple[str, str, date, float | None, date | None]] = []
    sentiments: list[tuple[str, datetime, str]] = []
    sponsors: dict[str, float] = {}
    for n in range(accounts):
        name = f"acct{n:03d}"
        segment = ["enterprise", "mid-market", "smb"][n % 3]
        records[name] = AccountRecord(name, "paid", segment, f"csm{n % 4}@example.com", "retail")
        sponsors[name] = float(rng.integers(1, 6))
        start = first + timedelta(days=int(rng.integers(0, 365)))
        engagement = rng.normal(0.0, 1.0)
        arr = Decimal(int(rng.integers(10, 70)) * 1000)
        month = 0
        contract_start = start
        while True:
            day = add_months(start, month)
            if day >= until:  # the contract in force runs on past the end of the history
                contracts.append(
                    ContractRecord(name, contract_start, add_months(contract_start, 12), arr)
                )
                break
            engagement = 0.95 * engagement + rng.normal(0.0, 0.25)
            # Weekly logins and distinct users: what the usage metrics would compute.
            for week in range(4):
                stamp = day + timedelta(days=7 * week)
                if stamp < until:
                    metric_rows.append(
                        (
                            name,
                            "logins_28d",
                            stamp,
                            float(rng.poisson(math.exp(3 + 0.6 * engagement))),
                        )
                    )
                    metric_rows.append(
                        (
                            name,
                            "active_users_28d",
                            stamp,
                            float(rng.poisson(math.exp(1.5 + 0.4 * engagement))),
                        )
                    )
            for _ in range(rng.poisson(math.exp(-0.5 - 0.5 * engagement))):
                opened = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
                    hours=int(rng.integers(0, 24 * 28))
                )
                hours = rng.exponential(30 if engagement > 0 else 70)
                closed = opened + timedelta(hours=hours)
                kind = "problem" if rng.random() < 1 / (1 + math.exp(engagement)) else "question"
                tickets.append((name, opened, closed, kind))
            if month % 6 == 3:
                sent = day + timedelta(days=3)
                if rng.random() < 0.55 + 0.15 * np.tanh(engagement):
                    score = float(np.clip(round(7 + 1.8 * engagement + rng.normal(0, 1.2)), 0, 10))
                    surveys.append((name, "nps", sent, score, sent + timedelta(days=2)))
                else:
                    surveys.append((name, "nps", sent, None, None))
            if rng.random() < 0.05:
                mood = "red" if engagement < -0.7 else "amber" if engagement < 0.3 else "green"
                sentiments.append((name, datetime.combine(day, datetime.min.time(), UTC), mood))
            month += 1
            if month % 12 == 0:
                end = add_months(start, month)
                contracts.append(ContractRecord(name, contract_start, end, arr))
                churn = 1 / (1 + math.exp(2.0 + 3.0 * engagement))
                if rng.random() < churn:
                    break
                contract_start = end
    return Company(
        contracts,
        records,
        pd.DataFrame(metric_rows, columns=["account", "metric", "date", "value"]),
        pd.DataFrame(tickets, columns=["account", "opened_at", "closed_at", "kind"]).assign(
            opened_at=lambda f: pd.to_datetime(f["opened_at"]).dt.tz_localize(None),
            closed_at=lambda f: pd.to_datetime(f["closed_at"]).dt.tz_localize(None),
        ),
        pd.DataFrame(surveys, columns=["account", "kind", "sent_on", "score", "answered_on"]),
        pd.DataFrame(sentiments, columns=["account", "at", "sentiment"]).assign(
            at=lambda f: pd.to_datetime(f["at"]).dt.tz_localize(None)
        ),
        sponsors,
    )
