"""Names for simulated companies and people, drawn from the simulation's random generator.

Everything here is made up; domains use the reserved `.example` top-level domain so no
generated address can reach a real mailbox.
"""

from __future__ import annotations

import numpy as np

_STEMS = (
    "Acorn Alder Amber Apex Arbor Argent Aster Aurora Basalt Beacon Birch Bluefin Boreal "
    "Bramble Brightwave Cairn Calder Canopy Cascade Cedar Cinder Cobalt Copper Coral Crest "
    "Cypress Delta Drift Ember Evergreen Falcon Fern Fjord Flint Garnet Glacier Granite Harbor "
    "Hazel Heron Horizon Indigo Iris Juniper Kestrel Lagoon Larch Linden Lumen Maple Meridian "
    "Mesa Mistral Monarch Nimbus Northwind Oakridge Onyx Orchid Osprey Pebble Pinnacle Quarry "
    "Quartz Raven Redwood Ridge Rowan Saffron Sage Sequoia Sierra Solstice Sparrow Spruce "
    "Summit Tamarack Tidewater Timber Topaz Tundra Umber Vale Verdant Willow Wren Zephyr"
).split()

INDUSTRIES = (
    "Manufacturing",
    "Consumer electronics",
    "Automotive",
    "Telecommunications",
    "Pharmaceuticals",
    "Building materials",
    "Food and beverage",
    "Software",
    "Logistics",
    "Office equipment",
)
INDUSTRY_SUFFIX: dict[str, tuple[str, ...]] = {
    "Manufacturing": ("Industries", "Manufacturing", "Works"),
    "Consumer electronics": ("Electronics", "Devices", "Digital"),
    "Automotive": ("Motors", "Automotive", "Mobility"),
    "Telecommunications": ("Telecom", "Networks", "Communications"),
    "Pharmaceuticals": ("Pharma", "Health", "Life Sciences"),
    "Building materials": ("Building Supply", "Materials", "Construction"),
    "Food and beverage": ("Foods", "Beverages", "Brands"),
    "Software": ("Software", "Systems", "Labs"),
    "Logistics": ("Logistics", "Freight", "Distribution"),
    "Office equipment": ("Office Solutions", "Imaging", "Workplace"),
}
SMALL_BUSINESS_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("E-commerce", ("Shop", "Store", "Goods", "Market")),
    ("Media", ("Media", "Studio", "Press", "Podcast")),
    ("Marketing agency", ("Agency", "Creative", "Marketing", "Growth")),
    ("Education", ("Academy", "Learning", "School", "Courses")),
    ("Non-profit", ("Foundation", "Trust", "Alliance", "Fund")),
    ("Events", ("Events", "Live", "Tickets", "Festival")),
    ("Software", ("Apps", "Labs", "Cloud", "Dev")),
)
REGIONS = ("North America", "Europe", "Latin America", "Asia Pacific", "Middle East and Africa")

FIRST_NAMES = (
    "Aisha Alex Amara Andre Anna Ben Bianca Carla Carlos Chen Chloe Daniel Diego Elena Emma "
    "Ethan Fatima Felix Grace Hana Hugo Ines Isaac Ivan Jada Jonas Julia Kai Kenji Lara Leo "
    "Lina Lucas Maya Mei Mia Nadia Noah Nora Omar Oscar Paula Priya Rafael Rosa Sam Sara Sofia "
    "Tariq Tom Uma Victor Wei Yara Yusuf Zoe"
).split()
LAST_NAMES = (
    "Adams Ahmed Alvarez Andersen Baker Bauer Bianchi Brown Castro Chen Cohen Costa Dubois "
    "Evans Fischer Garcia Gomez Haddad Hansen Ito Jensen Kaur Khan Kim Kowalski Lee Lopez "
    "Martin Meyer Moreau Murphy Nakamura Nguyen Novak Okafor Olsen Patel Perez Petrov Rossi "
    "Santos Schmidt Silva Singh Smith Suzuki Tanaka Torres Vargas Wagner Walsh Weber Wong Yilmaz"
).split()

# Sponsor titles by seniority; the sponsor is the buying decision-maker.
SPONSOR_TITLES: dict[str, tuple[str, ...]] = {
    "c_level": ("Chief Sales Officer", "Chief Revenue Officer", "Chief Marketing Officer"),
    "vp": ("VP Channel Sales", "VP Partner Programs", "VP Sales"),
    "director": ("Director of Channel Marketing", "Director of Partner Success"),
    "manager": ("Channel Program Manager", "Partner Marketing Manager"),
}
USER_TITLES: dict[str, tuple[str, ...]] = {
    "director": ("Director of Sales Operations", "Director of Partner Enablement"),
    "manager": ("Partner Program Manager", "Channel Operations Manager", "Sales Ops Manager"),
    "staff": ("Partner Marketing Specialist", "Channel Analyst", "Program Coordinator"),
}
OTHER_CONTACT_TITLES = ("Procurement Manager", "Finance Business Partner", "IT Administrator")

NPS_COMMENTS: dict[str, tuple[str, ...]] = {
    "low": (
        "Reporting is too slow for our quarterly reviews.",
        "Our partners find the portal hard to use.",
        "Support took days to answer a blocking problem.",
        "We are not getting the adoption we expected.",
    ),
    "mid": (
        "Works well, but setup of new incentive rules is tedious.",
        "Good product; we would like more integrations.",
        "Fine for now, pricing is a concern at renewal.",
    ),
    "high": (
        "Our partners love the leaderboards.",
        "The team is responsive and the platform just works.",
        "It changed how we run our channel programs.",
        "Great results from the last campaign.",
    ),
}
SHORTENER_COMMENTS: dict[str, tuple[str, ...]] = {
    "low": ("Redirects were slow last week.", "Too expensive for what we use."),
    "mid": ("Does the job.", "Would like custom domains on the cheaper plan."),
    "high": ("Click statistics are exactly what we needed.", "Campaign tracking works great."),
}
TICKET_SUBJECTS: dict[str, tuple[str, ...]] = {
    "question": (
        "How do I export the partner report?",
        "Adding a new administrator",
        "Setting up a quarterly incentive rule",
        "Where do I change notification emails?",
        "Training material for new partners",
    ),
    "problem": (
        "Points not credited after claim approval",
        "Dashboard fails to load",
        "Single sign-on error for some partners",
        "Leaderboard shows wrong totals",
        "Import of partner list times out",
    ),
}
SHORTENER_SUBJECTS: dict[str, tuple[str, ...]] = {
    "question": ("How do I add a custom domain?", "Bulk-creating links from a CSV"),
    "problem": ("Short link redirects slowly", "Click counts missing for yesterday"),
}


def company_name(rng: np.random.Generator, suffixes: tuple[str, ...], taken: set[str]) -> str:
    """A fresh company name (two stems when single ones run out), unique within `taken`."""
    for attempt in range(1000):
        stem = str(rng.choice(_STEMS))
        if attempt > 20:
            stem = f"{stem}{str(rng.choice(_STEMS)).lower()}"
        name = f"{stem} {rng.choice(suffixes)}"
        if name not in taken:
            taken.add(name)
            return name
    raise RuntimeError("ran out of company names")  # unreachable with the pools above


def domain_of(name: str) -> str:
    return "-".join(name.lower().split()) + ".example"


def person_name(rng: np.random.Generator) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def email_of(person: str, domain: str, taken: set[str]) -> str:
    local = ".".join(person.lower().split())
    email = f"{local}@{domain}"
    number = 2
    while email in taken:
        email = f"{local}{number}@{domain}"
        number += 1
    taken.add(email)
    return email
