"""`tenure scorecard load/list/show`: versions, notes, warnings and refusals."""

from __future__ import annotations

from tests.conftest import contracts

CARD = """\
name = "smb"
description = "Small clients"
[applies_to]
segment = ["smb"]
[[components]]
key = "product"
weight = 0.6
  [[components.measures]]
  metric = "adoption_index"
  method = "steps"
  steps = [[0, 0], [10, 50], [40, 100]]
[[components]]
key = "sponsorship"
weight = 0.3
  [[components.measures]]
  metric = "sponsor_seniority"
  method = "identity"
"""


def test_load_makes_versions_and_says_what_it_did(initialised, files):
    path = str(files.text("smb.toml", CARD))
    first = initialised("scorecard", "load", path)
    assert "loaded scorecard 'smb' version 1" in first.stderr
    assert "component weights add up to 0.9, not 1: normalised to product 0.6667" in first.stderr
    # Nothing provides adoption_index yet; sponsor_seniority is a derived measure.
    assert "Warning: metric 'adoption_index': nothing provides it yet" in first.stderr
    assert "sponsor_seniority" not in first.stderr
    again = initialised("scorecard", "load", path)
    assert "scorecard 'smb' unchanged: still version 1" in again.stderr
    changed = str(files.text("smb.toml", CARD.replace("weight = 0.3", "weight = 0.4")))
    assert "loaded scorecard 'smb' version 2" in initialised("scorecard", "load", changed).stderr

    listed = initialised("scorecard", "list", "--format", "json").json()
    assert [(s["name"], s["version"], s["applies_to"]) for s in listed] == [
        ("enterprise", 1, "any account"),
        ("smb", 2, "segment: smb"),
    ]
    every = initialised("scorecard", "list", "--all", "--format", "json").json()
    assert [(s["name"], s["version"], s["current"]) for s in every] == [
        ("enterprise", 1, True),
        ("smb", 1, False),
        ("smb", 2, True),
    ]


def test_show_a_version_and_its_source(initialised, files):
    initialised("scorecard", "load", str(files.text("smb.toml", CARD)))
    shown = initialised("scorecard", "show", "smb", "--format", "json").json()
    head = shown["scorecard"][0]
    assert (head["name"], head["version"], head["current"]) == ("smb", 1, True)
    assert head["applies_to"] == {"tier": [], "segment": ["smb"], "lifecycle_stage": []}
    assert head["bands"] == {"red": 50, "amber": 74}
    assert [c["key"] for c in shown["components"]] == ["product", "sponsorship"]
    steps = shown["measures"][0]
    assert (steps["method"], steps["steps"], steps["window_days"]) == (
        "steps",
        [[0, 0], [10, 50], [40, 100]],
        30,
    )
    assert initialised("scorecard", "show", "smb", "--source").stdout == CARD
    assert "enterprise" in initialised("scorecard", "show", "enterprise").stdout
    missing = initialised("scorecard", "show", "smb", "--version", "7", ok=False)
    assert missing.code == 1
    assert "no scorecard 'smb version 7'" in missing.stderr


def test_a_bad_scorecard_is_refused_whole(initialised, files):
    bad = CARD.replace('method = "identity"', 'method = "idenity"').replace(
        "weight = 0.6", "weight = -1"
    )
    refused = initialised("scorecard", "load", str(files.text("bad.toml", bad)), ok=False)
    assert refused.code == 1
    assert "bad.toml: scorecard refused" in refused.stderr
    assert "bad.toml:7: components[product].weight: -1 is below 0" in refused.stderr
    assert (
        "bad.toml:17: components[sponsorship].measures[sponsor_seniority].method: 'idenity' is "
        "not a method" in refused.stderr
    )
    syntax = initialised(
        "scorecard", "load", str(files.text("syntax.toml", "name = smb\n")), ok=False
    )
    assert "syntax.toml:1: name: Invalid value (bad TOML)" in syntax.stderr
    nofile = initialised("scorecard", "load", "/nonexistent/card.toml", ok=False)
    assert "/nonexistent/card.toml: cannot read" in nofile.stderr
    listed = initialised("scorecard", "list", "--format", "json").json()
    assert [s["name"] for s in listed] == ["enterprise"]


def test_rules_pick_the_scorecard_per_account(initialised, files):
    initialised("scorecard", "load", str(files.text("smb.toml", CARD)))
    accounts = [
        {"external_id": "big", "name": "Big", "tier": "paid", "segment": "enterprise"},
        {"external_id": "small", "name": "Small", "tier": "paid", "segment": "smb"},
    ]
    initialised("import", "accounts", str(files.csv("a.csv", accounts)))
    initialised("import", "contracts", str(files.csv("k.csv", contracts(accounts))))
    metrics = [
        {"account_external_id": a, "metric": "adoption_index", "date": "2026-11-20", "value": "12"}
        for a in ("big", "small")
    ]
    initialised("import", "metrics", str(files.csv("m.csv", metrics)))
    records = {
        r["external_id"]: r
        for r in initialised("health", "--as-of", "2026-11-20", "--format", "json").json()
    }
    assert records["small"]["components"] == {"product": 50, "sponsorship": None}
    assert records["small"]["health"] == 50
    assert set(records["big"]["components"]) == {
        "product",
        "satisfaction",
        "support",
        "sponsorship",
    }
    why = initialised("health", "why", "small", "--as-of", "2026-11-20", "--format", "json").json()
    assert (why["health"][0]["scorecard"], why["health"][0]["scorecard_version"]) == ("smb", 1)
