"""Scorecards: what a health score is made of, read from TOML and checked whole.

A scorecard has components with weights; each component has measures; each measure reads a
metric's latest value inside a window and maps it to 0-100 by a named method. A rule
(`[applies_to]`: tier, segment, lifecycle stage) says which accounts it scores. See
docs/health.md for the format. Everything here is pure: text in, dataclasses out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from importlib import resources
from typing import Any

from tenure.health.scoring import MeasureSpec
from tenure.kit.bands import Bands as Bands  # part of a scorecard's vocabulary too
from tenure.kit.errors import TenureError
from tenure.kit.metric_names import check_metric_name
from tenure.kit.toml_check import TomlChecker, parse_toml
from tenure.kit.toml_lines import Path
from tenure.models.enums import Tier

METHODS = ("identity", "linear", "steps", "percentile")
DEFAULT_WINDOW_DAYS = 30
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
# Tolerance when checking that weights add up to 1 (0.333 + 0.333 + 0.334 does).
WEIGHT_SUM_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Measure:
    metric: str
    method: str
    weight: float = 1.0
    window_days: int = DEFAULT_WINDOW_DAYS
    label: str = ""
    floor: float | None = None
    target: float | None = None
    invert: bool = False
    steps: tuple[tuple[float, float], ...] = ()

    @property
    def title(self) -> str:
        return self.label or self.metric.replace("_", " ")


@dataclass(frozen=True)
class Component:
    key: str
    weight: float
    measures: tuple[Measure, ...]
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.key.replace("_", " ")


@dataclass(frozen=True)
class Trend:
    window_days: int = 30
    threshold: float = 5.0


@dataclass(frozen=True)
class Rule:
    """Which accounts a scorecard applies to; an empty list matches anything."""

    tier: tuple[str, ...] = ()
    segment: tuple[str, ...] = ()
    lifecycle_stage: tuple[str, ...] = ()

    def matches(self, tier: str | None, segment: str | None, stage: str | None) -> bool:
        return all(
            not allowed or value in allowed
            for allowed, value in (
                (self.tier, tier),
                (self.segment, segment),
                (self.lifecycle_stage, stage),
            )
        )

    @property
    def specificity(self) -> int:
        return sum(1 for allowed in (self.tier, self.segment, self.lifecycle_stage) if allowed)


@dataclass(frozen=True)
class Scorecard:
    name: str
    components: tuple[Component, ...]
    description: str = ""
    applies_to: Rule = field(default_factory=Rule)
    priority: int = 0
    bands: Bands = field(default_factory=lambda: Bands(50, 74))
    renewal_bands: Bands = field(default_factory=lambda: Bands(3, 6))
    trend: Trend = field(default_factory=Trend)

    @property
    def measures(self) -> list[tuple[Component, Measure]]:
        """Every measure with its component, grouped by component in order."""
        return [(c, m) for c in self.components for m in c.measures]

    def metrics(self) -> list[str]:
        return sorted({m.metric for _, m in self.measures})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scorecard:
        """The inverse of `to_dict` (a stored, already checked definition)."""
        return cls(
            name=data["name"],
            description=data.get("description", ""),
            applies_to=Rule(**{k: tuple(v) for k, v in data["applies_to"].items()}),
            priority=data.get("priority", 0),
            bands=Bands(**data["bands"]),
            renewal_bands=Bands(**data["renewal_bands"]),
            trend=Trend(**data["trend"]),
            components=tuple(
                Component(
                    key=c["key"],
                    weight=c["weight"],
                    label=c.get("label", ""),
                    measures=tuple(
                        Measure(**{**m, "steps": tuple(tuple(s) for s in m["steps"])})
                        for m in c["measures"]
                    ),
                )
                for c in data["components"]
            ),
        )

    def measure_specs(self) -> list[MeasureSpec]:
        """The measures compiled for `scoring.compile_plan` (percentile as identity: the
        service ranks those values before scoring)."""
        specs = []
        for index, component in enumerate(self.components):
            for m in component.measures:
                specs.append(
                    MeasureSpec(
                        component=index,
                        weight=m.weight,
                        method=m.method,
                        floor=m.floor if m.floor is not None else 0.0,
                        target=m.target if m.target is not None else 100.0,
                        invert=m.invert,
                        steps=m.steps,
                    )
                )
        return specs


@dataclass(frozen=True)
class Loaded:
    """A checked scorecard and what the user should be told about it."""

    scorecard: Scorecard
    notes: list[str]


def pick(
    scorecards: Sequence[Scorecard], tier: str | None, segment: str | None, stage: str | None
) -> Scorecard | None:
    """The scorecard for an account: the most specific matching rule wins, then the highest
    priority, then the name (so the choice never depends on load order)."""
    matching = [s for s in scorecards if s.applies_to.matches(tier, segment, stage)]
    if not matching:
        return None
    return min(matching, key=lambda s: (-s.applies_to.specificity, -s.priority, s.name))


def default_source() -> str:
    """The shipped enterprise scorecard (product 50%, satisfaction 25%, support 12.5%,
    sponsorship 12.5%)."""
    return resources.files("tenure.health").joinpath("enterprise.toml").read_text()


def unknown_metrics(scorecard: Scorecard, known: Iterable[str]) -> list[str]:
    """Metrics the scorecard reads that nothing provides yet."""
    provided = set(known)
    return [m for m in scorecard.metrics() if m not in provided]


# -- parsing and checking --------------------------------------------------------------------


def parse_scorecard(text: str, file: str = "<scorecard>") -> Loaded:
    """Check a scorecard written in TOML; raise TenureError listing every problem."""
    data, check = parse_toml(text, file, "scorecard refused")
    notes: list[str] = []
    scorecard = _read_scorecard(data, check, notes)
    check.refuse()
    if scorecard is None:
        raise TenureError(f"{file}: scorecard refused")
    return Loaded(scorecard, notes)


TOP_KEYS = (
    "name",
    "description",
    "priority",
    "applies_to",
    "bands",
    "renewal_bands",
    "trend",
    "components",
)


def _read_scorecard(data: dict[str, Any], check: TomlChecker, notes: list[str]) -> Scorecard | None:
    check.keys(data, TOP_KEYS, (), "")
    name = data.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        check.problem(
            ("name",),
            "name",
            "missing" if name is None else f"{name!r}: use lower-case letters, digits, - and _",
        )
    rule_data = check.table(data, "applies_to", ())
    check.keys(rule_data, ("tier", "segment", "lifecycle_stage"), ("applies_to",), "applies_to")
    tiers = check.strings(rule_data, "tier", ("applies_to",), "applies_to")
    for tier in tiers:
        if tier not in Tier.__members__:
            check.problem(
                ("applies_to", "tier"),
                "applies_to.tier",
                f"{tier!r} is not a tier ({', '.join(Tier.__members__)})",
            )
    rule = Rule(
        tier=tiers,
        segment=check.strings(rule_data, "segment", ("applies_to",), "applies_to"),
        lifecycle_stage=check.strings(rule_data, "lifecycle_stage", ("applies_to",), "applies_to"),
    )
    bands = _bands(check, data, "bands", Bands(50, 74), 100)
    renewal = _bands(check, data, "renewal_bands", Bands(3, 6), None)
    trend_data = check.table(data, "trend", ())
    check.keys(trend_data, ("window_days", "threshold"), ("trend",), "trend")
    trend = Trend(
        window_days=check.integer(trend_data, "window_days", ("trend",), "trend", 30, 1),
        threshold=check.number(trend_data, "threshold", ("trend",), "trend", 5.0, 0) or 0.0,
    )
    components = _components(data, check, notes)
    if check.problems or not isinstance(name, str):
        return None
    return Scorecard(
        name=name,
        description=check.text(data, "description", (), ""),
        applies_to=rule,
        priority=check.integer(data, "priority", (), "", 0, -1_000_000),
        bands=bands,
        renewal_bands=renewal,
        trend=trend,
        components=components,
    )


def _bands(
    check: TomlChecker, data: dict[str, Any], key: str, default: Bands, top: float | None
) -> Bands:
    table = check.table(data, key, ())
    check.keys(table, ("red", "amber"), (key,), key)
    red = check.number(table, "red", (key,), key, default.red, 0, top)
    amber = check.number(table, "amber", (key,), key, default.amber, 0, top)
    if red is not None and amber is not None and red >= amber:
        check.problem((key, "amber"), f"{key}.amber", f"{amber:g} must be above red ({red:g})")
    return Bands(
        red if red is not None else default.red, amber if amber is not None else default.amber
    )


COMPONENT_KEYS = ("key", "label", "weight", "measures")
MEASURE_KEYS = (
    "metric",
    "method",
    "label",
    "weight",
    "window_days",
    "floor",
    "target",
    "invert",
    "steps",
)
METHOD_KEYS = {
    "identity": (),
    "linear": ("floor", "target", "invert"),
    "steps": ("steps",),
    "percentile": ("invert",),
}


def _components(
    data: dict[str, Any], check: TomlChecker, notes: list[str]
) -> tuple[Component, ...]:
    raw = data.get("components")
    if not isinstance(raw, list) or not raw or not all(isinstance(c, dict) for c in raw):
        check.problem(("components",), "components", "needs at least one [[components]] table")
        return ()
    components: list[Component] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        path: Path = ("components", index)
        key = item.get("key")
        shown = f"components[{key if isinstance(key, str) else index + 1}]"
        check.keys(item, COMPONENT_KEYS, path, shown)
        if not isinstance(key, str) or not KEY.match(key):
            check.problem(
                (*path, "key"),
                f"{shown}.key",
                "missing" if key is None else f"{key!r}: use snake_case, e.g. product",
            )
            key = f"component_{index + 1}"
        elif key in seen:
            check.problem((*path, "key"), f"{shown}.key", f"{key!r} appears twice")
        seen.add(key)
        weight = check.number(item, "weight", path, shown, minimum=0)
        measures = _measures(item, check, path, shown, notes)
        components.append(
            Component(
                key=key,
                weight=weight or 0.0,
                label=check.text(item, "label", path, shown),
                measures=measures,
            )
        )
    total = sum(c.weight for c in components)
    if not check.problems and total <= 0:
        check.problem(("components",), "components.weight", "every weight is 0")
    if check.problems:
        return tuple(components)
    if abs(total - 1) > WEIGHT_SUM_TOLERANCE:
        shares = ", ".join(f"{c.key} {c.weight / total:.4g}" for c in components)
        notes.append(f"component weights add up to {total:g}, not 1: normalised to {shares}")
    return tuple(Component(c.key, c.weight / total, c.measures, c.label) for c in components)


def _measures(
    item: dict[str, Any], check: TomlChecker, path: Path, shown: str, notes: list[str]
) -> tuple[Measure, ...]:
    raw = item.get("measures")
    if not isinstance(raw, list) or not raw or not all(isinstance(m, dict) for m in raw):
        check.problem(
            (*path, "measures"), f"{shown}.measures", "needs at least one [[components.measures]]"
        )
        return ()
    measures: list[Measure] = []
    seen: set[str] = set()
    explicit = False
    for index, entry in enumerate(raw):
        mpath: Path = (*path, "measures", index)
        metric = entry.get("metric")
        mshown = f"{shown}.measures[{metric if isinstance(metric, str) else index + 1}]"
        check.keys(entry, MEASURE_KEYS, mpath, mshown)
        why = (
            "missing"
            if metric is None
            else (check_metric_name(metric) if isinstance(metric, str) else "not a string")
        )
        if why:
            check.problem((*mpath, "metric"), f"{mshown}.metric", why)
            metric = f"measure_{index + 1}"
        elif metric in seen:
            check.problem((*mpath, "metric"), f"{mshown}.metric", f"{metric!r} appears twice")
        seen.add(metric)
        measure = _measure(entry, check, mpath, mshown, metric)
        explicit = explicit or "weight" in entry
        if measure is not None:
            measures.append(measure)
    total = sum(m.weight for m in measures)
    if check.problems or total <= 0:
        return tuple(measures)
    if explicit and abs(total - 1) > WEIGHT_SUM_TOLERANCE:
        shares = ", ".join(f"{m.metric} {m.weight / total:.4g}" for m in measures)
        notes.append(f"{shown}: measure weights add up to {total:g}, not 1: normalised to {shares}")
    return tuple(replace(m, weight=m.weight / total) for m in measures)


def _measure(
    entry: dict[str, Any], check: TomlChecker, path: Path, shown: str, metric: str
) -> Measure | None:
    method = entry.get("method")
    if method not in METHODS:
        check.problem(
            (*path, "method"),
            f"{shown}.method",
            ("missing" if method is None else f"{method!r} is not a method")
            + f"; use one of {', '.join(METHODS)}",
        )
        return None
    for key in ("floor", "target", "invert", "steps"):
        if key in entry and key not in METHOD_KEYS[method]:
            check.problem((*path, key), f"{shown}.{key}", f"not used by method {method!r}")
    weight = check.number(entry, "weight", path, shown, 1.0, 0)
    if weight == 0:
        check.problem((*path, "weight"), f"{shown}.weight", "must be above 0")
    window = check.integer(entry, "window_days", path, shown, DEFAULT_WINDOW_DAYS, 1)
    invert = entry.get("invert", False)
    if not isinstance(invert, bool):
        check.problem((*path, "invert"), f"{shown}.invert", f"{invert!r} is not true or false")
        invert = False
    floor = target = None
    steps: tuple[tuple[float, float], ...] = ()
    if method == "linear":
        floor = check.number(entry, "floor", path, shown)
        target = check.number(entry, "target", path, shown)
        if floor is not None and target is not None and floor >= target:
            check.problem(
                (*path, "target"),
                f"{shown}.target",
                f"{target:g} must be above floor ({floor:g}); for lower-is-better set "
                "invert = true",
            )
    elif method == "steps":
        steps = _steps(entry, check, path, shown)
    return Measure(
        metric=metric,
        method=method,
        weight=weight or 1.0,
        window_days=window,
        label=check.text(entry, "label", path, shown),
        floor=floor,
        target=target,
        invert=invert,
        steps=steps,
    )


def _steps(
    entry: dict[str, Any], check: TomlChecker, path: Path, shown: str
) -> tuple[tuple[float, float], ...]:
    raw = entry.get("steps")
    where, name = (*path, "steps"), f"{shown}.steps"
    example = "e.g. steps = [[0, 0], [7, 50], [9, 100]] (from this value up: these points)"
    if not isinstance(raw, list) or not raw:
        check.problem(where, name, f"needs a list of [value, points] pairs, {example}")
        return ()
    steps: list[tuple[float, float]] = []
    for pair in raw:
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or any(isinstance(v, bool) or not isinstance(v, int | float) for v in pair)
        ):
            check.problem(where, name, f"{pair!r} is not a [value, points] pair; {example}")
            return ()
        bound, points = float(pair[0]), float(pair[1])
        if not 0 <= points <= 100:
            check.problem(where, name, f"{pair!r}: points must be 0-100")
        if steps and bound <= steps[-1][0]:
            check.problem(where, name, f"{pair!r}: values must rise from one step to the next")
        steps.append((bound, points))
    return tuple(steps)
