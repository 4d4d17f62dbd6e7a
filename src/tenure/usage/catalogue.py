"""The metric catalogue: usage metrics declared in TOML, computed per account per day.

Pure: parses and checks a catalogue into plain dataclasses; `tenure.usage.compute` turns them
into Ibis expressions. A catalogue looks like

    [[metrics]]
    name = "logins_28d"
    description = "Sign-ins in the last 28 days"
    aggregation = "count"
    events = ["Signed In"]
    window_days = 28

Aggregations over events: count, sum (of a numeric property), distinct_users, user_days
(distinct user-day pairs), active_days, distinct_values (of a property), sessions,
session_minutes, days_since (the last matching event, capped at the window). Over other
metrics: ratio (numerator / denominator x scale) and change (percent change of a metric
against its value `weeks` earlier). Any event aggregation may set `scale_by_tenure = true`:
an account younger than the window has its value scaled up to the full window ("Fighting
Churn With Data", chapter 3).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from tenure.kit.errors import TenureError
from tenure.kit.metric_names import check_metric_name
from tenure.kit.toml_check import TomlChecker, parse_toml
from tenure.kit.toml_lines import Path as KeyPath
from tenure.usage.events import ACTIVITY_TYPES, CALL_TYPES

EVENT_AGGREGATIONS = (
    "count",
    "sum",
    "distinct_users",
    "user_days",
    "active_days",
    "distinct_values",
    "sessions",
    "session_minutes",
    "days_since",
)
DERIVED_AGGREGATIONS = ("ratio", "change")
AGGREGATIONS = EVENT_AGGREGATIONS + DERIVED_AGGREGATIONS
# What each aggregation keeps per account per day (the measure kind, see compute.partials).
MEASURE_KIND = {
    "count": "count",
    "active_days": "count",
    "days_since": "count",
    "sum": "sum",
    "distinct_users": "users",
    "user_days": "users",
    "distinct_values": "values",
    "sessions": "sessions",
    "session_minutes": "sessions",
}
ADDITIVE = ("count", "sum", "sessions", "session_minutes", "user_days", "active_days")
PROPERTY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_WINDOW_DAYS = 731
DEFAULT_CATALOGUE = "default_catalogue.toml"


@dataclass(frozen=True)
class Measure:
    """What is kept per account per day for one or more metrics: the partial aggregate."""

    kind: str  # count | sum | users | values | sessions
    types: tuple[str, ...]
    events: tuple[str, ...] | None  # None: every event name
    property_name: str | None = None
    session_gap_minutes: int = 30

    @property
    def id(self) -> str:
        signature = repr(
            (self.kind, self.types, self.events, self.property_name, self.session_gap_minutes)
        )
        return f"{self.kind}_{hashlib.sha1(signature.encode()).hexdigest()[:12]}"


@dataclass(frozen=True)
class MetricDef:
    name: str
    aggregation: str
    description: str = ""
    window_days: int = 28
    events: tuple[str, ...] | None = None
    types: tuple[str, ...] = ACTIVITY_TYPES
    property_name: str | None = None
    session_gap_minutes: int = 30
    scale_by_tenure: bool = False
    numerator: str | None = None
    denominator: str | None = None
    scale: float = 1.0
    metric: str | None = None  # for change: the metric whose change this is
    weeks: int = 0

    @property
    def derived(self) -> bool:
        return self.aggregation in DERIVED_AGGREGATIONS

    @property
    def measure(self) -> Measure:
        return Measure(
            kind=MEASURE_KIND[self.aggregation],
            types=self.types,
            events=self.events,
            property_name=self.property_name,
            session_gap_minutes=self.session_gap_minutes,
        )


@dataclass(frozen=True)
class Catalogue:
    metrics: tuple[MetricDef, ...]
    source: str = DEFAULT_CATALOGUE
    by_name: dict[str, MetricDef] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.by_name.update({m.name: m for m in self.metrics})

    def get(self, name: str) -> MetricDef:
        return self.by_name[name]

    def names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def measures(self) -> list[Measure]:
        seen: dict[str, Measure] = {}
        for metric in self.metrics:
            if not metric.derived:
                seen.setdefault(metric.measure.id, metric.measure)
        return [seen[key] for key in sorted(seen)]

    def lookback_days(self, metric: MetricDef | None = None) -> int:
        """Days of history (the day itself included) a metric's value on a day depends on."""
        if metric is None:
            return max((self.lookback_days(m) for m in self.metrics), default=1)
        if metric.aggregation == "ratio":
            assert metric.numerator
            assert metric.denominator
            return max(
                self.lookback_days(self.get(metric.numerator)),
                self.lookback_days(self.get(metric.denominator)),
            )
        if metric.aggregation == "change":
            assert metric.metric
            return self.lookback_days(self.get(metric.metric)) + metric.weeks * 7
        return metric.window_days

    def order(self) -> list[MetricDef]:
        """Metrics so that each comes after the metrics it is computed from."""
        done: dict[str, MetricDef] = {}

        def visit(metric: MetricDef) -> None:
            if metric.name in done:
                return
            for name in (metric.numerator, metric.denominator, metric.metric):
                if name:
                    visit(self.get(name))
            done[metric.name] = metric

        for metric in self.metrics:
            visit(metric)
        return list(done.values())


@dataclass
class _Entry:
    """One [[metrics]] table being checked: problems name it by its metric once known."""

    check: TomlChecker
    path: KeyPath
    name: str

    def bad(self, key: str, value: Any, why: str) -> None:
        self.check.problem((*self.path, key), f"{self.name}.{key}", f"{value!r}: {why}")


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    return None


def _metric(raw: Any, where: _Entry) -> MetricDef | None:
    if not isinstance(raw, dict):
        where.check.problem(where.path, where.name, "a metric is a table ([[metrics]])")
        return None
    known = {
        "name",
        "description",
        "aggregation",
        "window_days",
        "events",
        "types",
        "property",
        "session_gap_minutes",
        "scale_by_tenure",
        "numerator",
        "denominator",
        "scale",
        "metric",
        "weeks",
    }
    for key in sorted(set(raw) - known):
        where.bad(key, raw[key], "unknown key")
    name = raw.get("name")
    if not isinstance(name, str) or check_metric_name(name):
        why = check_metric_name(name) if isinstance(name, str) else "required, a text"
        where.bad("name", name, why or "invalid")
        return None
    where = replace(where, name=f"metrics[{name}]")
    aggregation = raw.get("aggregation")
    if aggregation not in AGGREGATIONS:
        where.bad("aggregation", aggregation, f"not one of {', '.join(AGGREGATIONS)}")
        return None
    values: dict[str, Any] = {"name": name, "aggregation": aggregation}
    description = raw.get("description", "")
    if not isinstance(description, str):
        where.bad("description", description, "not a text")
    values["description"] = description if isinstance(description, str) else ""
    if aggregation in EVENT_AGGREGATIONS:
        window = raw.get("window_days", 28)
        if (
            not isinstance(window, int)
            or isinstance(window, bool)
            or not (1 <= window <= MAX_WINDOW_DAYS)
        ):
            where.bad("window_days", window, f"a whole number of days, 1-{MAX_WINDOW_DAYS}")
        else:
            values["window_days"] = window
        if "events" in raw:
            events = _strings(raw["events"])
            if events is None:
                where.bad("events", raw["events"], "a list of event names")
            values["events"] = tuple(sorted(set(events))) if events else None
        if "types" in raw:
            types = _strings(raw["types"])
            if types is None or any(t not in CALL_TYPES for t in types):
                where.bad("types", raw["types"], f"call types: {', '.join(CALL_TYPES)}")
            else:
                values["types"] = tuple(sorted(set(types)))
        needs_property = aggregation in ("sum", "distinct_values")
        prop = raw.get("property")
        if needs_property and prop is None:
            where.bad("property", None, f"{aggregation} needs a property")
        elif prop is not None:
            if not needs_property:
                where.bad("property", prop, f"{aggregation} takes none")
            elif not isinstance(prop, str) or not PROPERTY_NAME.match(prop):
                where.bad("property", prop, "a property name: letters, digits and _")
            else:
                values["property_name"] = prop
        gap = raw.get("session_gap_minutes", 30)
        if not isinstance(gap, int) or isinstance(gap, bool) or not 1 <= gap <= 1440:
            where.bad("session_gap_minutes", gap, "minutes, 1-1440")
        elif aggregation in ("sessions", "session_minutes"):
            values["session_gap_minutes"] = gap
        tenure = raw.get("scale_by_tenure", False)
        if not isinstance(tenure, bool):
            where.bad("scale_by_tenure", tenure, "true or false")
        elif tenure and aggregation not in ADDITIVE:
            where.bad("scale_by_tenure", tenure, "only for counts and sums")
        else:
            values["scale_by_tenure"] = tenure
    elif aggregation == "ratio":
        for key in ("numerator", "denominator"):
            ref = raw.get(key)
            if not isinstance(ref, str):
                where.bad(key, ref, "the name of another metric")
            else:
                values[key] = ref
        scale = raw.get("scale", 1.0)
        if not isinstance(scale, int | float) or isinstance(scale, bool) or scale == 0:
            where.bad("scale", scale, "a non-zero number")
        else:
            values["scale"] = float(scale)
    else:
        ref = raw.get("metric")
        if not isinstance(ref, str):
            where.bad("metric", ref, "the name of another metric")
        else:
            values["metric"] = ref
        weeks = raw.get("weeks")
        if not isinstance(weeks, int) or isinstance(weeks, bool) or not 1 <= weeks <= 104:
            where.bad("weeks", weeks, "a whole number of weeks, 1-104")
        else:
            values["weeks"] = weeks
    return MetricDef(**values)


def _check_references(metrics: list[MetricDef], index: dict[str, int], check: TomlChecker) -> None:
    by_name = {m.name: m for m in metrics}
    for metric in metrics:
        entry = _Entry(check, ("metrics", index[metric.name]), f"metrics[{metric.name}]")
        for key in ("numerator", "denominator", "metric"):
            ref = getattr(metric, key)
            if ref is None:
                continue
            if ref not in by_name:
                entry.bad(key, ref, "no such metric")
            elif key == "metric" and by_name[ref].aggregation not in EVENT_AGGREGATIONS:
                entry.bad(key, ref, "change applies to a metric computed from events")
    # A ratio of ratios is fine; a cycle is not.
    state: dict[str, int] = {}
    looped: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2 or name not in by_name:
            return
        if state.get(name) == 1:
            first = path[0] if path else name
            if first in looped:  # one report per cycle, however many edges close it
                return
            looped.add(first)
            check.problem(
                ("metrics", index[first]),
                f"metrics[{first}]",
                f"{' -> '.join([*path, name])}: metrics refer to each other",
            )
            return
        state[name] = 1
        metric = by_name[name]
        for ref in (metric.numerator, metric.denominator, metric.metric):
            if ref:
                visit(ref, [*path, name])
        state[name] = 2

    for metric in metrics:
        visit(metric.name, [])


def parse_catalogue(text: str, source: str) -> Catalogue:
    """A catalogue from TOML text; raises TenureError naming every problem, each as
    `FILE:LINE: name: why`."""
    raw, check = parse_toml(text, source, "metric catalogue refused")
    for key in sorted(set(raw) - {"metrics"}):
        check.problem((key,), key, "unknown key (a catalogue has [[metrics]] tables)")
    entries = raw.get("metrics")
    if not isinstance(entries, list) or not entries:
        check.problem(("metrics",), "metrics", "no [[metrics]] tables")
        entries = []
    metrics: list[MetricDef] = []
    index: dict[str, int] = {}
    for number, entry in enumerate(entries):
        metric = _metric(entry, _Entry(check, ("metrics", number), f"metrics[{number + 1}]"))
        if metric is None:
            continue
        if metric.name in index:
            check.problem(
                ("metrics", number, "name"),
                f"metrics[{number + 1}].name",
                f"{metric.name!r}: defined twice",
            )
        else:
            index[metric.name] = number
        metrics.append(metric)
    if not check.problems:
        _check_references(metrics, index, check)
    check.refuse()
    return Catalogue(tuple(metrics), source=source)


def load_catalogue(path: Path | None = None) -> Catalogue:
    """The catalogue at `path`, or the default one shipped with Tenure."""
    if path is None:
        text = resources.files("tenure.usage").joinpath(DEFAULT_CATALOGUE).read_text()
        return parse_catalogue(text, DEFAULT_CATALOGUE)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TenureError(f"{path}: no such metric catalogue") from None
    return parse_catalogue(text, str(path))
