"""The one TOML checker: every problem of a file at once, each as `FILE:LINE: name: why`."""

from __future__ import annotations

import re

import pytest

from tenure.health.scorecards import parse_scorecard
from tenure.kit.errors import TenureError
from tenure.kit.toml_check import parse_toml, path_name
from tenure.usage.catalogue import parse_catalogue

# A missing key has no line of its own: then the file alone.
FORMAT = re.compile(r"^[^:]+(:\d+)?: [^:]+: .+$")

TEXT = """\
title = 3
[limits]
low = -1
high = "lots"

[[items]]
name = "a"
colour = "red"

[[items]]
name = "b"
count = true
"""


def problems(text: str, file: str = "c.toml") -> list[str]:
    data, check = parse_toml(text, file, "config refused")
    check.text(data, "title", ())
    limits = check.table(data, "limits", ())
    check.number(limits, "low", ("limits",), minimum=0)
    check.number(limits, "high", ("limits",))
    for index, item in enumerate(data["items"]):
        check.keys(item, ("name", "count"), ("items", index))
        check.integer(item, "count", ("items", index), None, default=0, minimum=0)
    with pytest.raises(TenureError) as caught:
        check.refuse()
    assert caught.value.message == f"{file}: config refused"
    return caught.value.problems


def test_every_problem_is_reported_with_its_line_and_key_path():
    assert problems(TEXT) == [
        "c.toml:1: title: 3 is not a string",
        "c.toml:3: limits.low: -1 is below 0",
        "c.toml:4: limits.high: 'lots' is not a number",
        "c.toml:8: items[0].colour: unknown key; expected one of name, count",
        "c.toml:12: items[1].count: True is not a whole number",
    ]


def test_a_clean_file_is_not_refused():
    data, check = parse_toml('title = "x"\n', "ok.toml", "config refused")
    assert check.text(data, "title", ()) == "x"
    check.refuse()
    assert check.problems == []


def test_bad_toml_names_its_line_and_key():
    with pytest.raises(TenureError) as caught:
        parse_toml('a = 1\nb = "open\n', "bad.toml", "config refused")
    assert caught.value.message == "bad.toml: config refused"
    [problem] = caught.value.problems
    assert problem.startswith("bad.toml:2: b: ")
    assert problem.endswith("(bad TOML)")


def test_a_key_defined_twice_is_named():
    with pytest.raises(TenureError) as caught:
        parse_toml("[a]\nx = 1\n[a]\ny = 2\n", "twice.toml", "config refused")
    assert caught.value.problems == ["twice.toml:3: [a]: Cannot declare ('a',) twice (bad TOML)"]


def test_path_names_read_as_toml_writes_them():
    assert path_name(("components", 1, "measures", 0, "method")) == (
        "components[1].measures[0].method"
    )
    assert path_name(()) == ""


CATALOGUE = """\
[[metrics]]
name = "logins_28d"
aggregation = "count"
window_days = 0

[[metrics]]
name = "ratio"
aggregation = "ratio"
numerator = "logins_28d"
denominator = "nothing"
"""


def test_the_catalogue_and_the_scorecards_speak_the_same_format():
    with pytest.raises(TenureError) as caught:
        parse_catalogue(CATALOGUE.replace("window_days = 0", "colour = 1"), "m.toml")
    assert caught.value.message == "m.toml: metric catalogue refused"
    assert caught.value.problems == ["m.toml:4: metrics[1].colour: 1: unknown key"]
    with pytest.raises(TenureError) as caught:
        parse_catalogue(CATALOGUE, "m.toml")
    assert caught.value.problems == [
        "m.toml:4: metrics[logins_28d].window_days: 0: a whole number of days, 1-731"
    ]
    with pytest.raises(TenureError) as caught:
        parse_catalogue(CATALOGUE.replace("window_days = 0", "window_days = 28"), "m.toml")
    assert caught.value.problems == [
        "m.toml:10: metrics[ratio].denominator: 'nothing': no such metric"
    ]
    with pytest.raises(TenureError) as scorecard:
        parse_scorecard('name = "x"\n[bands]\nred = "low"\n', "s.toml")
    for problem in [*caught.value.problems, *scorecard.value.problems]:
        assert FORMAT.match(problem), problem


def test_catalogue_cycles_and_repeats_point_at_a_line():
    text = """\
[[metrics]]
name = "a"
aggregation = "ratio"
numerator = "b"
denominator = "b"

[[metrics]]
name = "b"
aggregation = "ratio"
numerator = "a"
denominator = "a"

[[metrics]]
name = "a"
aggregation = "count"
"""
    with pytest.raises(TenureError) as caught:
        parse_catalogue(text, "loop.toml")
    assert caught.value.problems == ["loop.toml:14: metrics[3].name: 'a': defined twice"]
    with pytest.raises(TenureError) as caught:
        parse_catalogue(text.rsplit("\n\n", 1)[0] + "\n", "loop.toml")
    assert caught.value.problems == [
        "loop.toml:1: metrics[a]: a -> b -> a: metrics refer to each other"
    ]
