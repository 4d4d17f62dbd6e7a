"""From imported CSV to `tenure health --format json`: a book with known component scores,
one with a component missing, and a history that moves some up and some down."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tenure.models import Account, AccountHealth

AS_OF = "2026-11-20"
EARLIER = "2026-10-21"  # AS_OF minus the trend window of 30 days

SCORECARD = """\
name = "enterprise"
[bands]
red = 50
amber = 74
[trend]
window_days = 30
threshold = 5
[[components]]
key = "product"
weight = 0.5
  [[components.measures]]
  metric = "product_score"
  method = "identity"
[[components]]
key = "satisfaction"
weight = 0.25
  [[components.measures]]
  metric = "nps_latest"
  method = "linear"
  floor = 0
  target = 10
  window_days = 365
[[components]]
key = "support"
weight = 0.125
  [[components.measures]]
  metric = "tickets_closed_48h_share_90d"
  method = "identity"
[[components]]
key = "sponsorship"
weight = 0.125
  [[components.measures]]
  metric = "sponsor_seniority"
  method = "identity"
"""

ANA, BOB = "ana@example.com", "bob@example.com"
ACCOUNTS = [
    ("acme", "Acme", ANA, "2023-05-20"),
    ("globex", "Globex", ANA, "2025-11-20"),
    ("initech", "Initech", BOB, "2024-01-01"),
    ("hooli", "Hooli", BOB, ""),
    ("umbrella", "Umbrella", BOB, "2020-01-01"),
    ("newco", "Newco", BOB, "2026-11-01"),
]
CONTRACTS = [
    ("k1", "acme", "2026-01-10", "2027-01-10", "100000"),
    ("k2", "acme", "2026-06-01", "2027-01-01", "20000"),  # overlapping contracts add up
    ("k3", "globex", "2025-11-20", "2027-05-20", "50000"),
    ("k4", "initech", "2026-11-20", "2027-11-20", "30000"),
    ("k5", "hooli", "2026-02-21", "2027-02-21", "10000"),
    ("k6", "umbrella", "2025-10-01", "2026-10-01", "5000"),  # ended: no renewal, no ARR
    # A client on both days: the contract before the one that starts on AS_OF.
    ("k0", "initech", "2025-11-20", "2026-11-20", "30000"),
    ("k7", "newco", "2026-11-01", "2027-11-01", "8000"),  # a client since 2026-11-01
]
CONTACTS = [
    ("p1", "acme", "c_level", "true"),
    ("p2", "acme", "staff", "false"),
    ("p3", "globex", "vp", "true"),
    ("p4", "initech", "director", "false"),  # contacts but no sponsor: 0
    ("p5", "hooli", "c_level", "true"),
]
# Tickets and surveys are dated before both days, so only product moves between them.
TICKETS = [
    ("t1", "acme", "2026-10-01T09:00:00Z", "2026-10-01T17:00:00Z", "question"),
    ("t2", "acme", "2026-10-05T09:00:00Z", "2026-10-06T09:00:00Z", "problem"),
    ("t3", "globex", "2026-10-02T09:00:00Z", "2026-10-03T09:00:00Z", "problem"),
    ("t4", "globex", "2026-10-03T09:00:00Z", "2026-10-09T09:00:00Z", "problem"),
]
SURVEYS = [
    ("s1", "acme", "carla@acme.com", "9", "2026-09-01T10:00:00Z"),
    ("s2", "acme", "dan@acme.com", "7", "2026-09-02T10:00:00Z"),
    ("s3", "initech", "ian@initech.com", "6", "2026-09-03T10:00:00Z"),
]
PRODUCT = {  # account: (score on EARLIER, score on AS_OF)
    "acme": (60, 80),
    "globex": (50, 40),
    "initech": (52.25, 61),
    "hooli": (68.125, 68.125),
    "newco": (None, 50),
}


@pytest.fixture
def book(initialised, files):
    cli = initialised
    cli(
        "import",
        "accounts",
        str(
            files.csv(
                "accounts.csv",
                [
                    {
                        "external_id": e,
                        "name": n,
                        "tier": "paid",
                        "segment": "enterprise",
                        "csm_email": c,
                        "customer_since": s,
                    }
                    for e, n, c, s in ACCOUNTS
                ],
            )
        ),
    )
    rows = [
        {
            "external_id": k,
            "account_external_id": a,
            "start_date": s,
            "end_date": e,
            "arr": arr,
            "currency": "USD",
            "status": "active",
        }
        for k, a, s, e, arr in CONTRACTS
    ]
    cli("import", "contracts", str(files.csv("contracts.csv", rows)))
    rows = [
        {
            "external_id": p,
            "account_external_id": a,
            "name": p.upper(),
            "seniority": s,
            "is_sponsor": sp,
        }
        for p, a, s, sp in CONTACTS
    ]
    cli("import", "contacts", str(files.csv("contacts.csv", rows)))
    rows = [
        {
            "external_id": t,
            "account_external_id": a,
            "opened_at": o,
            "closed_at": c,
            "kind": k,
        }
        for t, a, o, c, k in TICKETS
    ]
    cli("import", "tickets", str(files.csv("tickets.csv", rows)))
    rows = [
        {
            "external_id": s,
            "account_external_id": a,
            "contact_email": e,
            "kind": "nps",
            "sent_at": "2026-08-30T10:00:00Z",
            "score": score,
            "responded_at": r,
        }
        for s, a, e, score, r in SURVEYS
    ]
    cli("import", "surveys", str(files.csv("surveys.csv", rows)))
    rows = []
    for account, (before, now) in PRODUCT.items():
        for day, value in ((EARLIER, before), (AS_OF, now)):
            if value is not None:
                rows.append(
                    {
                        "account_external_id": account,
                        "metric": "product_score",
                        "date": day,
                        "value": value,
                    }
                )
    cli("import", "metrics", str(files.csv("metrics.csv", rows)))
    cli("scorecard", "load", str(files.text("enterprise.toml", SCORECARD)))
    return cli


def by_id(records):
    return {r["external_id"]: r for r in records}


def test_the_dashboard_scores_bands_renewals_and_trends(book):
    result = book("health", "--as-of", AS_OF, "--format", "json")
    records = by_id(result.json())
    assert records["acme"] == {
        "external_id": "acme",
        "name": "Acme",
        "csm_email": ANA,
        # 0.5 * 80 + 0.25 * 80 (NPS 9 and 7: mean 8) + 0.125 * 100 + 0.125 * 100 (c-level)
        "health": 85,
        "health_exact": 85.0,
        "band": "green",
        "trend": "up",  # 75 -> 85
        "renewal_months": 1,  # latest end among active contracts: 2027-01-10
        "renewal_band": "red",
        "arr": 120000.0,
        "years": 3.5,
        "components": {"product": 80, "satisfaction": 80, "support": 100, "sponsorship": 100},
    }
    # No survey: satisfaction's 25% is shared out among the others.
    globex = records["globex"]
    assert globex["components"] == {
        "product": 40,
        "satisfaction": None,
        "support": 50,  # one ticket closed within 48 hours, one after six days
        "sponsorship": 80,
    }
    assert globex["health_exact"] == pytest.approx((20 + 6.25 + 10) / 0.75, abs=1e-6)
    assert (globex["health"], globex["band"], globex["trend"]) == (48, "red", "down")
    assert (globex["renewal_months"], globex["renewal_band"], globex["arr"]) == (
        6,
        "amber",
        50000.0,
    )
    assert globex["years"] == 1.0
    # Exactly 5 points up (47 -> 52) is "up": the threshold is inclusive.
    initech = records["initech"]
    assert initech["components"] == {
        "product": 61,
        "satisfaction": 60,
        "support": None,
        "sponsorship": 0,
    }
    assert (initech["health"], initech["health_exact"], initech["band"]) == (52, 52.0, "amber")
    assert initech["trend"] == "up"
    assert (initech["renewal_months"], initech["renewal_band"]) == (12, "green")
    # 0.8 * 68.125 + 0.2 * 100 = 74.5 exactly: rounded half up to 75, so green not amber.
    hooli = records["hooli"]
    assert (hooli["health"], hooli["health_exact"], hooli["band"]) == (75, 74.5, "green")
    assert hooli["trend"] == "level"
    assert (hooli["renewal_months"], hooli["renewal_band"], hooli["years"]) == (3, "red", None)
    # Its only contract ended on 2026-10-01 with no renewal: churned, so out of the book.
    assert "umbrella" not in records
    # A customer since 2026-11-01 has no snapshot 30 days back: no trend.
    newco = records["newco"]
    assert (newco["health"], newco["band"], newco["trend"]) == (50, "red", None)
    # Red first, lowest first; unscored last.
    assert [r["external_id"] for r in result.json()] == [
        "globex",
        "newco",
        "initech",
        "hooli",
        "acme",
    ]
    # the day (5 clients), and 30 days back (4: newco started since, umbrella churned before)
    assert "computed 9 missing snapshots" in result.stderr


def test_one_csms_book_and_other_formats(book):
    mine = book("health", "--as-of", AS_OF, "--csm", ANA, "--format", "json").json()
    assert sorted(r["external_id"] for r in mine) == ["acme", "globex"]
    csv_text = book("health", "--as-of", AS_OF, "--csm", ANA, "--format", "csv").stdout
    header, first = csv_text.splitlines()[:2]
    assert header == (
        "external_id,name,csm_email,health,health_exact,band,trend,renewal_months,"
        "renewal_band,arr,years,product,satisfaction,support,sponsorship"
    )
    assert (
        first == "globex,Globex,ana@example.com,48,48.333333,red,down,6,amber,50000.0,1.0,40,,50,80"
    )
    table = book("health", "--as-of", AS_OF, "--csm", ANA).stdout
    assert "Acme" in table
    assert "↓ down" in table
    assert "no data" in table
    refused = book("health", "--csm", "nobody@example.com", ok=False)
    assert refused.code == 1
    assert "no user with email 'nobody@example.com'" in refused.stderr


def test_why_explains_the_score_and_what_moved(book):
    parts = book("health", "why", "globex", "--as-of", AS_OF, "--format", "json").json()
    head = parts["health"][0]
    # What the score is made of (weakest components against the bands, each with its
    # weakest measures), then what moved since the snapshot the trend compares with.
    assert head["why"] == (
        "48, red: weakest product 40 (red): product score 40 scores 40; support 50 (red): "
        "tickets closed 48h share 90d 50 scores 50; no data: satisfaction. "
        f"What moved: down 7 since {EARLIER}: product 50 -> 40, product score down 20% (50 -> 40)"
    )
    assert (head["health"], head["trend"], head["previous_date"]) == (48, "down", EARLIER)
    assert head["previous_health"] == 55
    components = {c["key"]: c for c in parts["components"]}
    assert components["satisfaction"]["score"] is None
    assert components["satisfaction"]["effective_weight"] == 0
    assert components["product"]["effective_weight"] == pytest.approx(0.5 / 0.75, abs=1e-6)
    assert sum(c["contribution"] for c in parts["components"]) == pytest.approx(
        head["health_exact"], abs=1e-5
    )
    measures = {m["metric"]: m for m in parts["measures"]}
    assert measures["product_score"]["change"] == "down 20% (50 -> 40)"
    assert measures["tickets_closed_48h_share_90d"]["value"] == 50.0
    assert measures["nps_latest"]["value"] is None
    assert sum(m["contribution"] for m in parts["measures"]) == pytest.approx(
        head["health_exact"], abs=1e-5
    )
    table = book("health", "why", "acme", "--as-of", AS_OF)
    assert f"up 10 since {EARLIER}: product 60 -> 80" in table.stderr
    missing = book("health", "why", "nope", ok=False)
    assert missing.code == 1
    assert "no account with external_id 'nope'" in missing.stderr


def test_a_csms_sentiment_is_a_measure(book, files):
    old = 'metric = "sponsor_seniority"\n  method = "identity"'
    assert old in SCORECARD
    card = SCORECARD.replace(
        old, 'metric = "csm_sentiment"\n  method = "identity"\n  window_days = 90'
    )
    book("scorecard", "load", str(files.text("v2.toml", card)))
    book(
        "note",
        "add",
        "acme",
        "Sponsor left",
        "--kind",
        "sentiment",
        "--sentiment",
        "amber",
        "--at",
        "2026-11-19T12:00:00+00:00",
    )
    acme = by_id(book("health", "--as-of", AS_OF, "--format", "json").json())["acme"]
    assert acme["components"]["sponsorship"] == 50
    # 0.5 * 80 + 0.25 * 80 + 0.125 * 100 + 0.125 * 50
    assert (acme["health"], acme["health_exact"]) == (79, 78.75)
    # Sentiment recorded after the day does not count on it.
    before = by_id(book("health", "--as-of", "2026-11-18", "--format", "json").json())["acme"]
    assert before["components"]["sponsorship"] is None


def test_the_dashboard_keeps_the_latest_health(book, session):
    book("health", "--as-of", AS_OF, "--format", "json")
    rows = dict(
        session.execute(
            select(Account.external_id, AccountHealth).join(
                AccountHealth, AccountHealth.account_id == Account.id
            )
        ).all()
    )
    globex = rows["globex"]
    assert (globex.date.isoformat(), globex.health, globex.band, globex.trend) == (
        AS_OF,
        48,
        "red",
        "down",
    )
    assert globex.components == {
        "product": 40,
        "satisfaction": None,
        "support": 50,
        "sponsorship": 80,
    }


def test_why_without_a_score(book):
    churned = book("health", "why", "umbrella", "--as-of", AS_OF, ok=False)
    assert "its contracts had ended (churned)" in churned.stderr
    # Before its contract ended, umbrella was a client with no data at all: no score.
    parts = book("health", "why", "umbrella", "--as-of", "2026-09-01", "--format", "json").json()
    head = parts["health"][0]
    assert head["why"] == "no score: none of the scorecard's measures has data"
    assert (head["health"], head["band"], head["trend"]) == (None, None, None)
    assert all(c["score"] is None and c["effective_weight"] == 0 for c in parts["components"])
    early = book("health", "why", "newco", "--as-of", EARLIER, ok=False)
    assert early.code == 1
    assert f"newco: no health on {EARLIER}: a customer only since 2026-11-01" in early.stderr
