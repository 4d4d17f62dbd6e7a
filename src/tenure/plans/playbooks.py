"""Playbooks as configuration: a TOML library of activities and the playbooks that create them.

A library has four parts (docs/plans.md describes the format; `default_playbooks.toml` is the
library shipped with Tenure):

- `[priorities]`: the value of each category (retention before expansion before advocacy);
- `[signals]`: thresholds behind the signals (`SignalRules`);
- `[activities.KEY]`: what a CSM does, with a reference prefix, category, description, purpose,
  intended results, measurement, hours, deadline rule, dependencies and notes;
- `[[playbooks]]`: a trigger over signals and account fields, and the activities it creates.

Everything here is pure: text in, dataclasses out. Any mistake is refused with the file, line
and key named, every problem at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from importlib import resources
from typing import Any

from tenure.kit.toml_check import TomlChecker, parse_toml
from tenure.kit.toml_lines import Path
from tenure.plans.scheduler import find_cycle
from tenure.plans.signals import KINDS, AccountFacts, Signal, SignalRules

CATEGORIES = ("retention", "expansion", "advocacy", "adoption", "onboarding", "data")
DEFAULT_PRIORITIES = {
    "retention": 100.0,
    "data": 120.0,
    "expansion": 30.0,
    "adoption": 20.0,
    "advocacy": 10.0,
    "onboarding": 100.0,
}
# Multipliers on the value of retention and data work for an account with these signals, and
# on any activity whose deadline has passed.
DEFAULT_URGENCY = {
    "renewal_in_quarter": 2.0,
    "red_health": 1.5,
    "falling_health": 1.25,
    "past_deadline": 1.5,
}
# Coverage before depth: what covering each need is worth, in multiples of the plan's most
# valuable single activity, so that every renewal inside the quarter, red account and data gap
# gets its first activity before anyone gets a second one of the same kind.
DEFAULT_COVERAGE = {
    "renewal_in_quarter": 4.0,
    "red_health": 3.0,
    "data_gap": 3.0,
}
# The mix of a `--count` plan: the share of its activities kept for expansion and for advocacy
# when candidates exist (retention has the rest, and comes first), and what a second activity
# of the same kind for the same account is worth next to the first (a third: that squared).
DEFAULT_MIX = {
    "expansion": 0.2,
    "advocacy": 0.2,
    "repeat": 0.5,
}
MIX_SHARES = ("expansion", "advocacy")
DEFAULT_FILE = "default_playbooks.toml (shipped with Tenure)"
KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
PREFIX = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")
LIST_FIELDS = ("band", "trend", "tier", "segment", "lifecycle_stage", "renewal_band")
RANGE_FIELDS = ("health", "arr", "years", "renewal_months")
ANCHORS = {
    "renewal": "renewal",
    "end of quarter": "quarter_end",
    "quarter end": "quarter_end",
    "start of quarter": "quarter_start",
    "quarter start": "quarter_start",
    "start": "start",
}
_RULE = re.compile(
    r"^(?:(?P<n>\d+)\s+(?P<unit>days?|weeks?)\s+(?P<dir>before|after)\s+)?(?P<anchor>.+)$"
)


@dataclass(frozen=True)
class DateRule:
    """A day relative to an anchor: the renewal, the quarter's start or end, or the client's
    start (onboarding). `days` is added to the anchor (negative = before)."""

    anchor: str
    days: int
    text: str

    def resolve(
        self, quarter_start: date, quarter_end: date, renewal: date | None, start: date
    ) -> date | None:
        """The day, or None when it hangs on a renewal that is not known."""
        anchors = {
            "quarter_start": quarter_start,
            "quarter_end": quarter_end,
            "renewal": renewal,
            "start": start,
        }
        day = anchors[self.anchor]
        return None if day is None else day + timedelta(days=self.days)


def parse_rule(text: str) -> DateRule:
    """'45 days before renewal', 'end of quarter', '2 weeks after start', 'before renewal'."""
    cleaned = " ".join(text.lower().split())
    if cleaned == "before renewal":
        return DateRule("renewal", -1, text)
    found = _RULE.match(cleaned)
    if not found or found.group("anchor") not in ANCHORS:
        raise ValueError(
            f"{text!r} is not a date rule; write e.g. '45 days before renewal', "
            "'end of quarter', '2 weeks after start' or 'before renewal'"
        )
    days = 0
    if found.group("n"):
        days = int(found.group("n")) * (7 if found.group("unit").startswith("week") else 1)
        if found.group("dir") == "before":
            days = -days
    return DateRule(ANCHORS[found.group("anchor")], days, text)


@dataclass(frozen=True)
class ActivityDef:
    key: str
    prefix: str
    category: str
    description: str
    purpose: str
    results: str
    measurement: str
    hours: float
    deadline: DateRule
    earliest: DateRule | None = None
    depends_on: tuple[str, ...] = ()
    notes: str = ""
    # The health components (or "health") this activity works on: what it covers for a red
    # account whose weakest component it is, or for a data gap.
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Where:
    """Account-field conditions: each listed field's value in its list; numbers in range."""

    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    ranges: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)

    def holds(self, facts: AccountFacts) -> bool:
        for name, allowed in self.values.items():
            if getattr(facts, name) not in allowed:
                return False
        for name, (low, high) in self.ranges.items():
            value = getattr(facts, name)
            if value is None:
                return False
            if (low is not None and value < low) or (high is not None and value > high):
                return False
        return True


@dataclass(frozen=True)
class Playbook:
    key: str
    name: str
    activities: tuple[str, ...]
    when: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    where: Where = field(default_factory=Where)
    onboarding: bool = False
    weight: float = 1.0

    def answers(self, facts: AccountFacts, signals: Sequence[Signal]) -> list[str] | None:
        """The account's signals this playbook answers when it applies, None when it does not.

        It applies when the account has any signal listed in `when` (all accounts when the
        list is empty), none listed in `unless`, and its fields pass `where`.
        """
        if self.onboarding:
            return None
        matched = [s for s in signals if any(_matches(spec, s) for spec in self.when)]
        if self.when and not matched:
            return None
        if any(_matches(spec, s) for spec in self.unless for s in signals):
            return None
        if not self.where.holds(facts):
            return None
        return list(dict.fromkeys(s.kind for s in matched))


def _matches(spec: str, signal: Signal) -> bool:
    kind, _, subject = spec.partition(":")
    return signal.kind == kind and (not subject or signal.subject == subject)


@dataclass(frozen=True)
class Library:
    priorities: Mapping[str, float]
    urgency: Mapping[str, float]
    rules: SignalRules
    activities: Mapping[str, ActivityDef]
    playbooks: tuple[Playbook, ...]
    file: str = DEFAULT_FILE
    coverage: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_COVERAGE))
    mix: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))

    @property
    def onboarding(self) -> list[Playbook]:
        return [p for p in self.playbooks if p.onboarding]


def default_source() -> str:
    return resources.files("tenure.plans").joinpath("default_playbooks.toml").read_text()


def default_library() -> Library:
    return parse_library(default_source(), DEFAULT_FILE)


# -- reading and checking ---------------------------------------------------------------------


def _text(
    check: TomlChecker, data: Mapping[str, Any], key: str, path: Path, required: bool = False
) -> str:
    """A string, stripped; a required one missing or blank is a problem."""
    if data.get(key) is None:
        if required:
            check.problem((*path, key), None, "missing")
        return ""
    value = check.text(data, key, path).strip()
    if required and not value and isinstance(data[key], str):
        check.problem((*path, key), None, "is empty")
    return value


def parse_library(text: str, file: str = "<playbooks>") -> Library:
    """Check a playbook library written in TOML; raise TenureError listing every problem."""
    data, check = parse_toml(text, file, "playbooks refused")
    check.keys(
        data,
        (
            "description",
            "priorities",
            "urgency",
            "coverage",
            "mix",
            "signals",
            "activities",
            "playbooks",
        ),
        (),
    )
    priorities = _numbers(check, data, "priorities", DEFAULT_PRIORITIES)
    urgency = _numbers(check, data, "urgency", DEFAULT_URGENCY)
    coverage = _numbers(check, data, "coverage", DEFAULT_COVERAGE)
    mix = _numbers(check, data, "mix", DEFAULT_MIX)
    for key in (*MIX_SHARES, "repeat"):
        if mix[key] > 1:
            check.problem(("mix", key), None, f"{mix[key]:g}: a share, at most 1")
    if sum(mix[k] for k in MIX_SHARES) > 1:
        shares = " + ".join(f"{k} {mix[k]:g}" for k in MIX_SHARES)
        check.problem(("mix",), None, f"{shares} is more than the whole plan (at most 1)")
    rules = _rules(check, data)
    activities = _activities(check, data)
    playbooks = _playbooks(check, data, activities)
    check.refuse()
    return Library(priorities, urgency, rules, activities, playbooks, file, coverage, mix)


def _numbers(
    check: TomlChecker, data: Mapping[str, Any], name: str, defaults: Mapping[str, float]
) -> dict[str, float]:
    table = check.table(data, name, ())
    check.keys(table, list(defaults), (name,))
    out = dict(defaults)
    for key, default in defaults.items():
        value = check.number(table, key, (name,), default=default, minimum=0)
        if value is not None:
            out[key] = value
    return out


def _rules(check: TomlChecker, data: Mapping[str, Any]) -> SignalRules:
    table = check.table(data, "signals", ())
    defaults = SignalRules()
    names = [f.name for f in fields(SignalRules)]
    check.keys(table, names, ("signals",))
    values: dict[str, Any] = {}
    for name, given in table.items():
        if name not in names:
            continue
        default = getattr(defaults, name)
        path: Path = ("signals", name)
        if isinstance(default, tuple):
            values[name] = check.strings(table, name, ("signals",))
        elif isinstance(default, str):
            values[name] = _text(check, table, name, ("signals",), required=True)
        elif isinstance(default, Mapping):
            if not isinstance(given, dict) or not all(isinstance(v, str) for v in given.values()):
                check.problem(path, None, "should be a table of units = metric name")
            else:
                values[name] = dict(given)
        elif isinstance(default, int) and not isinstance(default, bool):
            if isinstance(given, bool) or not isinstance(given, int) or given < 0:
                check.problem(path, None, f"{given!r} is not a whole number 0 or above")
            else:
                values[name] = given
        else:
            number = check.number(table, name, ("signals",), default=float(default), minimum=0)
            values[name] = number
    return SignalRules(**values)


ACTIVITY_KEYS = (
    "prefix",
    "category",
    "description",
    "purpose",
    "results",
    "measurement",
    "hours",
    "deadline",
    "earliest",
    "depends_on",
    "notes",
    "addresses",
)


def _activities(check: TomlChecker, data: Mapping[str, Any]) -> dict[str, ActivityDef]:
    table = check.table(data, "activities", ())
    out: dict[str, ActivityDef] = {}
    prefixes: dict[str, str] = {}
    for key, item in table.items():
        path: Path = ("activities", key)
        if not KEY.match(key):
            check.problem(path, None, "an activity key is snake_case (e.g. renewal_review)")
        if not isinstance(item, dict):
            check.problem(path, None, "should be a table, e.g. [activities.renewal_review]")
            continue
        check.keys(item, ACTIVITY_KEYS, path)
        prefix = _text(check, item, "prefix", path, required=True)
        if prefix and not PREFIX.match(prefix):
            check.problem((*path, "prefix"), None, f"{prefix!r}: 2-8 capital letters or digits")
        elif prefix in prefixes:
            check.problem(
                (*path, "prefix"), None, f"{prefix!r} is already the prefix of {prefixes[prefix]}"
            )
        prefixes.setdefault(prefix, key)
        category = _text(check, item, "category", path, required=True)
        if category and category not in CATEGORIES:
            check.problem(
                (*path, "category"), None, f"{category!r}: one of {', '.join(CATEGORIES)}"
            )
        deadline = _rule(check, item, "deadline", path, "end of quarter")
        earliest = _rule(check, item, "earliest", path, None)
        out[key] = ActivityDef(
            key=key,
            prefix=prefix,
            category=category,
            description=_text(check, item, "description", path, required=True),
            purpose=_text(check, item, "purpose", path, required=True),
            results=_text(check, item, "results", path, required=True),
            measurement=_text(check, item, "measurement", path, required=True),
            hours=check.number(item, "hours", path, default=None, above=0) or 1.0,
            deadline=deadline or parse_rule("end of quarter"),
            earliest=earliest,
            depends_on=check.strings(item, "depends_on", path),
            notes=_text(check, item, "notes", path),
            addresses=check.strings(item, "addresses", path),
        )
    for key, activity in out.items():
        for needed in activity.depends_on:
            if needed not in out:
                check.problem(
                    ("activities", key, "depends_on"),
                    None,
                    f"{needed!r}: no such activity" + _known(out),
                )
            elif needed == key:
                check.problem(
                    ("activities", key, "depends_on"), None, "an activity cannot need itself"
                )
    cycle = find_cycle({k: [d for d in a.depends_on if d in out] for k, a in out.items()})
    if cycle:
        check.problem(
            ("activities", cycle[0], "depends_on"),
            None,
            "circular dependency: " + " -> ".join(cycle),
        )
    return out


def _known(activities: Mapping[str, Any]) -> str:
    names = sorted(activities)
    shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    return f" (known activities: {shown})" if names else " (the library defines no activities)"


def _rule(
    check: TomlChecker, item: Mapping[str, Any], key: str, path: Path, default: str | None
) -> DateRule | None:
    text = item.get(key, default)
    if text is None:
        return None
    if not isinstance(text, str):
        check.problem((*path, key), None, f"{text!r} is not a string")
        return None
    try:
        return parse_rule(text)
    except ValueError as error:
        check.problem((*path, key), None, str(error))
        return None


PLAYBOOK_KEYS = ("key", "name", "when", "unless", "where", "activities", "onboarding", "weight")


def _playbooks(
    check: TomlChecker, data: Mapping[str, Any], activities: Mapping[str, ActivityDef]
) -> tuple[Playbook, ...]:
    items = data.get("playbooks", [])
    if not isinstance(items, list):
        check.problem(("playbooks",), None, "should be an array of tables: [[playbooks]]")
        return ()
    out: list[Playbook] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        path: Path = ("playbooks", i)
        if not isinstance(item, dict):
            check.problem(path, None, "should be a table: [[playbooks]]")
            continue
        check.keys(item, PLAYBOOK_KEYS, path)
        key = _text(check, item, "key", path, required=True)
        if key and not KEY.match(key):
            check.problem((*path, "key"), None, f"{key!r}: use snake_case")
        if key in seen:
            check.problem((*path, "key"), None, f"{key!r}: two playbooks with this key")
        seen.add(key)
        when = check.strings(item, "when", path)
        unless = check.strings(item, "unless", path)
        for name, specs in (("when", when), ("unless", unless)):
            for spec in specs:
                kind = spec.partition(":")[0]
                if kind not in KINDS:
                    check.problem(
                        (*path, name),
                        None,
                        f"{spec!r}: no such signal (signals: {', '.join(KINDS)})",
                    )
        names = check.strings(item, "activities", path)
        if not names:
            check.problem((*path, "activities"), None, "a playbook needs at least one activity")
        for name in names:
            if name not in activities:
                check.problem(
                    (*path, "activities"),
                    None,
                    f"{name!r}: no such activity in [activities]" + _known(activities),
                )
        onboarding = item.get("onboarding", False)
        if not isinstance(onboarding, bool):
            check.problem((*path, "onboarding"), None, f"{onboarding!r} is not true or false")
            onboarding = False
        if not onboarding and not when and "where" not in item:
            check.problem(
                path, None, "needs a trigger: `when` (signals) or `where` (account fields)"
            )
        if onboarding:
            for name in names:
                found = activities.get(name)
                if found and found.deadline.anchor == "renewal":
                    check.problem(
                        (*path, "activities"),
                        None,
                        f"{name!r}: onboarding activities cannot hang on a renewal",
                    )
        out.append(
            Playbook(
                key=key,
                name=_text(check, item, "name", path) or key.replace("_", " "),
                activities=names,
                when=when,
                unless=unless,
                where=_where(check, item, path),
                onboarding=onboarding,
                weight=check.number(item, "weight", path, default=1.0, above=0) or 1.0,
            )
        )
    return tuple(out)


def _where(check: TomlChecker, item: Mapping[str, Any], path: Path) -> Where:
    where: Path = (*path, "where")
    table = item.get("where", {})
    if not isinstance(table, dict):
        check.problem(where, None, "should be a table of account fields")
        table = {}
    allowed = [*LIST_FIELDS, *(f"{side}_{n}" for n in RANGE_FIELDS for side in ("min", "max"))]
    check.keys(table, allowed, where)
    values = {name: check.strings(table, name, where) for name in LIST_FIELDS if name in table}
    ranges: dict[str, tuple[float | None, float | None]] = {}
    for name in RANGE_FIELDS:
        low = table.get(f"min_{name}")
        high = table.get(f"max_{name}")
        for side, given in (("min", low), ("max", high)):
            if given is not None and (
                isinstance(given, bool) or not isinstance(given, int | float)
            ):
                check.problem((*where, f"{side}_{name}"), None, f"{given!r} is not a number")
        if low is not None or high is not None:
            ranges[name] = (
                float(low) if isinstance(low, int | float) else None,
                float(high) if isinstance(high, int | float) else None,
            )
    return Where(values, ranges)
