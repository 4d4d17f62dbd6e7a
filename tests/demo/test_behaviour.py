"""The simulated companies behave like real SaaS businesses, and their outcomes can be read
from what they did: checked on the generated files only, never on the hidden state."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tenure.demo.calendar import add_months
from tests.demo.helpers import AS_OF, generate, rows


def _arr_on(contracts: list[dict[str, str]], day: str) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for c in contracts:
        if c["start_date"] <= day < c["end_date"]:
            totals[c["account_external_id"]] += float(c["arr"])
    return totals


def _yearly(contracts: list[dict[str, str]]) -> list[tuple[float, float]]:
    """(logo churn, NRR) of each of the two years before the as-of date."""
    end = date.fromisoformat(AS_OF)
    figures = []
    for years in (2, 1):
        start_day = add_months(end, -12 * years).isoformat()
        end_day = add_months(end, -12 * (years - 1)).isoformat()
        before, after = _arr_on(contracts, start_day), _arr_on(contracts, end_day)
        lost = sum(1 for account in before if after.get(account, 0) == 0)
        kept = sum(after.get(account, 0) for account in before)
        figures.append((lost / len(before), kept / sum(before.values())))
    return figures


@pytest.mark.parametrize(
    ("scenario", "accounts"),
    [("enterprise", None), ("enterprise", "500"), ("shortener", "1500")],
)
def test_outcome_rates_are_in_the_documented_ranges(
    tmp_path: Path, scenario: str, accounts: str | None
) -> None:
    options = ["--scenario", scenario, "--events-format", "none"]
    if accounts is not None:
        options += ["--accounts", accounts]
    contracts = rows(generate(tmp_path, *options) / "contracts.csv")
    for logo_churn, nrr in _yearly(contracts):
        assert 0.05 <= logo_churn <= 0.20, (scenario, logo_churn)
        assert 0.95 <= nrr <= 1.20, (scenario, nrr)


@pytest.fixture(scope="module")
def enterprise(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("enterprise")
    return generate(out, "--accounts", "90", "--seed", "2", "--events-format", "parquet")


def test_accounts_that_churned_were_using_the_product_less(enterprise: Path) -> None:
    """Events per user in the 90 days before each contract's end, churned against renewed,
    computed from the generated events and contracts alone."""
    by_outcome = duckdb.sql(
        f"""
        with ends as (
            select account_external_id account, end_date::date ended,
                   bool_or(status in ('churned', 'expired')) churned
            from read_csv('{enterprise / "contracts.csv"}', all_varchar = true)
            where status <> 'active' group by all
        ), usage as (
            select ends.account, ends.churned,
                   count(e.user_id) / greatest(count(distinct e.user_id), 1) per_user
            from ends left join read_parquet('{enterprise / "events.parquet"}') e
              on e.account_external_id = ends.account and e.type = 'track'
             and e.timestamp::date >= ends.ended - interval 90 day
             and e.timestamp::date < ends.ended
            group by all
        )
        select churned, count(*), avg(per_user) from usage group by churned
        """
    ).fetchall()
    figures = {churned: (count, per_user) for churned, count, per_user in by_outcome}
    assert figures[True][0] >= 5
    assert figures[False][0] >= 30
    assert figures[True][1] < 0.8 * figures[False][1]


def test_history_includes_churned_accounts_and_new_clients(enterprise: Path) -> None:
    accounts = rows(enterprise / "accounts.csv")
    contracts = rows(enterprise / "contracts.csv")
    stages = Counter(a["lifecycle_stage"] for a in accounts)
    assert stages["churned"] >= 5
    churned = {a["external_id"] for a in accounts if a["lifecycle_stage"] == "churned"}
    assert all(_arr_on(contracts, AS_OF).get(a, 0) == 0 for a in churned)
    new = [a for a in accounts if a["customer_since"] > "2024-11-23"]
    assert len(new) >= 10  # clients that joined during the history, onboarding first
    first_contracts = min(c["start_date"] for c in contracts)
    assert first_contracts <= "2024-11-23"
    # 24 months of events before the as-of date
    first_event = duckdb.sql(
        f"select min(timestamp)::date from read_parquet('{enterprise / 'events.parquet'}')"
    ).fetchall()[0][0]
    assert first_event.isoformat() < "2024-12-01"


def test_six_csms_with_about_fifteen_accounts_each(tmp_path: Path) -> None:
    accounts = rows(generate(tmp_path, "--events-format", "none") / "accounts.csv")
    current = Counter(a["csm_email"] for a in accounts if a["lifecycle_stage"] != "churned")
    assert len(current) == 6
    assert all(email.endswith("@demo.tenure.dev") for email in current)
    assert all(10 <= count <= 20 for count in current.values()), current


def test_sponsors_of_differing_seniority_are_product_users(enterprise: Path) -> None:
    contacts = rows(enterprise / "contacts.csv")
    sponsors = [c for c in contacts if c["is_sponsor"] == "true"]
    accounts = {c["account_external_id"] for c in contacts}
    assert len(sponsors) == len(accounts)  # one sponsor per account
    assert {s["seniority"] for s in sponsors} == {"c_level", "vp", "director", "manager"}
    users = {
        u
        for (u,) in duckdb.sql(
            f"select distinct user_id from read_parquet('{enterprise / 'events.parquet'}')"
        ).fetchall()
    }
    linked = [s for s in sponsors if s["user_id"] in users]
    assert len(linked) >= 0.8 * len(sponsors)


def test_tickets_and_surveys_look_like_a_support_desk(enterprise: Path) -> None:
    tickets = rows(enterprise / "tickets.csv")
    assert {t["kind"] for t in tickets} == {"question", "problem"}
    closed = [t for t in tickets if t["closed_at"]]
    hours = [
        (date.fromisoformat(t["closed_at"][:10]) - date.fromisoformat(t["opened_at"][:10])).days
        for t in closed
    ]
    fast = sum(1 for h in hours if h <= 1) / len(hours)
    assert 0.3 < fast < 0.95  # most, not all, close within two days
    surveys = rows(enterprise / "surveys.csv")
    months = {(s["kind"], s["sent_at"][5:7]) for s in surveys}
    assert months == {("nps", "01"), ("nps", "07"), ("csat", "10")}
    answered = [s for s in surveys if s["score"]]
    assert 0.2 < len(answered) / len(surveys) < 0.8  # not everyone answers
    with_answers = {s["account_external_id"] for s in answered}
    with_invitations = {s["account_external_id"] for s in surveys}
    assert with_invitations - with_answers  # some accounts have no satisfaction data
