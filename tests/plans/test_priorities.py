"""The three priorities in one plan: every renewal inside the quarter and every red account
and data gap covered before any account gets more of the same, some expansion for healthy
accounts and some case-study requests for clearly happy clients, each activity saying why;
on the enterprise book and on Hypothesis-generated books."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenure.plans.planner import PlanRequest, plan_quarter
from tenure.plans.playbooks import default_library
from tenure.plans.signals import RISKS, AccountFacts, compute_signals
from tests.plans.enterprise import BOOK, HAPPY, QUARTER_START, check_plan, check_priorities
from tests.plans.test_planner import plan_book

QUARTER_END = QUARTER_START + timedelta(days=90)


def test_count_25_covers_every_need_and_mixes_the_three_priorities():
    plan = plan_book(25)
    parts = plan.parts()
    check_plan(parts)
    check_priorities(parts)
    assert len(plan.activities) == 25
    assert plan.uncovered == []
    assert plan.solver.status == "optimal"


def test_the_happy_clients_have_no_open_risk():
    library = default_library()
    facts = [client.facts() for client in BOOK]
    found = compute_signals(facts, QUARTER_START, QUARTER_START, library.rules)
    for client in HAPPY:
        assert not {s.kind for s in found[client]} & set(RISKS), found[client]


def test_the_mix_follows_the_library_shares():
    library = default_library()
    assert library.mix["expansion"] > 0
    assert library.mix["advocacy"] > 0
    plan = plan_book(25)
    counts = Counter(a.category for a in plan.activities)
    candidates = Counter(
        a.category for a in [*plan.activities, *plan.left_out] if a.category != "onboarding"
    )
    for category in ("expansion", "advocacy"):
        wanted = min(round(library.mix[category] * 25), candidates[category])
        assert counts[category] >= wanted, (category, counts)


def test_when_the_hours_cannot_cover_every_need_the_plan_says_which_and_why():
    plan = plan_book(None, hours_per_week=6, existing_share=0.5, new_clients=[])
    assert plan.uncovered
    for need in plan.uncovered:
        assert need.client
        assert need.why in ("capacity", "timing", "count", "no activity")
        assert need.reason
        assert any(need.what in n and need.client in n for n in plan.notes), plan.notes


def test_a_small_count_leaves_needs_uncovered_because_of_the_count():
    plan = plan_book(3)
    assert len(plan.activities) == 3
    assert {n.why for n in plan.uncovered} == {"count"}


def test_each_activity_says_why_it_was_chosen():
    plan = plan_book(25)
    alpha = next(a for a in plan.activities if a.reference == "RNW-alpha")
    assert alpha.why.startswith("renewal on 2027-02-13, health 40, weakest: product")
    assert alpha.record()["why"] == alpha.why
    for a in plan.onboarding:
        assert a.why
    for x in plan.left_out:
        assert x.reason


# -- Hypothesis-generated books ----------------------------------------------------------------


@st.composite
def books(draw: st.DrawFn) -> tuple[list[AccountFacts], PlanRequest]:
    size = draw(st.integers(1, 10))
    book = []
    for i in range(size):
        components = {
            key: draw(
                st.none() | st.integers(0, 100) if key == "satisfaction" else st.integers(0, 100)
            )
            for key in ("product", "satisfaction", "support", "sponsorship")
        }
        known = [v for v in components.values() if v is not None]
        health = round(sum(known) / len(known))
        band = "red" if health <= 50 else "amber" if health <= 74 else "green"
        renewal = QUARTER_START + timedelta(days=draw(st.integers(14, 400)))
        book.append(
            AccountFacts(
                external_id=f"acct{i}",
                health=health,
                band=band,
                trend=draw(st.sampled_from(["up", "level", "down"])),
                components=components,
                renewal_date=renewal,
                renewal_months=(renewal - QUARTER_START).days // 31,
                arr=draw(st.integers(10_000, 2_000_000)),
                years=draw(st.floats(0, 10)),
                nps=draw(st.none() | st.floats(0, 10)),
                sponsor=draw(st.sampled_from([None, "vp", "director", "staff"])),
                contacts_known=True,
                open_problems=draw(st.integers(0, 4)),
            )
        )
    request = PlanRequest(
        quarter_start=QUARTER_START,
        hours_per_week=draw(st.sampled_from([4.0, 10.0, 40.0, 60.0])),
        existing_share=1.0,
        count=draw(st.none() | st.integers(1, 30)),
        deterministic_time=1.0,
    )
    return book, request


def _needs(facts: AccountFacts) -> list[str]:
    """What every plan must cover for an account, or say why it does not (a reference
    reading of the rules, independent of the planner's)."""
    needs = []
    renewal = facts.renewal_date
    if renewal is not None and QUARTER_START <= renewal <= QUARTER_END:
        needs.append("renewal")
    if facts.band == "red":
        needs.append("red")
    needs += [f"gap:{k}" for k, v in facts.components.items() if v is None]
    return needs


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books())
def test_generated_books_cover_every_need_or_say_why(case):
    book, request = case
    library = default_library()
    by_prefix = {a.prefix: a for a in library.activities.values()}
    found = compute_signals(book, request.day, QUARTER_START, library.rules)
    plan = plan_quarter(book, found, library, request)
    by_id = {f.external_id: f for f in book}
    mine: dict[str, list] = {}
    for a in plan.activities:
        mine.setdefault(a.client, []).append(a)
    uncovered = {(n.client, n.kind) for n in plan.uncovered}
    for facts in book:
        held = mine.get(facts.external_id, [])
        known = {k: v for k, v in facts.components.items() if v is not None}
        weakest = min(known, key=lambda k: known[k])
        for need in _needs(facts):
            if need == "renewal":
                met = any(
                    a.category == "retention" and a.start + timedelta(days=6) < facts.renewal_date
                    for a in held
                )
            elif need == "red":
                addressing = [
                    x
                    for x in [*plan.activities, *plan.left_out]
                    if x.client == facts.external_id
                    and weakest in by_prefix[x.reference.split("-")[0]].addresses
                ]
                met = any(
                    (weakest in by_prefix[a.reference.split("-")[0]].addresses)
                    if addressing
                    else a.category == "retention"
                    for a in held
                )
            else:
                component = need.split(":")[1]
                met = any(
                    a.category == "data"
                    and component in by_prefix[a.reference.split("-")[0]].addresses
                    for a in held
                )
            assert met or (facts.external_id, need.split(":")[0]) in uncovered, (
                facts.external_id,
                need,
                [a.reference for a in held],
                plan.uncovered,
            )
    happy = set()
    for facts in book:
        kinds = {s.kind for s in found[facts.external_id]}
        if "advocate_candidate" in kinds and not kinds & set(RISKS):
            happy.add(facts.external_id)
    for a in plan.activities:
        facts = by_id[a.client]
        if a.category == "expansion":
            assert facts.band == "green"
        if a.category == "advocacy":
            assert a.client in happy
            assert (facts.health or 0) >= 80
        if by_prefix[a.reference.split("-")[0]].key in ("risk_diagnosis", "recovery_plan"):
            assert facts.band != "green" or facts.trend == "down"
        assert a.why
    # Where candidates exist and the count leaves room besides the needs, the mix is kept.
    if request.count is not None and not plan.uncovered:
        candidates = Counter(x.category for x in [*plan.activities, *plan.left_out])
        counts = Counter(a.category for a in plan.activities)
        quotas = {k: round(library.mix[k] * request.count) for k in ("expansion", "advocacy")}
        covering = sum(len(_needs(f)) for f in book)
        room = request.count - covering
        if room >= sum(quotas.values()) and request.hours_per_week >= 40:
            for category, quota in quotas.items():
                assert counts[category] >= min(quota, candidates[category]), (category, counts)
