"""The "Checked by" book of issue 6: 15 accounts like the enterprise example (health of 50%
product, 25% satisfaction, 12.5% support, 12.5% sponsorship; ARR; renewals; satisfaction missing
for one), for a CSM who also onboards 5 new clients at half the hours.

The same book serves the planner core (as AccountFacts) and the command line (as import files
and a scorecard whose components read imported scores).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from tenure.kit.dates import whole_months_between
from tenure.plans.playbooks import Library, default_library
from tenure.plans.signals import AccountFacts
from tests.scorecards import ISSUE_SCORECARD

QUARTER_START = date(2027, 1, 4)
EARLIER = QUARTER_START - timedelta(days=30)  # the trend's earlier day
CSM = "ana@example.com"
WEIGHTS = {"product": 0.5, "satisfaction": 0.25, "support": 0.125, "sponsorship": 0.125}


@dataclass(frozen=True)
class Client:
    external_id: str
    components: dict[str, int | None]
    product_before: int  # product score 30 days earlier (moves the trend)
    renewal_in_days: int  # the active contract ends this many days after the quarter start
    arr: int
    years: float
    nps: float | None = None

    def health_exact(self, product: int | None = None) -> float:
        scores = dict(self.components)
        if product is not None:
            scores["product"] = product
        known = {k: v for k, v in scores.items() if v is not None}
        weight = sum(WEIGHTS[k] for k in known)
        return sum(WEIGHTS[k] * v for k, v in known.items()) / weight

    @property
    def health(self) -> int:
        return int(Decimal(str(self.health_exact())).quantize(Decimal(1), ROUND_HALF_UP))

    @property
    def weakest(self) -> str:
        """The lowest-scoring component (the first in the scorecard's order on a tie)."""
        known = {k: v for k, v in self.components.items() if v is not None}
        return min(known, key=lambda k: known[k])

    @property
    def band(self) -> str:
        return "red" if self.health <= 50 else "amber" if self.health <= 74 else "green"

    @property
    def trend(self) -> str:
        change = self.health_exact() - self.health_exact(self.product_before)
        return "up" if change >= 5 else "down" if change <= -5 else "level"

    @property
    def renewal(self) -> date:
        return QUARTER_START + timedelta(days=self.renewal_in_days)

    @property
    def customer_since(self) -> date:
        return QUARTER_START - timedelta(days=round(self.years * 365.25))

    def facts(self) -> AccountFacts:
        return AccountFacts(
            external_id=self.external_id,
            name=self.external_id.title(),
            csm_email=CSM,
            health=self.health,
            band=self.band,
            trend=self.trend,
            components=dict(self.components),
            renewal_months=whole_months_between(QUARTER_START, self.renewal),
            renewal_date=self.renewal,
            arr=float(self.arr),
            years=self.years,
            nps=self.nps,
        )


def c(p: int, s: int | None, su: int, sp: int) -> dict[str, int | None]:
    return {"product": p, "satisfaction": s, "support": su, "sponsorship": sp}


BOOK = [
    # Red, renewing inside the quarter (day 40), falling.
    Client("alpha", c(30, 40, 60, 60), 50, 40, 400_000, 3),
    # Red, weak product, renewal far off.
    Client("bravo", c(30, 55, 55, 55), 30, 250, 250_000, 2),
    # Amber and falling, renewing inside the quarter (day 70).
    Client("charlie", c(60, 60, 70, 60), 75, 70, 300_000, 4),
    # Amber, no satisfaction data at all.
    Client("delta", c(72, None, 65, 80), 72, 150, 150_000, 1.5),
    # Green, rising, very happy, a long-standing client: expansion and advocacy.
    Client("echo", c(90, 92, 85, 100), 75, 300, 500_000, 5, nps=9.5),
    # Green and happy: advocacy.
    Client("foxtrot", c(88, 90, 80, 80), 88, 330, 200_000, 3, nps=9.2),
    # Green and rising, satisfaction only fair: expansion, not advocacy.
    Client("golf", c(82, 76, 75, 60), 70, 270, 180_000, 2),
    # Green but a client for half a year only: nothing to do this quarter.
    Client("hotel", c(80, 75, 75, 70), 80, 210, 120_000, 0.5),
    # Amber, renewal in 4 months, no real sponsor: at risk.
    Client("india", c(60, 60, 55, 20), 60, 120, 220_000, 3),
    # Amber and rising: nothing urgent.
    Client("juliet", c(70, 65, 60, 60), 58, 360, 90_000, 2),
    # Green, renewing inside the quarter (day 45).
    Client("kilo", c(85, 80, 60, 60), 85, 45, 350_000, 6),
    # Red and falling, renewal just after the quarter (day 100).
    Client("lima", c(20, 55, 50, 55), 40, 100, 600_000, 2),
    # Green, delighted, a reference already: advocacy.
    Client("mike", c(95, 92, 90, 100), 95, 180, 410_000, 4, nps=10),
    # Amber, renewing inside the quarter (day 80).
    Client("november", c(75, 70, 68, 80), 75, 80, 130_000, 1),
    # Amber and falling, with weak support.
    Client("oscar", c(58, 62, 45, 60), 70, 300, 80_000, 3),
]
BY_ID = {client.external_id: client for client in BOOK}
RED = {c.external_id for c in BOOK if c.band == "red"}
RENEWING = {c.external_id for c in BOOK if c.renewal_in_days <= 90}
DATA_GAPS = {c.external_id for c in BOOK if None in c.components.values()}
HEALTHY = {c.external_id for c in BOOK if c.band == "green"}
# Clearly happy: health 80 or more, satisfaction 80 or more, NPS 9 or more when known, a year
# a client.
HAPPY = {
    c.external_id
    for c in BOOK
    if c.health >= 80
    and (c.components["satisfaction"] or 0) >= 80
    and (c.nps is None or c.nps >= 9)
    and c.years >= 1
}

# The issue's own enterprise scorecard: 50% product, 25% satisfaction, 12.5% support and
# 12.5% sponsorship, each read from an imported 0-100 metric.
SCORECARD = ISSUE_SCORECARD


def import_rows() -> dict[str, list[dict[str, object]]]:
    """The book as import files (accounts, contracts, surveys, metrics)."""
    accounts = [
        {
            "external_id": cl.external_id,
            "name": cl.external_id.title(),
            "tier": "paid",
            "segment": "enterprise",
            "csm_email": CSM,
            "customer_since": cl.customer_since.isoformat(),
        }
        for cl in BOOK
    ]
    contracts = [
        {
            "external_id": f"k-{cl.external_id}",
            "account_external_id": cl.external_id,
            "start_date": (cl.renewal - timedelta(days=365)).isoformat(),
            "end_date": cl.renewal.isoformat(),
            "arr": str(cl.arr),
            "currency": "USD",
            "status": "active",
        }
        for cl in BOOK
    ]
    surveys = [
        {
            "external_id": f"s-{cl.external_id}",
            "account_external_id": cl.external_id,
            "contact_email": f"sponsor@{cl.external_id}.example",
            "kind": "nps",
            "sent_at": "2026-10-01T00:00:00Z",
            "score": str(int(cl.nps)),
            "responded_at": "2026-10-02T00:00:00Z",
        }
        for cl in BOOK
        if cl.nps is not None
    ]
    metrics = []
    for cl in BOOK:
        for key, score in cl.components.items():
            if score is None:
                continue
            metrics.append(
                {
                    "account_external_id": cl.external_id,
                    "metric": f"{key}_score",
                    "date": QUARTER_START.isoformat(),
                    "value": score,
                }
            )
            before = cl.product_before if key == "product" else score
            metrics.append(
                {
                    "account_external_id": cl.external_id,
                    "metric": f"{key}_score",
                    "date": EARLIER.isoformat(),
                    "value": before,
                }
            )
    return {"accounts": accounts, "contracts": contracts, "surveys": surveys, "metrics": metrics}


def check_plan(parts: dict[str, list[dict[str, object]]], hours_per_week: float = 40) -> None:
    """What a good CSM's plan for this book looks like, and the rules every plan keeps.

    `parts` is the plan's JSON object (dates as ISO text or dates)."""
    activities = [_dated(a) for a in parts["activities"]]
    onboarding = [_dated(a) for a in parts["onboarding"]]
    weeks = [_dated(w) for w in parts["weeks"]]
    assert len(weeks) == 13
    # Within capacity, week by week, for existing clients and for onboarding apart.
    for week in weeks:
        start = week["start"]
        used = sum(float(a["duration_hours"]) for a in activities if a["start"] == start)
        onboarding_used = sum(float(a["duration_hours"]) for a in onboarding if a["start"] == start)
        assert abs(used - float(week["hours"])) < 1e-6
        assert abs(onboarding_used - float(week["onboarding_hours"])) < 1e-6
        assert float(week["capacity"]) == hours_per_week / 2
        assert used <= float(week["capacity"]) + 1e-9
        assert onboarding_used <= float(week["onboarding_capacity"]) + 1e-9
    for group in (activities, onboarding):
        starts = {a["reference"]: a["start"] for a in group}
        for a in group:
            # Deadlines met: the activity's week is over by its deadline.
            assert a["start"] + timedelta(days=6) <= a["deadline"], a
            assert QUARTER_START <= a["start"] <= QUARTER_START + timedelta(days=84)
            assert (a["start"] - QUARTER_START).days % 7 == 0
            # Dependencies in an earlier or the same week.
            for needed in a["dependencies"]:
                assert needed in starts, (a["reference"], needed)
                assert starts[needed] <= a["start"]
    by_client: dict[str, list[dict[str, object]]] = {}
    for a in activities:
        by_client.setdefault(str(a["client"]), []).append(a)
    # Every renewal inside the quarter is protected before its date.
    for client in RENEWING:
        mine = by_client.get(client, [])
        assert any("renewal_in_quarter" in a["signals"] for a in mine), client
        for a in mine:
            if a["category"] in ("retention", "data"):
                assert a["start"] + timedelta(days=6) < BY_ID[client].renewal, a
    # Every red account and every data gap is addressed.
    for client in RED:
        assert any(a["category"] == "retention" for a in by_client.get(client, [])), client
    for client in DATA_GAPS:
        assert any(
            a["category"] == "data" and "data_gap" in a["signals"]
            for a in by_client.get(client, [])
        ), client
    # Expansion only for healthy accounts, case studies only for clearly happy clients.
    for a in activities:
        if a["category"] == "expansion":
            assert a["client"] in HEALTHY, a
        if a["category"] == "advocacy":
            assert a["client"] in HAPPY, a
    # Onboarding: every new client's whole onboarding, apart from the rest.
    assert len(onboarding) == 25
    assert {a["category"] for a in onboarding} == {"onboarding"}
    assert all(a["category"] != "onboarding" for a in activities)


def _dated(record: dict[str, object]) -> dict[str, object]:
    out = dict(record)
    for key in ("start", "deadline"):
        value = out.get(key)
        if isinstance(value, str):
            out[key] = date.fromisoformat(value)
    return out


# Not a sensible activity for a green account whose health is not falling.
RISK_WORK = ("risk_diagnosis", "recovery_plan")
# How many activities of each kind a 25-activity plan of this book holds at least: "several".
SEVERAL = 3


def check_priorities(
    parts: dict[str, list[dict[str, object]]], library: Library | None = None
) -> None:
    """What the three priorities ask of a `--count 25` plan of this book: every renewal in the
    quarter protected in time, every red account's weakest component and every data gap
    addressed, several expansions only on healthy accounts, several advocacy activities (case
    study requests among them) only for clearly happy clients, and each activity saying why."""
    library = library or default_library()
    by_prefix = {a.prefix: a for a in library.activities.values()}
    activities = [_dated(a) for a in parts["activities"]]

    def kind(a: dict[str, object]) -> str:
        return by_prefix[str(a["reference"]).split("-")[0]].key

    def addresses(a: dict[str, object]) -> tuple[str, ...]:
        return by_prefix[str(a["reference"]).split("-")[0]].addresses

    by_client: dict[str, list[dict[str, object]]] = {}
    for a in activities:
        by_client.setdefault(str(a["client"]), []).append(a)
    for client in RENEWING:
        renewal = BY_ID[client].renewal
        assert any(
            a["category"] == "retention"
            and "renewal_in_quarter" in a["signals"]
            and a["start"] + timedelta(days=6) < renewal
            for a in by_client.get(client, [])
        ), client
    for client in RED:
        weakest = BY_ID[client].weakest
        assert any(weakest in addresses(a) for a in by_client.get(client, [])), (client, weakest)
    for client in DATA_GAPS:
        gaps = [k for k, v in BY_ID[client].components.items() if v is None]
        for gap in gaps:
            assert any(
                a["category"] == "data" and gap in addresses(a) for a in by_client.get(client, [])
            ), (client, gap)
    expansion = [a for a in activities if a["category"] == "expansion"]
    assert len(expansion) >= SEVERAL, expansion
    assert {a["client"] for a in expansion} <= HEALTHY
    advocacy = [a for a in activities if a["category"] == "advocacy"]
    assert len(advocacy) >= SEVERAL, advocacy
    assert {a["client"] for a in advocacy} <= HAPPY
    assert sum(1 for a in advocacy if kind(a) == "case_study_request") >= 1
    retention = [a for a in activities if a["category"] in ("retention", "data", "adoption")]
    # Still retention first: it holds the most activities.
    assert len(retention) > max(len(expansion), len(advocacy))
    for a in activities:
        client = BY_ID[str(a["client"])]
        if kind(a) in RISK_WORK:
            assert client.band != "green" or client.trend == "down", a
    # Coverage before depth: nobody gets five activities while others wait.
    assert max(len(mine) for mine in by_client.values()) <= 4, {
        c: [a["reference"] for a in mine] for c, mine in by_client.items()
    }
    # Each activity says why it was chosen, in the account's own figures.
    for a in activities:
        client = BY_ID[str(a["client"])]
        why = str(a["why"])
        assert f"health {client.health}" in why, a
        assert f"weakest: {client.weakest}" in why, a
        if client.external_id in RENEWING:
            assert f"renewal on {client.renewal.isoformat()}" in why, a
