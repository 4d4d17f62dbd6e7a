"""Signals from plain facts, each with its evidence."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from tenure.plans.signals import AccountFacts, SignalRules, compute_signals, cosine, lookalikes

AS_OF = date(2027, 1, 4)
COMPONENTS = {"product": 80, "satisfaction": 85, "support": 80, "sponsorship": 80}
HAPPY = AccountFacts(
    external_id="happy",
    health=85,
    band="green",
    trend="level",
    components=COMPONENTS,
    renewal_months=9,
    renewal_date=AS_OF + timedelta(days=280),
    arr=100_000,
    years=3,
    sponsor="vp",
    contacts_known=True,
    nps=9.5,
)


def kinds(facts: AccountFacts, book: list[AccountFacts] | None = None, **kw: object) -> dict:
    found = compute_signals(book or [facts], AS_OF, **kw)[facts.external_id]
    return {s.label: s.evidence for s in found}


def test_a_clearly_happy_client_is_an_advocate_and_nothing_else():
    assert kinds(HAPPY) == {
        "advocate_candidate": "health 85, 3 years a client, mean NPS answer 9.5, satisfaction 85, "
        "vp sponsor, no open risk"
    }


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"years": 0.5}, "a client for less than a year"),
        ({"nps": 7.0}, "NPS not high"),
        ({"health": 78}, "health under 80"),
        ({"sponsor": "manager"}, "junior sponsor"),
        ({"open_problems": 4}, "open support problems"),
        ({"trend": "down"}, "falling health"),
        ({"components": {**COMPONENTS, "satisfaction": None}, "nps": None}, "no satisfaction"),
    ],
)
def test_advocates_only_when_clearly_happy(change, why):
    assert "advocate_candidate" not in kinds(replace(HAPPY, **change)), why


def test_a_renewal_inside_the_quarter_at_risk():
    facts = replace(
        HAPPY,
        health=45,
        band="red",
        trend="down",
        components={**COMPONENTS, "product": 30},
        renewal_months=1,
        renewal_date=AS_OF + timedelta(days=40),
    )
    found = kinds(facts)
    assert found["renewal_in_quarter"] == "renewal on 2027-02-13, inside the quarter"
    assert found["renewal_at_risk"] == (
        "renewal on 2027-02-13: health 45 is red; health is falling; weak product"
    )
    assert found["weak_component:product"] == "product 30 (below 50)"
    assert found["red_health"] == "health 45 (red)"
    assert found["falling_health"] == "health 45, trend down"
    assert "expansion_candidate" not in found
    assert "advocate_candidate" not in found


def test_renewal_months_stand_in_for_an_unknown_date():
    facts = replace(HAPPY, renewal_date=None, renewal_months=2)
    assert "renewal_in_quarter" in kinds(facts)
    assert "renewal_in_quarter" not in kinds(replace(facts, renewal_months=3))


def test_a_renewal_far_away_is_not_at_risk_even_when_red():
    facts = replace(HAPPY, health=40, band="red", renewal_months=10)
    found = kinds(facts)
    assert "red_health" in found
    assert "renewal_at_risk" not in found


def test_data_gaps_say_what_to_do():
    facts = replace(HAPPY, components={**COMPONENTS, "satisfaction": None, "support": None})
    found = kinds(facts)
    assert found["data_gap:satisfaction"] == "no satisfaction data: run a survey"
    assert found["data_gap:support"] == "no support data: find the data"
    unscored = AccountFacts("x", components={})
    assert kinds(unscored) == {"data_gap:health": "no health score at all"}


def test_weak_sponsors():
    assert kinds(replace(HAPPY, sponsor="staff"))["weak_sponsor"] == "sponsor is only staff level"
    assert (
        kinds(replace(HAPPY, sponsor=None))["weak_sponsor"]
        == "no executive sponsor among the contacts"
    )
    # Without contacts, the sponsorship component speaks.
    weak = replace(
        HAPPY, sponsor=None, contacts_known=False, components={**COMPONENTS, "sponsorship": 20}
    )
    assert kinds(weak)["weak_sponsor"] == "sponsorship 20: sponsor missing or junior"
    assert "weak_sponsor" not in kinds(replace(HAPPY, sponsor=None, contacts_known=False))


def test_expansion_candidates_are_healthy_with_a_reason():
    rising = replace(HAPPY, trend="up", nps=None, years=0.5)
    assert kinds(rising)["expansion_candidate"] == "healthy (85, green): health rising"
    full = replace(
        HAPPY,
        contract_quantity=200,
        contract_units="seats",
        usage={"active_users_28d": 190, "events_change_8w": 0.25},
    )
    assert kinds(full)["expansion_candidate"] == (
        "healthy (85, green): usage up 25% (events_change_8w); "
        "active_users_28d 190 of 200 seats bought"
    )
    assert "expansion_candidate" not in kinds(replace(HAPPY, trend="up", band="amber"))
    assert "expansion_candidate" not in kinds(
        replace(HAPPY, trend="up", components={**COMPONENTS, "support": 30})
    )


def test_a_free_client_using_the_product_like_a_paid_one():
    paid = [
        AccountFacts(f"p{i}", tier="paid", usage={"events_28d": 1000 + i, "active_users_28d": 20})
        for i in range(3)
    ]
    free = AccountFacts("f", tier="free", usage={"events_28d": 1500, "active_users_28d": 25})
    small = AccountFacts("s", tier="free", usage={"events_28d": 100, "active_users_28d": 2})
    book = [*paid, free, small]
    assert kinds(free, book)["expansion_candidate"] == (
        "free tier used like a paid one (events_28d 1500 vs 1001, active_users_28d 25 vs 20, "
        "median of paid clients)"
    )
    assert "expansion_candidate" not in kinds(small, book)


def test_support_problems_and_feature_requests():
    found = kinds(replace(HAPPY, open_problems=3, feature_requests=2))
    assert found["support_problems"] == "3 problem tickets open"
    assert found["feature_requests"] == "2 feature requests open"


def test_lookalikes_resemble_an_exemplar():
    def usage(a: float, b: float, c: float) -> dict[str, float]:
        return {"links_created_28d": a, "unique_links_clicked_28d": b, "active_users_28d": c}

    book = [
        AccountFacts("pilot", usage=usage(5000, 4000, 10)),
        AccountFacts("twin", usage=usage(4500, 3900, 12)),
        AccountFacts("plain", usage=usage(50, 10, 40)),
        AccountFacts("other", usage=usage(80, 20, 35)),
        AccountFacts("empty"),
    ]
    found = compute_signals(book, AS_OF, exemplars=["pilot"])
    twin = {s.label: s.evidence for s in found["twin"]}
    assert twin["lookalike:pilot"].startswith("usage resembles pilot's (similarity 0.9")
    assert not [s for s in found["plain"] if s.kind == "lookalike"]
    assert not [s for s in found["pilot"] if s.kind == "lookalike"]
    # Accounts flagged as exemplars count without being named.
    flagged = [replace(book[0], exemplar=True), *book[1:]]
    assert "lookalike:pilot" in {s.label for s in compute_signals(flagged, AS_OF)["twin"]}
    assert lookalikes(book, ["nobody"], 0.9) == {}


def test_cosine():
    assert cosine([1, 0], [1, 0]) == 1
    assert cosine([1, 0], [0, 1]) == 0
    assert cosine([0, 0], [1, 1]) == 0
    assert cosine([1, 2], [-1, -2]) == pytest.approx(-1)


def test_thresholds_are_rules():
    facts = replace(HAPPY, components={**COMPONENTS, "support": 55})
    assert "weak_component:support" not in kinds(facts)
    strict = SignalRules(weak_component_below=60)
    assert "weak_component:support" in kinds(facts, rules=strict)
