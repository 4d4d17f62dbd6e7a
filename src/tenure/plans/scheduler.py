"""Fitting candidate activities into a quarter's weeks: a CP-SAT model and a greedy baseline.

Pure core: plain data in, plain data out, no database. Each candidate sits in at most one of
the quarter's weeks. The model is a selection of weeks per activity (one boolean per activity
and allowed week) rather than integer start times with enforcement literals: capacities and
dependencies become plain linear rows over those booleans, whose LP relaxation is tight, so the
solver proves near-optimal bounds within seconds even for a whole team's candidates.

Hours come from pools of capacity (a CSM's hours for existing clients, their hours for
onboarding, or one pool per CSM of a team); each candidate draws on one pool.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tenure.kit.errors import TenureError

WEEKS = 13
# Hours are scheduled in whole minutes: CP-SAT works on integers and playbooks use hours such as
# 1.5 or 0.25.
UNITS_PER_HOUR = 60
# Values are priorities with a few decimals of meaning; two decimals are kept as integers.
VALUE_SCALE = 100
# One worker with a fixed seed and a deterministic time budget explores the same way on every
# run: same inputs, same plan. Measured on 2 cores (docs/benchmarks.md), one sequential worker
# also finds better plans in 10 s than interleaved or parallel portfolios of this model.
DEFAULT_SEED = 20261123
DEFAULT_WORKERS = 1
# About 10 s of one core on the reference machine for a 200- or 1,000-activity plan (measured
# by bench/planner.py --deterministic); the wall-clock limit is only a safety net, since
# stopping on it would make the result depend on the machine's load.
DEFAULT_DETERMINISTIC_TIME = 5.0
DEFAULT_TIME_LIMIT = 60.0
# Diminishing value within a group (one account's activities of one kind): the first three
# ranks are told apart, the fourth and later all count as the fourth.
DEPTH_RANKS = 4

Capacity = Sequence[float] | Mapping[str, Sequence[float]]


@dataclass(frozen=True)
class Candidate:
    """One activity that could go into the plan.

    `deadline_week` and `release_week` are the last and first week (0-based) it may sit in;
    `requires` names candidates that must be in the plan too, in an earlier or the same week;
    candidates sharing a `bundle` (the steps of one long activity) are taken all or none;
    a `required` candidate must be in the plan; a `fixed_week` one is already placed (a task
    marked done) and only uses up its week's hours; `pool` names the capacity it draws on;
    `counted` says whether it counts towards a requested number of activities; with `decay`
    below 1 its value shrinks week by week after its first allowed week (urgent work: as early
    as possible, later only if the early weeks are full).

    Coverage before depth: `covers` names the needs (goals) it meets, each worth its bonus
    once, whichever candidate meets it; within a `group` (one account's work of one kind) the
    second candidate placed is worth `repeat` of its value, the third `repeat` squared...; a
    `kind` with a quota earns the quota's bonus for each of its first places (the mix).
    """

    key: str
    hours: float
    value: float
    deadline_week: int = WEEKS - 1
    release_week: int = 0
    requires: tuple[str, ...] = ()
    bundle: str | None = None
    required: bool = False
    fixed_week: int | None = None
    pool: str = ""
    counted: bool = True
    decay: float = 1.0
    covers: tuple[str, ...] = ()
    group: str | None = None
    kind: str = ""

    def value_in(self, week: int) -> float:
        if self.decay == 1.0:
            return self.value
        return self.value * self.decay ** max(week - self.release_week, 0)

    def allowed_weeks(self, weeks: int = WEEKS) -> range:
        if self.fixed_week is not None:
            return range(self.fixed_week, self.fixed_week + 1)
        return range(max(self.release_week, 0), min(self.deadline_week, weeks - 1) + 1)


@dataclass(frozen=True)
class Schedule:
    """Where each selected candidate sits (key -> 0-based week), and how good that is."""

    weeks: dict[str, int]
    solver: str
    status: str
    objective: float
    bound: float
    seconds: float
    count_met: bool = True
    notes: list[str] = field(default_factory=list)
    work: float = 0.0  # the solver's deterministic time spent

    @property
    def gap(self) -> float:
        """Relative distance to the proven bound: 0 means proven optimal."""
        if self.bound <= 0:
            return 0.0
        return max(self.bound - self.objective, 0.0) / self.bound

    @property
    def found(self) -> bool:
        return self.status in ("optimal", "feasible")


@dataclass(frozen=True)
class Objective:
    """What a plan is worth besides its candidates' own values: `goals` (need -> the bonus for
    meeting it at least once), `quotas` (kind -> (places, bonus per place filled)) and
    `repeat`, the factor on each further candidate of the same group."""

    goals: Mapping[str, float] = field(default_factory=dict)
    quotas: Mapping[str, tuple[int, float]] = field(default_factory=dict)
    repeat: float = 1.0


def plan_value(
    candidates: Sequence[Candidate], weeks: Mapping[str, int], objective: Objective | None = None
) -> float:
    """The value of a schedule as the solver counts it: each placed candidate's value in its
    week, less the depth discount of its rank in its group (most valuable first), plus each
    goal met and each quota place filled. The greedy baselines are measured with it too."""
    objective = objective or Objective()
    by_key = {c.key: c for c in candidates}
    placed = [by_key[k] for k in weeks if k in by_key]
    total = sum(c.value_in(weeks[c.key]) for c in placed)
    groups: dict[str, list[float]] = {}
    for c in placed:
        if c.group is not None:
            groups.setdefault(c.group, []).append(c.value)
    for values in groups.values():
        for rank, value in enumerate(sorted(values, reverse=True)):
            total -= value * (1 - _depth(objective.repeat, rank))
    met = {g for c in placed for g in c.covers if g in objective.goals}
    total += sum(objective.goals[g] for g in met)
    for kind, (places, bonus) in objective.quotas.items():
        filled = sum(1 for c in placed if c.kind == kind and c.counted)
        total += bonus * min(places, filled)
    return total


def _depth(repeat: float, rank: int) -> float:
    """The share of its value a candidate keeps at 0-based `rank` in its group."""
    return float(repeat ** min(rank, DEPTH_RANKS - 1))


def pools(capacity: Capacity) -> dict[str, list[float]]:
    """Capacity as named pools; a plain list of weekly hours is the one pool ""."""
    if isinstance(capacity, Mapping):
        return {name: list(hours) for name, hours in capacity.items()}
    return {"": list(capacity)}


def _weeks(capacity: Mapping[str, Sequence[float]]) -> int:
    lengths = {len(hours) for hours in capacity.values()}
    if len(lengths) > 1:
        raise TenureError("capacity: every pool must list the same number of weeks")
    return lengths.pop() if lengths else WEEKS


def _units(hours: float) -> int:
    return int(round(hours * UNITS_PER_HOUR))


def _capacity_units(hours: Sequence[float]) -> list[int]:
    return [int(math.floor(h * UNITS_PER_HOUR + 1e-9)) for h in hours]


def check_candidates(candidates: Sequence[Candidate], capacity: Capacity) -> None:
    """Refuse input the model cannot mean anything with, naming the candidate at fault."""
    named = pools(capacity)
    weeks = _weeks(named)
    keys: set[str] = set()
    problems: list[str] = []
    for c in candidates:
        if c.key in keys:
            problems.append(f"{c.key}: the same key twice")
        keys.add(c.key)
        if not (c.hours > 0 and math.isfinite(c.hours)):
            problems.append(f"{c.key}: hours: {c.hours}: must be positive")
        if not (c.value >= 0 and math.isfinite(c.value)):
            problems.append(f"{c.key}: value: {c.value}: must not be negative")
        if not 0 < c.decay <= 1:
            problems.append(f"{c.key}: decay: {c.decay}: must be above 0 and at most 1")
        if c.fixed_week is not None and not 0 <= c.fixed_week < weeks:
            problems.append(f"{c.key}: fixed_week: {c.fixed_week}: outside the quarter")
        if c.pool not in named:
            problems.append(f"{c.key}: pool: {c.pool!r}: no such capacity")
    for c in candidates:
        for r in c.requires:
            if r not in keys:
                problems.append(f"{c.key}: requires {r!r}, which is not a candidate")
    for name, hours in named.items():
        if any(not (h >= 0 and math.isfinite(h)) for h in hours):
            problems.append(f"capacity {name!r}: hours per week must not be negative")
    if problems:
        raise TenureError("cannot schedule these activities", problems=problems)
    cycle = find_cycle({c.key: c.requires for c in candidates})
    if cycle:
        raise TenureError(f"activities depend on each other in a circle: {' -> '.join(cycle)}")


def find_cycle(graph: Mapping[str, Sequence[str]]) -> list[str]:
    """A dependency cycle as a path (first node repeated at the end), or [] when none."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in graph:
        if state.get(root):
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            node, i = stack.pop()
            if i == 0:
                state[node] = 1
                path.append(node)
            children = graph.get(node, ())
            if i < len(children):
                stack.append((node, i + 1))
                child = children[i]
                if state.get(child) == 1:
                    return [*path[path.index(child) :], child]
                if not state.get(child):
                    stack.append((child, 0))
            else:
                state[node] = 2
                path.pop()
    return []


def _bundles(candidates: Sequence[Candidate]) -> dict[str, list[str]]:
    """The steps of each bundle still to place. A step already done (fixed) stays done
    whether or not the rest of its activity fits, so it is not bound to the others."""
    bundles: dict[str, list[str]] = {}
    for c in candidates:
        if c.bundle is not None and c.fixed_week is None:
            bundles.setdefault(c.bundle, []).append(c.key)
    return bundles


def _selectable(candidates: Sequence[Candidate], weeks: int) -> dict[str, range]:
    """Each candidate's allowed weeks after propagating prerequisites: a candidate sits no
    earlier than its prerequisites can; one whose prerequisite (or bundle step) cannot be placed
    cannot be placed either."""
    allowed = {c.key: c.allowed_weeks(weeks) for c in candidates}
    bundles = _bundles(candidates)
    changed = True
    while changed:  # one pass per dependency level at most: the graph has no cycle
        changed = False
        for c in candidates:
            current = allowed[c.key]
            lo = current.start
            for r in c.requires:
                lo = max(lo, allowed[r].start) if len(allowed[r]) else current.stop
            if c.key in bundles.get(c.bundle or "", []) and any(
                not len(allowed[k]) for k in bundles[c.bundle or ""]
            ):
                lo = current.stop
            narrowed = range(min(lo, current.stop), current.stop)
            if narrowed != current:
                allowed[c.key] = narrowed
                changed = True
    return allowed


def schedule(
    candidates: Sequence[Candidate],
    capacity: Capacity,
    *,
    count: int | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    deterministic_time: float | None = DEFAULT_DETERMINISTIC_TIME,
    workers: int = DEFAULT_WORKERS,
    seed: int = DEFAULT_SEED,
    hint: bool = True,
    objective: Objective | None = None,
) -> Schedule:
    """The plan of greatest total value (`plan_value`) that fits: at most one week per
    candidate, each week's hours within its pool's capacity, prerequisites in an earlier or
    the same week, every candidate within its release and deadline weeks, required and fixed
    ones always in.

    `count` asks for exactly that many counted candidates when enough of them can be placed;
    when they cannot all fit, as many as fit (the schedule says `count_met=False`).
    With one worker and a `deterministic_time` budget the result is the same on every run;
    `time_limit` caps wall time (a benchmark sets it and `deterministic_time=None`).
    """
    check_candidates(candidates, capacity)
    objective = objective or Objective()
    if count is None:
        # Quotas are shares of a requested number of activities.
        objective = replace(objective, quotas={})
    started = time.perf_counter()
    named = pools(capacity)
    weeks = _weeks(named)
    allowed = _selectable(candidates, weeks)
    placeable = [c for c in candidates if len(allowed[c.key])]
    blocked = [c.key for c in candidates if c.required and not len(allowed[c.key])]
    if blocked:
        why = [f"{k}: must be in the plan but has no week it may sit in" for k in blocked]
        return Schedule({}, "cp-sat", "infeasible", 0.0, 0.0, 0.0, notes=why)
    if count is not None:
        count = min(count, sum(1 for c in placeable if c.counted))
    parts = _components(placeable, count is not None, objective)
    # Independent parts (pools with no dependency between them, e.g. each CSM of a team, or
    # onboarding apart from the counted activities) are solved one after the other: the same
    # optimum, and each small model gets a share of the time proportional to its size, plus
    # whatever the parts before it left unused.
    total = sum(len(p) for p in parts)
    results: list[Schedule] = []
    work_left = deterministic_time
    done_size = 0
    for part in parts:
        share = len(part) / max(total - done_size, 1)
        wall_left = time_limit - (time.perf_counter() - started)
        result = _solve_part(
            part,
            allowed,
            named,
            weeks,
            count if any(c.counted for c in part) else None,
            max(wall_left * share, 0.01),
            None if work_left is None else max(work_left * share, 0.01),
            workers,
            seed,
            hint,
            objective,
        )
        results.append(result)
        done_size += len(part)
        if work_left is not None:
            work_left = max(work_left - result.work, 0.0)
    return _merge(results, time.perf_counter() - started)


def _components(
    candidates: Sequence[Candidate], counting: bool, objective: Objective
) -> list[list[Candidate]]:
    """Groups of candidates that share nothing: no pool, dependency, bundle, goal, depth
    group, quota or (when a count is asked for) the count."""
    parent = {c.key: c.key for c in candidates}

    def find(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    first: dict[str, str] = {}
    for c in candidates:
        links = [f"pool:{c.pool}", *(f"key:{r}" for r in c.requires)]
        if c.bundle is not None:
            links.append(f"bundle:{c.bundle}")
        if counting and c.counted:
            links.append("count")
        links += [f"goal:{g}" for g in c.covers if g in objective.goals]
        if c.group is not None:
            links.append(f"group:{c.group}")
        if c.kind in objective.quotas:
            links.append(f"kind:{c.kind}")
        for link in links:
            if link.startswith("key:"):
                if link[4:] in parent:
                    union(c.key, link[4:])
            elif link in first:
                union(c.key, first[link])
            else:
                first[link] = c.key
    groups: dict[str, list[Candidate]] = {}
    for c in candidates:
        groups.setdefault(find(c.key), []).append(c)
    return sorted(groups.values(), key=lambda g: g[0].key)


def _merge(results: Sequence[Schedule], seconds: float) -> Schedule:
    if not results:
        return Schedule({}, "cp-sat", "optimal", 0.0, 0.0, seconds)
    order = ("infeasible", "model_invalid", "unknown", "feasible", "optimal")
    status = min((r.status for r in results), key=order.index)
    weeks = {k: w for r in results for k, w in r.weeks.items()}
    return Schedule(
        weeks=dict(sorted(weeks.items())),
        solver="cp-sat",
        status=status,
        objective=sum(r.objective for r in results),
        bound=sum(r.bound for r in results),
        seconds=seconds,
        count_met=all(r.count_met for r in results),
        notes=[n for r in results for n in r.notes],
        work=sum(r.work for r in results),
    )


def _solve_part(
    placeable: Sequence[Candidate],
    allowed: Mapping[str, range],
    named: Mapping[str, Sequence[float]],
    weeks: int,
    count: int | None,
    time_limit: float,
    deterministic_time: float | None,
    workers: int,
    seed: int,
    hint: bool,
    worth: Objective,
) -> Schedule:
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    units = {name: _capacity_units(hours) for name, hours in named.items()}

    def build(
        count: int | None, exact: bool
    ) -> tuple[cp_model.CpModel, dict[tuple[str, int], cp_model.IntVar]]:
        model = cp_model.CpModel()
        x = {
            (c.key, w): model.new_bool_var(f"x[{c.key},{w}]")
            for c in placeable
            for w in allowed[c.key]
        }
        selected: dict[str, cp_model.LinearExprT] = {}
        for c in placeable:
            terms = [x[c.key, w] for w in allowed[c.key]]
            if c.required or c.fixed_week is not None:
                model.add_exactly_one(terms)
            else:
                model.add_at_most_one(terms)
            selected[c.key] = sum(terms)
        for name, cap in units.items():
            for w in range(weeks):
                load = [
                    (_units(c.hours), x[c.key, w])
                    for c in placeable
                    if c.pool == name and (c.key, w) in x
                ]
                if sum(u for u, _ in load) > cap[w]:
                    model.add(sum(u * v for u, v in load) <= cap[w])
        for c in placeable:
            for r in c.requires:
                if r not in selected:
                    # A prerequisite that cannot be placed rules this candidate out.
                    model.add(selected[c.key] == 0)
                    continue
                # Cumulative form: by any week, the dependent is placed no sooner than its
                # prerequisite. Equivalent on integers and tight in the LP relaxation, which
                # keeps linear rows (clauses and implications stay out of it).
                mine = list(allowed[c.key])
                for w in mine:
                    own = [x[c.key, v] for v in mine if v <= w]
                    pre = [x[r, v] for v in allowed[r] if v <= w]
                    model.add(sum(own) <= sum(pre))
        for members in _bundles(placeable).values():
            for k in members[1:]:
                model.add(selected[k] == selected[members[0]])
        value = sum(
            _scaled(c.value) * selected[c.key]
            if c.decay == 1.0
            else sum(_scaled(c.value_in(w)) * x[c.key, w] for w in allowed[c.key])
            for c in placeable
        ) + _coverage_terms(model, placeable, selected, worth)
        if count is None:
            model.maximize(value)
        else:
            total = sum(selected[c.key] for c in placeable if c.counted)
            if exact:
                model.add(total == count)
                model.maximize(value)
            else:
                # As close to `count` as the rules allow: any number up to it beats any number
                # above it (tasks already done or required may already exceed it).
                over = model.new_int_var(0, len(placeable), "over")
                under = model.new_int_var(0, len(placeable), "under")
                model.add(total - count == over - under)
                model.minimize((len(placeable) + 1) * over + under)
        if hint:
            baseline = _best_greedy(placeable, named, count, worth)
            for (key, w), var in x.items():
                model.add_hint(var, 1 if baseline.weeks.get(key) == w else 0)
        return model, x

    work = 0.0

    def solve(count: int | None, exact: bool) -> tuple[str, dict[str, int], float, float]:
        nonlocal work
        model, x = build(count, exact)
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.random_seed = seed
        params.num_workers = workers
        # Every constraint in the LP relaxation: on these models it proves bounds (and finds
        # plans) within a fraction of a percent where the default level stalls at several.
        params.linearization_level = 2
        params.max_time_in_seconds = max(time_limit - (time.perf_counter() - started), 0.01)
        if deterministic_time is not None:
            params.max_deterministic_time = deterministic_time
        code = solver.solve(model)
        work += solver.response_proto.deterministic_time
        status = {
            cp_model.OPTIMAL: "optimal",
            cp_model.FEASIBLE: "feasible",
            cp_model.INFEASIBLE: "infeasible",
            cp_model.MODEL_INVALID: "model_invalid",
        }.get(code, "unknown")
        if status not in ("optimal", "feasible"):
            return status, {}, 0.0, 0.0
        placed = {key: w for (key, w), var in x.items() if solver.value(var)}
        return status, placed, solver.objective_value, solver.best_objective_bound

    status, placed, objective, bound = solve(count, exact=True)
    count_met = True
    notes: list[str] = []
    if count is not None and status in ("infeasible", "unknown"):
        # Not that many fit (or none was found in time): find how many can, as close to `count`
        # as possible, then the most valuable plan of exactly that many, so that the gap still
        # speaks of value.
        found, placed, _, _ = solve(count, exact=False)
        if found in ("optimal", "feasible"):
            fit = sum(1 for c in placeable if c.counted and c.key in placed)
            status, placed, objective, bound = solve(fit, exact=True)
            count_met = fit == count
            if fit < count:
                notes.append(f"only {fit} of the {count} activities asked for fit the hours")
            elif fit > count:
                notes.append(
                    f"{fit} activities instead of the {count} asked for: that many are done "
                    "already or required"
                )
    return Schedule(
        weeks=dict(sorted(placed.items())),
        solver="cp-sat",
        status=status,
        objective=objective / VALUE_SCALE,
        bound=bound / VALUE_SCALE,
        seconds=time.perf_counter() - started,
        count_met=count_met,
        notes=notes,
        work=work,
    )


def _scaled(value: float) -> int:
    return int(round(value * VALUE_SCALE))


def _coverage_terms(
    model: Any,
    placeable: Sequence[Candidate],
    selected: Mapping[str, Any],
    objective: Objective,
) -> Any:
    """The objective's terms for goals, depth and quotas, with the rows that bind them.

    A goal is a boolean no greater than the number of its candidates placed; a quota an
    integer no greater than its places and its kind's candidates placed. Depth gives each
    placed candidate of a group one rank: ranks 1 to DEPTH_RANKS - 1 hold one candidate each,
    the last any number, and a rank costs the value the candidate loses there; maximising puts
    the most valuable candidates in the first ranks, which is `plan_value`'s reading. All
    linear rows, so the LP relaxation stays tight."""
    terms: list[Any] = []
    covering: dict[str, list[Any]] = {}
    for c in placeable:
        for g in c.covers:
            if g in objective.goals:
                covering.setdefault(g, []).append(selected[c.key])
    for g, members in sorted(covering.items()):
        met = model.new_bool_var(f"goal[{g}]")
        model.add(met <= sum(members))
        terms.append(_scaled(objective.goals[g]) * met)
    for kind, (places, bonus) in sorted(objective.quotas.items()):
        members = [selected[c.key] for c in placeable if c.kind == kind and c.counted]
        if not members or places <= 0:
            continue
        filled = model.new_int_var(0, min(places, len(members)), f"quota[{kind}]")
        model.add(filled <= sum(members))
        terms.append(_scaled(bonus) * filled)
    if objective.repeat < 1:
        groups: dict[str, list[Candidate]] = {}
        for c in placeable:
            if c.group is not None:
                groups.setdefault(c.group, []).append(c)
        for _, members in sorted(groups.items()):
            if len(members) < 2:
                continue
            ranks = range(1, min(len(members), DEPTH_RANKS))
            by_rank: dict[int, list[Any]] = {r: [] for r in ranks}
            for c in members:
                held = []
                for r in ranks:
                    y = model.new_bool_var(f"rank[{c.key},{r}]")
                    by_rank[r].append(y)
                    held.append(y)
                    loss = c.value * (1 - _depth(objective.repeat, r))
                    terms.append(-_scaled(loss) * y)
                # Rank 0 (kept whole) or one later rank, only when placed.
                model.add(sum(held) <= selected[c.key])
            for r in ranks:
                if r < DEPTH_RANKS - 1:
                    model.add(sum(by_rank[r]) <= 1)
            # Every placed candidate but one takes a later rank.
            model.add(
                sum(y for r in ranks for y in by_rank[r])
                >= sum(selected[c.key] for c in members) - 1
            )
    return sum(terms)


def _best_greedy(
    candidates: Sequence[Candidate],
    capacity: Mapping[str, Sequence[float]],
    count: int | None,
    objective: Objective | None = None,
) -> Schedule:
    """The better of the two greedy plans: the solver's starting point."""
    plans = [greedy_edf(candidates, capacity, count=count, objective=objective)]
    plans.append(greedy_value(candidates, capacity, count=count, objective=objective))
    return max(plans, key=lambda s: (len(s.weeks) if count is not None else 0, s.objective))


def greedy_edf(
    candidates: Sequence[Candidate],
    capacity: Capacity,
    *,
    count: int | None = None,
    objective: Objective | None = None,
) -> Schedule:
    """The baseline a spreadsheet would give: take candidates by earliest deadline (then
    highest value), each in the earliest week with room after its prerequisites; the steps of a
    bundle go in together or not at all. Fixed and required candidates go first. Its value is
    counted as the solver counts it (`plan_value`)."""
    return _greedy(
        candidates,
        capacity,
        count,
        lambda c, _gain: (c.deadline_week, -c.value),
        "greedy-edf",
        objective or Objective(),
    )


def greedy_value(
    candidates: Sequence[Candidate],
    capacity: Capacity,
    *,
    count: int | None = None,
    objective: Objective | None = None,
) -> Schedule:
    """Like `greedy_edf` but taking the most value per hour first (the most value first when a
    count caps the plan), the value being what the candidate adds to the plan so far: the
    bonus of the needs it would meet first and of the quota places left, its value less the
    depth discount of its group."""

    def order(c: Candidate, gain: float) -> tuple[float, ...]:
        if count is not None:
            return (-gain, c.deadline_week)
        return (-gain / c.hours, c.deadline_week)

    return _greedy(candidates, capacity, count, order, "greedy-value", objective or Objective())


def _greedy(
    candidates: Sequence[Candidate],
    capacity: Capacity,
    count: int | None,
    order: Callable[[Candidate, float], tuple[float, ...]],
    name: str,
    objective: Objective,
) -> Schedule:
    started = time.perf_counter()
    named = pools(capacity)
    weeks = _weeks(named)
    free = {pool: _capacity_units(hours) for pool, hours in named.items()}
    by_key = {c.key: c for c in candidates}
    bundles = _bundles(candidates)
    dependents: dict[str, list[str]] = {}
    waiting: dict[str, int] = {}
    for c in candidates:
        waiting[c.key] = len(c.requires)
        for r in c.requires:
            dependents.setdefault(r, []).append(c.key)
    quotas = objective.quotas if count is not None else {}
    met: dict[str, int] = {}
    filled: dict[str, int] = {}
    depth: dict[str, int] = {}

    def gain(c: Candidate) -> float:
        """What placing `c` adds now (it only falls as the plan fills: a lazy greedy)."""
        value = c.value * (_depth(objective.repeat, depth.get(c.group, 0)) if c.group else 1.0)
        value += sum(
            objective.goals[g] for g in c.covers if g in objective.goals and not met.get(g)
        )
        if c.kind in quotas and c.counted and filled.get(c.kind, 0) < quotas[c.kind][0]:
            value += quotas[c.kind][1]
        return value

    def rank(c: Candidate) -> tuple[tuple[float, ...], str]:
        tier = 0 if c.fixed_week is not None else 1 if c.required else 2
        return ((tier, *order(c, gain(c))), c.key)

    def account(c: Candidate, sign: int) -> None:
        for g in c.covers:
            met[g] = met.get(g, 0) + sign
        if c.counted:
            filled[c.kind] = filled.get(c.kind, 0) + sign
        if c.group is not None:
            depth[c.group] = depth.get(c.group, 0) + sign

    ready = [(rank(c), c.key) for c in candidates if not c.requires]
    heapq.heapify(ready)
    placed: dict[str, int] = {}
    rejected: set[str] = set()
    limit = count if count is not None else len(candidates)
    counted = 0

    def reject(key: str) -> None:
        nonlocal counted
        stack = [key]
        while stack:
            k = stack.pop()
            if k in rejected:
                continue
            rejected.add(k)
            if k in placed:
                c = by_key[k]
                free[c.pool][placed.pop(k)] += _units(c.hours)
                counted -= c.counted
                account(c, -1)
            stack.extend(dependents.get(k, ()))
            bundle = by_key[k].bundle
            if bundle is not None:
                stack.extend(bundles.get(bundle, []))

    while ready:
        held, key = heapq.heappop(ready)
        if key in rejected:
            continue
        c = by_key[key]
        now = rank(c)
        if now > held:  # worth less than when queued: back in line at its current worth
            heapq.heappush(ready, (now, key))
            continue
        earliest = max([placed[r] for r in c.requires], default=0)
        need = _units(c.hours)
        room = free[c.pool]
        week = next((w for w in c.allowed_weeks(weeks) if w >= earliest and room[w] >= need), None)
        if week is None or (c.counted and counted >= limit):
            reject(key)
            continue
        placed[key] = week
        room[week] -= need
        counted += c.counted
        account(c, 1)
        for d in dependents.get(key, ()):
            waiting[d] -= 1
            if waiting[d] == 0 and d not in rejected:
                heapq.heappush(ready, (rank(by_key[d]), d))
    # A bundle cut short (by capacity or the count) is not a plan: drop its placed steps.
    for members in bundles.values():
        if any(m not in placed for m in members):
            reject(members[0])
    value = plan_value(candidates, placed, replace(objective, quotas=quotas))
    return Schedule(
        weeks=dict(sorted(placed.items())),
        solver=name,
        status="feasible",
        objective=value,
        bound=value,
        seconds=time.perf_counter() - started,
        count_met=count is None or counted == count,
    )


def violations(
    candidates: Sequence[Candidate], capacity: Capacity, weeks: Mapping[str, int]
) -> list[str]:
    """Every rule a schedule breaks (empty when it is valid): the independent check the tests
    and the planner run on every plan before showing it."""
    named = pools(capacity)
    n = _weeks(named)
    by_key = {c.key: c for c in candidates}
    problems: list[str] = []
    load = {pool: [0] * n for pool in named}
    for key, w in weeks.items():
        c = by_key.get(key)
        if c is None:
            problems.append(f"{key}: not a candidate")
            continue
        if w not in c.allowed_weeks(n):
            problems.append(f"{key}: week {w} outside weeks {c.release_week}-{c.deadline_week}")
        if 0 <= w < n:
            load[c.pool][w] += _units(c.hours)
        for r in c.requires:
            if r not in weeks:
                problems.append(f"{key}: in the plan without its prerequisite {r}")
            elif weeks[r] > w:
                problems.append(f"{key}: week {w} before its prerequisite {r} (week {weeks[r]})")
    bundles = _bundles(candidates)
    for c in candidates:
        if (c.required or c.fixed_week is not None) and c.key not in weeks:
            problems.append(f"{c.key}: required but left out")
        steps = bundles.get(c.bundle or "", [])
        if c.key in steps and (c.key in weeks) != all(k in weeks for k in steps):
            problems.append(f"{c.key}: only part of its bundle {c.bundle} is in the plan")
    for pool, hours in named.items():
        for w, (used, cap) in enumerate(zip(load[pool], _capacity_units(hours), strict=True)):
            if used > cap:
                problems.append(
                    f"week {w} ({pool or 'capacity'}): {used / UNITS_PER_HOUR:g} h "
                    f"over {cap / UNITS_PER_HOUR:g} h"
                )
    return problems


def explain_shortfall(candidates: Sequence[Candidate], capacity: Capacity) -> list[str]:
    """Why the required candidates cannot all fit: the first week by which more required hours
    fall due (in one pool) than that pool holds up to then."""
    named = pools(capacity)
    n = _weeks(named)
    must = [c for c in candidates if c.required or c.fixed_week is not None]
    for pool, hours in named.items():
        mine = [c for c in must if c.pool == pool]
        for d in range(n):
            due = [c for c in mine if min(c.deadline_week, n - 1) <= d]
            need = sum(c.hours for c in due)
            have = sum(hours[: d + 1])
            if need > have + 1e-9:
                label = f" of the {pool} hours" if pool else ""
                return [
                    f"{len(due)} required activities need {need:g} h by week {d + 1}, "
                    f"but weeks 1-{d + 1} hold {have:g} h{label}"
                ]
    need = sum(c.hours for c in must)
    have = sum(sum(hours) for hours in named.values())
    return [
        f"required activities need {need:g} h and the quarter holds {have:g} h, but their "
        "deadlines, order and week sizes leave no way to fit them all"
    ]
