"""The quarterly plan: playbook activities for a CSM's book, fitted into 13 weeks of hours.

Pure core. From the book's facts and signals and a playbook library it drafts candidate
activities (with deadline, value and dependencies), asks the scheduler for the most valuable
plan that fits, checks that plan independently, and says why each left-out candidate is out.

- Existing clients get `existing_share` of the weekly hours; the new clients' onboarding (from
  the library's onboarding playbooks) gets the rest, must all fit, and is listed apart.
- An activity longer than a week's hours is split into steps, taken all or none.
- Its deadline comes from its rule, is never after the end of the quarter, and for retention
  and data work never after a renewal inside the quarter. A deadline already past makes the
  activity urgent: it is wanted in the first open week (its value falls week by week after
  it), and may only slip when that week is full, never past the renewal it serves.
- Value = category priority x ARR at stake (relative to the book's median, 0.5-2x) x urgency.
- Re-planning keeps the tasks already done where they were; only weeks from the as-of day on
  take new work.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from statistics import median

from tenure.kit.errors import TenureError
from tenure.plans.defaults import EXISTING_SHARE, MAX_HOURS_PER_WEEK

# The pages show the default hours through the planner, whose objects they already read.
from tenure.plans.defaults import HOURS_PER_WEEK as HOURS_PER_WEEK
from tenure.plans.playbooks import MIX_SHARES, ActivityDef, Library
from tenure.plans.scheduler import (
    DEFAULT_DETERMINISTIC_TIME,
    DEFAULT_TIME_LIMIT,
    WEEKS,
    Candidate,
    Objective,
    Schedule,
    explain_shortfall,
    greedy_edf,
    schedule,
    violations,
)
from tenure.plans.signals import AccountFacts, Signal, quarter_end

EXISTING = "existing"
ONBOARDING = "onboarding"
# An urgent activity loses this share of its value for every week it waits.
URGENT_DECAY = 0.85
# A CSM's week when nothing else is said: what plans are made against, and saved tasks measured.
ARR_WEIGHT_RANGE = (0.5, 2.0)
# Work that keeps a client: for an account renewing inside the quarter it is due before the
# renewal (after it, it no longer protects it).
RENEWAL_WORK = ("retention", "data", "adoption")


@dataclass(frozen=True)
class NewClient:
    """A client to onboard this quarter: an account already in the book, or a placeholder."""

    client: str
    name: str
    start: date
    why: str = ""  # why this client is onboarded: its stage or start, or a placeholder


@dataclass(frozen=True)
class Need:
    """What every plan covers before going deeper: a renewal inside the quarter, a red
    account (on its weakest component), a data gap. `kind` is renewal, red or gap."""

    key: str
    client: str
    kind: str
    what: str


@dataclass(frozen=True)
class Uncovered:
    """A need the plan does not cover, and why: capacity, timing, count or no activity."""

    client: str
    kind: str
    what: str
    why: str
    reason: str

    def record(self) -> dict[str, object]:
        return {
            "client": self.client,
            "kind": self.kind,
            "what": self.what,
            "why": self.why,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class PlannedActivity:
    """One row of the plan (the JSON record's fields, plus what the planner needs)."""

    reference: str
    client: str
    category: str
    signals: tuple[str, ...]
    description: str
    purpose: str
    results: str
    measurement: str
    duration_hours: float
    deadline: date
    start: date
    dependencies: tuple[str, ...]
    notes: str
    week: int  # 0-based
    value: float = 0.0
    urgent: bool = False
    done: bool = False
    onboarding: bool = False
    activity: str = ""  # the library's activity key
    playbooks: tuple[str, ...] = ()
    why: str = ""  # why it was chosen, in the account's figures

    def record(self) -> dict[str, object]:
        return {
            "reference": self.reference,
            "client": self.client,
            "category": self.category,
            "signals": list(self.signals),
            "description": self.description,
            "purpose": self.purpose,
            "results": self.results,
            "measurement": self.measurement,
            "duration_hours": self.duration_hours,
            "deadline": self.deadline,
            "start": self.start,
            "dependencies": list(self.dependencies),
            "notes": self.notes,
            "why": self.why,
        }


@dataclass(frozen=True)
class LeftOut:
    reference: str
    client: str
    category: str
    signals: tuple[str, ...]
    description: str
    duration_hours: float
    deadline: date
    value: float
    why: str  # capacity | lower priority | dependency | timing
    reason: str
    covers: tuple[str, ...] = ()  # the needs it would have covered

    def record(self) -> dict[str, object]:
        return {
            "reference": self.reference,
            "client": self.client,
            "category": self.category,
            "signals": list(self.signals),
            "description": self.description,
            "duration_hours": self.duration_hours,
            "deadline": self.deadline,
            "why": self.why,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class WeekLoad:
    week: int  # 1-based
    start: date
    hours: float
    capacity: float
    onboarding_hours: float
    onboarding_capacity: float

    def record(self) -> dict[str, object]:
        return {
            "week": self.week,
            "start": self.start,
            "hours": self.hours,
            "capacity": self.capacity,
            "onboarding_hours": self.onboarding_hours,
            "onboarding_capacity": self.onboarding_capacity,
        }


@dataclass(frozen=True)
class SolverReport:
    status: str
    objective: float
    bound: float
    gap: float
    seconds: float
    greedy_objective: float
    candidates: int


@dataclass
class Plan:
    activities: list[PlannedActivity]
    onboarding: list[PlannedActivity]
    left_out: list[LeftOut]
    weeks: list[WeekLoad]
    solver: SolverReport
    notes: list[str] = field(default_factory=list)
    uncovered: list[Uncovered] = field(default_factory=list)

    def parts(self) -> dict[str, list[dict[str, object]]]:
        """The JSON object of the plan: activities, onboarding, left_out, weeks."""
        return {
            "activities": [a.record() for a in self.activities],
            "onboarding": [a.record() for a in self.onboarding],
            "left_out": [x.record() for x in self.left_out],
            "weeks": [w.record() for w in self.weeks],
        }


@dataclass(frozen=True)
class PlanRequest:
    quarter_start: date
    as_of: date | None = None  # default: the quarter start
    hours_per_week: float = HOURS_PER_WEEK
    existing_share: float = EXISTING_SHARE
    count: int | None = None
    new_clients: Sequence[NewClient] = ()
    done: Sequence[PlannedActivity] = ()  # tasks of this quarter already done
    deterministic_time: float | None = None  # None: the scheduler's default
    time_limit: float | None = None

    @property
    def day(self) -> date:
        return self.as_of or self.quarter_start

    def check(self) -> None:
        problems = []
        if not 0 < self.hours_per_week <= MAX_HOURS_PER_WEEK:
            problems.append(
                f"--hours-per-week: {self.hours_per_week:g}: between 0 and {MAX_HOURS_PER_WEEK:g}"
            )
        if not 0 <= self.existing_share <= 1:
            problems.append(f"--existing-share: {self.existing_share:g}: between 0 and 1")
        if self.count is not None and self.count < 0:
            problems.append(f"--count: {self.count}: must not be negative")
        if self.day > quarter_end(self.quarter_start):
            problems.append(
                f"--as-of: {self.day}: after the quarter's last day "
                f"{quarter_end(self.quarter_start)}; plan the next quarter instead"
            )
        if problems:
            raise TenureError("cannot plan the quarter", problems=problems)


# -- drafting candidates ------------------------------------------------------------------------


@dataclass
class _Draft:
    """One activity for one client before it is split into steps."""

    activity: ActivityDef
    client: str
    onboarding: bool
    signals: list[str]
    playbooks: list[str]
    weight: float
    deadline: date
    release: date | None
    notes: list[str]
    # The hard limit: the day before a renewal it serves inside the quarter, else the quarter's
    # last day. An urgent activity (deadline past) may slip up to it.
    limit: date
    value: float = 0.0
    urgent: bool = False
    why: str = ""
    covers: list[str] = field(default_factory=list)
    # Onboarding due only after the quarter (a client starting late in it): planned when it
    # fits, else left for next quarter's plan, never a reason to refuse this one.
    due_later: bool = False

    @property
    def group(self) -> str | None:
        """Depth is counted per account and kind of work; onboarding is all required."""
        return None if self.onboarding else f"{self.client}:{self.activity.category}"

    @property
    def shown_deadline(self) -> date:
        return self.limit if self.urgent else self.deadline

    @property
    def reference(self) -> str:
        return f"{self.activity.prefix}-{self.client}"


def _arr_weights(book: Sequence[AccountFacts]) -> dict[str, float]:
    known = [f.arr for f in book if f.arr is not None and f.arr > 0]
    if not known:
        return {}
    typical = median(known)
    low, high = ARR_WEIGHT_RANGE
    return {
        f.external_id: min(max(math.sqrt(f.arr / typical), low), high)
        for f in book
        if f.arr is not None and f.arr > 0
    }


def _drafts(
    book: Sequence[AccountFacts],
    signals: Mapping[str, Sequence[Signal]],
    library: Library,
    request: PlanRequest,
    needs: list[Need] | None = None,
) -> list[_Draft]:
    """Every candidate activity before steps; `needs` receives what the plan must cover,
    each draft naming the needs it would cover in `covers`."""
    qs, qe = request.quarter_start, quarter_end(request.quarter_start)
    drafts: dict[tuple[str, str], _Draft] = {}
    arr = _arr_weights(book)
    for facts in book:
        found = signals.get(facts.external_id, [])
        renewal = facts.renewal_date
        renews_here = renewal is not None and qs <= renewal <= qe
        mine: dict[str, _Draft] = {}
        for playbook in library.playbooks:
            answered = playbook.answers(facts, found)
            if answered is None:
                continue
            for key in playbook.activities:
                held = mine.get(key)
                if held is not None:
                    held.signals = list(dict.fromkeys([*held.signals, *answered]))
                    held.playbooks.append(playbook.key)
                    held.weight = max(held.weight, playbook.weight)
                    continue
                mine[key] = _draft(library.activities[key], facts, answered, playbook.key, qs, qe)
                mine[key].weight = playbook.weight
        summary = _summary(facts, renews_here)
        for key, draft in mine.items():
            draft.value = _value(draft, facts, found, library, arr, renews_here)
            draft.why = _why(summary, draft, found)
            drafts[(facts.external_id, key)] = draft
        for need, covering in _needs(facts, renews_here, list(mine.values())):
            if needs is not None:
                needs.append(need)
            for draft in covering:
                draft.covers.append(need.key)
    for client in request.new_clients:
        for playbook in library.onboarding:
            for key in playbook.activities:
                activity = library.activities[key]
                if (client.client, key) in drafts:
                    continue
                due = activity.deadline.resolve(qs, qe, None, client.start)
                deadline = due or qe
                release = (
                    activity.earliest.resolve(qs, qe, None, client.start)
                    if activity.earliest
                    else client.start
                )
                drafts[(client.client, key)] = _Draft(
                    activity=activity,
                    client=client.client,
                    onboarding=True,
                    signals=[],
                    playbooks=[playbook.key],
                    weight=playbook.weight,
                    deadline=min(deadline, qe),
                    release=release,
                    notes=[activity.notes] if activity.notes else [],
                    limit=qe,
                    value=library.priorities.get("onboarding", 100.0) * playbook.weight,
                    why=client.why or f"new client from {client.start.isoformat()}",
                    due_later=due is not None and due > qe,
                )
    return list(drafts.values())


def weakest_component(facts: AccountFacts) -> str | None:
    """The lowest-scoring known component (the first listed on a tie)."""
    known = {k: v for k, v in facts.components.items() if v is not None}
    return min(known, key=lambda k: known[k]) if known else None


def _summary(facts: AccountFacts, renews_here: bool) -> str:
    """The account in a line: "renewal on 2027-02-01, health 45, weakest: product"."""
    parts = []
    if renews_here and facts.renewal_date is not None:
        parts.append(f"renewal on {facts.renewal_date.isoformat()}")
    parts.append("no health score" if facts.health is None else f"health {facts.health}")
    weakest = weakest_component(facts)
    if weakest is not None:
        parts.append(f"weakest: {weakest}")
    return ", ".join(parts)


# Already in the summary line.
_SUMMARISED = ("renewal_in_quarter", "red_health")


def _why(summary: str, draft: _Draft, found: Sequence[Signal]) -> str:
    evidence = [s.evidence for s in found if s.kind in draft.signals and s.kind not in _SUMMARISED]
    return "; ".join([summary, *dict.fromkeys(evidence)])


def _needs(
    facts: AccountFacts, renews_here: bool, mine: Sequence[_Draft]
) -> list[tuple[Need, list[_Draft]]]:
    """What a plan must cover for this account, each with the drafts that would cover it: the
    most specific ones when there are any (the renewal's own work; work on the red account's
    weakest component; work on the missing data), else any work of the kind."""
    client = facts.external_id
    out: list[tuple[Need, list[_Draft]]] = []

    def of(category: str) -> list[_Draft]:
        return [d for d in mine if d.activity.category == category]

    if renews_here and facts.renewal_date is not None:
        renewal = [d for d in of("retention") if "renewal_in_quarter" in d.signals]
        what = f"the renewal on {facts.renewal_date.isoformat()}"
        out.append((Need(f"renewal:{client}", client, "renewal", what), renewal or of("retention")))
    if facts.band == "red":
        weakest = weakest_component(facts)
        on_it = [d for d in mine if weakest is not None and weakest in d.activity.addresses]
        red = [d for d in of("retention") if "red_health" in d.signals]
        what = f"red health {facts.health}" + (f" (weakest: {weakest})" if weakest else "")
        out.append((Need(f"red:{client}", client, "red", what), on_it or red or of("retention")))
    gaps = [k for k, v in facts.components.items() if v is None]
    if facts.health is None and not facts.components:
        gaps.append("health")
    for gap in gaps:
        on_it = [d for d in of("data") if gap in d.activity.addresses]
        answering = [d for d in of("data") if "data_gap" in d.signals]
        need = Need(f"gap:{client}:{gap}", client, "gap", f"no {gap} data")
        out.append((need, on_it or answering))
    return out


def _draft(
    activity: ActivityDef,
    facts: AccountFacts,
    answered: Sequence[str],
    playbook: str,
    qs: date,
    qe: date,
) -> _Draft:
    renewal = facts.renewal_date
    notes = [activity.notes] if activity.notes else []
    deadline = activity.deadline.resolve(qs, qe, renewal, qs)
    if deadline is None:
        deadline = qe
        notes.append("no renewal date known: due by the end of the quarter")
    limit = qe
    if renewal is not None and qs <= renewal <= qe and activity.category in RENEWAL_WORK:
        # Work serving a renewal is worth nothing after it.
        limit = renewal - timedelta(days=1)
        deadline = min(deadline, limit)
    release = activity.earliest.resolve(qs, qe, renewal, qs) if activity.earliest else None
    return _Draft(
        activity=activity,
        client=facts.external_id,
        onboarding=False,
        signals=list(answered),
        playbooks=[playbook],
        weight=1.0,
        deadline=min(deadline, qe),
        release=release,
        notes=notes,
        limit=limit,
    )


def _value(
    draft: _Draft,
    facts: AccountFacts,
    found: Sequence[Signal],
    library: Library,
    arr: Mapping[str, float],
    renews_here: bool,
) -> float:
    category = draft.activity.category
    value = library.priorities.get(category, 1.0) * draft.weight * arr.get(facts.external_id, 1.0)
    kinds = {s.kind for s in found}
    if renews_here:
        kinds.add("renewal_in_quarter")
    if category in ("retention", "data"):
        for kind in ("renewal_in_quarter", "red_health", "falling_health"):
            if kind in kinds:
                value *= library.urgency.get(kind, 1.0)
    return value


# -- from drafts to scheduler candidates -------------------------------------------------------


@dataclass(frozen=True)
class _Step:
    draft: _Draft
    reference: str
    index: int  # 1-based
    steps: int
    hours: float


def _week_of(day: date, quarter_start: date) -> int:
    return (day - quarter_start).days // 7


def _last_week(deadline: date, quarter_start: date) -> int:
    """The last week whose every day is on or before the deadline."""
    return ((deadline - quarter_start).days - 6) // 7


def _split(hours: float, week_hours: float) -> list[float]:
    """Steps of at most a week's hours, in quarter hours, the last taking the remainder."""
    if week_hours <= 0 or hours <= week_hours:
        return [hours]
    steps = math.ceil(hours / week_hours - 1e-9)
    # Rounded up to a quarter hour but never past a week, so the remainder fits a week too.
    each = min(math.ceil(hours / steps * 4 - 1e-9) / 4, week_hours)
    last = round(hours - each * (steps - 1), 9)
    if last <= 0:
        return [hours / steps] * steps
    return [each] * (steps - 1) + [last]


@dataclass(frozen=True)
class Prepared:
    """The scheduling problem of one CSM's quarter: candidates and the hours of each pool."""

    candidates: list[Candidate]
    capacity: dict[str, list[float]]
    info: dict[str, _Step]
    kept: list[PlannedActivity]
    week_hours: dict[str, float]
    needs: list[Need] = field(default_factory=list)
    objective: Objective = field(default_factory=Objective)
    # Onboarding steps that may start only after the quarter (a client starting late in it).
    deferred: list[_Step] = field(default_factory=list)


def plan_quarter(
    book: Sequence[AccountFacts],
    signals: Mapping[str, Sequence[Signal]],
    library: Library,
    request: PlanRequest,
) -> Plan:
    """The plan for one CSM's quarter. Raises TenureError when the required work (onboarding,
    tasks already done) cannot fit the hours."""
    prepared = prepare(book, signals, library, request)
    candidates, capacity = prepared.candidates, prepared.capacity
    result = schedule(
        candidates,
        capacity,
        count=request.count,
        time_limit=request.time_limit or DEFAULT_TIME_LIMIT,
        deterministic_time=request.deterministic_time or DEFAULT_DETERMINISTIC_TIME,
        objective=prepared.objective,
    )
    if not result.found:
        required = [c for c in candidates if c.required or c.fixed_week is not None]
        reasons = (
            explain_shortfall(required, capacity)
            if result.status == "infeasible"
            else [f"the solver found no plan in time ({result.status})"]
        )
        onboarding = prepared.week_hours[ONBOARDING]
        raise TenureError(
            "more required work than hours: the new clients' onboarding does not fit "
            f"{onboarding:g} h a week ({1 - request.existing_share:.0%} of "
            f"{request.hours_per_week:g} h); lower --new-clients, raise --hours-per-week or "
            "lower --existing-share",
            problems=[*result.notes, *reasons],
        )
    broken = violations(candidates, capacity, result.weeks)
    if broken:  # the independent check: never show a plan that breaks a rule
        raise RuntimeError("the scheduler produced an invalid plan: " + "; ".join(broken))
    baseline = greedy_edf(candidates, capacity, count=request.count, objective=prepared.objective)
    return _assemble(request, prepared, result, baseline)


def prepare(
    book: Sequence[AccountFacts],
    signals: Mapping[str, Sequence[Signal]],
    library: Library,
    request: PlanRequest,
) -> Prepared:
    """Draft every candidate activity of the quarter (split into steps, with deadlines,
    values and dependencies) and the weekly hours they share."""
    request.check()
    qs = request.quarter_start
    open_week = max(_week_of(request.day, qs), 0)
    week_hours = {
        EXISTING: request.hours_per_week * request.existing_share,
        ONBOARDING: request.hours_per_week * (1 - request.existing_share),
    }
    if request.new_clients and not library.onboarding:
        raise TenureError(
            f"{library.file}: no onboarding playbook (a [[playbooks]] with onboarding = true) "
            f"for the {len(request.new_clients)} new clients"
        )
    needs: list[Need] = []
    drafts = _drafts(book, signals, library, request, needs)
    past_deadline = library.urgency.get("past_deadline", 1.0)
    done = {a.reference: a for a in request.done}

    steps: list[_Step] = []
    for draft in drafts:
        pool = ONBOARDING if draft.onboarding else EXISTING
        parts = _split(draft.activity.hours, week_hours[pool])
        for i, hours in enumerate(parts, start=1):
            reference = draft.reference if len(parts) == 1 else f"{draft.reference}.{i}"
            steps.append(_Step(draft, reference, i, len(parts), hours))
    by_activity = {(s.draft.client, s.draft.activity.key): s for s in steps if s.index == s.steps}

    candidates: list[Candidate] = []
    info: dict[str, _Step] = {}
    for step in steps:
        if step.reference in done:
            continue
        draft = step.draft
        deadline_week = _last_week(draft.deadline, qs)
        urgent = deadline_week < open_week
        if urgent:
            draft.urgent = True
            deadline_week = _last_week(draft.limit, qs)
        release = open_week
        if draft.release is not None:
            release = max(release, -(-(draft.release - qs).days // 7))
        requires: list[str] = []
        if step.index > 1:
            requires.append(_step_reference(draft.reference, step.index - 1, step.steps))
        elif step.index == 1:
            for needed in draft.activity.depends_on:
                prerequisite = by_activity.get((draft.client, needed))
                if prerequisite is not None:
                    requires.append(prerequisite.reference)
        started = any(
            _step_reference(draft.reference, i, step.steps) in done
            for i in range(1, step.steps + 1)
        )
        value = draft.value * (past_deadline if urgent else 1.0) / step.steps
        candidates.append(
            Candidate(
                key=step.reference,
                hours=step.hours,
                value=value,
                deadline_week=max(deadline_week, open_week),
                release_week=min(release, WEEKS),
                requires=tuple(requires),
                # Steps go all or none, unless some are done already: then what is left is
                # planned step by step.
                bundle=draft.reference if step.steps > 1 and not started else None,
                required=draft.onboarding and not draft.due_later,
                pool=ONBOARDING if draft.onboarding else EXISTING,
                counted=not draft.onboarding,
                decay=URGENT_DECAY if urgent else 1.0,
                covers=tuple(draft.covers),
                # One rank per activity: its later steps follow the first.
                group=draft.group if step.index == 1 else None,
                kind=draft.activity.category,
            )
        )
        info[step.reference] = step

    # Onboarding work whose earliest day is after the quarter's last week (a client that
    # starts late in the quarter), and the work that follows it, belongs to next quarter's
    # plan: leaving it out is not a refusal of this quarter's.
    late = {c.key for c in candidates if info[c.key].draft.onboarding and c.release_week >= WEEKS}
    while True:
        after = {
            c.key for c in candidates if info[c.key].draft.onboarding and late & set(c.requires)
        } - late
        if not after:
            break
        late |= after
    deferred = [info[c.key] for c in candidates if c.key in late]
    candidates = [c for c in candidates if c.key not in late]

    capacity = {
        EXISTING: [week_hours[EXISTING]] * WEEKS,
        ONBOARDING: [week_hours[ONBOARDING]] * WEEKS,
    }
    kept = list(request.done)
    for pool in (EXISTING, ONBOARDING):
        # Hours already worked stay worked, even past a week's nominal capacity.
        used = [0.0] * WEEKS
        for task in kept:
            if (ONBOARDING if task.onboarding else EXISTING) == pool:
                used[task.week] += task.duration_hours
        capacity[pool] = [max(c, u) for c, u in zip(capacity[pool], used, strict=True)]
    known = {c.key for c in candidates}
    for task in kept:
        candidates.append(
            Candidate(
                key=task.reference,
                hours=task.duration_hours,
                value=task.value,
                fixed_week=task.week,
                pool=ONBOARDING if task.onboarding else EXISTING,
                counted=not task.onboarding,
                kind=task.category,
            )
        )
    # A dependency on a task done in an earlier plan is met by that task.
    candidates = [
        replace(c, requires=tuple(r for r in c.requires if r in known or r in done))
        for c in candidates
    ]

    objective = _objective(library, request, candidates, needs)
    return Prepared(candidates, capacity, info, kept, week_hours, needs, objective, deferred)


def _objective(
    library: Library,
    request: PlanRequest,
    candidates: Sequence[Candidate],
    needs: Sequence[Need],
) -> Objective:
    """Coverage, mix and depth on the scale of this plan: each in multiples of its most
    valuable single activity, so the priorities order them whatever the book's ARR. A need
    comes before a place kept for expansion, which comes before one for advocacy, which
    comes before any single activity's own value."""
    top = max((c.value for c in candidates if c.counted), default=0.0)
    weight = {"renewal": "renewal_in_quarter", "red": "red_health", "gap": "data_gap"}
    goals = {n.key: library.coverage.get(weight[n.kind], 0.0) * top for n in needs}
    highest = max(library.priorities.values(), default=1.0) or 1.0
    quotas = {}
    if request.count is not None:
        for kind in MIX_SHARES:
            places = round(library.mix.get(kind, 0.0) * request.count)
            if places > 0:
                bonus = top * (1 + library.priorities.get(kind, 0.0) / highest)
                quotas[kind] = (places, bonus)
    return Objective(goals, quotas, library.mix.get("repeat", 1.0))


def _step_reference(base: str, index: int, steps: int) -> str:
    return base if steps == 1 else f"{base}.{index}"


def _assemble(
    request: PlanRequest, prepared: Prepared, result: Schedule, baseline: Schedule
) -> Plan:
    candidates, info, kept = prepared.candidates, prepared.info, prepared.kept
    capacity = prepared.capacity
    qs = request.quarter_start
    by_key = {c.key: c for c in candidates}
    planned: list[PlannedActivity] = list(kept)
    for key, week in result.weeks.items():
        step = info.get(key)
        if step is None:
            continue  # a task kept from before
        planned.append(_planned(step, week, qs, by_key[key], prepared, result))
    order = sorted(planned, key=lambda a: (a.week, -a.value, a.reference))
    activities = [a for a in order if not a.onboarding]
    onboarding = [a for a in order if a.onboarding]

    loads = {EXISTING: [0.0] * WEEKS, ONBOARDING: [0.0] * WEEKS}
    for a in planned:
        loads[ONBOARDING if a.onboarding else EXISTING][a.week] += a.duration_hours
    weeks = [
        WeekLoad(
            week=w + 1,
            start=qs + timedelta(days=7 * w),
            hours=round(loads[EXISTING][w], 2),
            capacity=round(capacity[EXISTING][w], 2),
            onboarding_hours=round(loads[ONBOARDING][w], 2),
            onboarding_capacity=round(capacity[ONBOARDING][w], 2),
        )
        for w in range(WEEKS)
    ]
    left_out = _left_out(request, candidates, info, result, loads, capacity)
    uncovered = _uncovered(prepared, result, left_out)
    counted = sum(1 for a in activities)
    notes = list(result.notes)
    notes += [f"not covered: {n.what} of {n.client}: {n.reason}" for n in uncovered]
    notes += [
        f"next quarter: {s.reference} ({s.draft.activity.key} for {s.draft.client}) may "
        "start only after this quarter ends"
        for s in prepared.deferred
    ]
    drafts = {s.draft.reference: s.draft for s in info.values()}
    notes += [
        f"next quarter: {left.reference} ({draft.activity.key} for {draft.client}) is due "
        f"after this quarter and {left.why} kept it out of this one"
        for left in left_out
        if (draft := drafts.get(left.reference)) is not None and draft.due_later
    ]
    if request.count is not None and counted < request.count and result.count_met:
        notes.append(
            f"--count {request.count}: only {counted} candidate activities exist for this book"
        )
    report = SolverReport(
        status=result.status,
        objective=round(result.objective, 2),
        bound=round(result.bound, 2),
        gap=result.gap,
        seconds=result.seconds,
        greedy_objective=round(baseline.objective, 2),
        candidates=len(candidates),
    )
    return Plan(activities, onboarding, left_out, weeks, report, notes, uncovered)


def _uncovered(
    prepared: Prepared, result: Schedule, left_out: Sequence[LeftOut]
) -> list[Uncovered]:
    """The needs no placed activity covers, each with why its activities are left out."""
    met = {g for key in result.weeks for g in _covers(prepared, key)}
    met |= {g for task in prepared.kept for g in _task_covers(prepared, task)}
    out = []
    for need in prepared.needs:
        if need.key in met:
            continue
        mine = [x for x in left_out if need.key in x.covers]
        if not mine:
            why, reason = "no activity", "the playbook library proposes no activity for it"
        else:
            # What the need waits on: its first activities, not those that need them.
            primary = [x for x in mine if x.why != "dependency"] or mine
            reasons = {x.why for x in primary}
            best = primary[0]  # the most valuable, as left_out is sorted
            if "capacity" in reasons:
                why = "capacity"
                best = next(x for x in primary if x.why == "capacity")
            elif reasons == {"timing"}:
                why = "timing"
            elif "(--count)" in best.reason:
                why = "count"
            else:
                why = "capacity"
            reason = f"{best.reference} ({best.duration_hours:g} h): {best.reason}"
        out.append(Uncovered(need.client, need.kind, need.what, why, reason))
    return out


def _covers(prepared: Prepared, key: str) -> tuple[str, ...]:
    step = prepared.info.get(key)
    return tuple(step.draft.covers) if step is not None else ()


def _task_covers(prepared: Prepared, task: PlannedActivity) -> tuple[str, ...]:
    """A task done earlier covers what its activity would cover now."""
    base = task.reference.split(".")[0]
    for step in prepared.info.values():
        if step.draft.reference == base:
            return tuple(step.draft.covers)
    return ()


def _planned(
    step: _Step, week: int, qs: date, candidate: Candidate, prepared: Prepared, result: Schedule
) -> PlannedActivity:
    draft = step.draft
    activity = draft.activity
    notes = list(draft.notes)
    description = activity.description
    if step.steps > 1:
        description = f"{description} (step {step.index} of {step.steps})"
    if draft.urgent:
        rule = f"{activity.deadline.text}: {draft.deadline.isoformat()}"
        notes.insert(0, f"URGENT: its deadline ({rule}) has passed; do it first.")
    dependencies = list(candidate.requires)
    return PlannedActivity(
        reference=step.reference,
        client=draft.client,
        category=activity.category,
        signals=tuple(draft.signals),
        description=description,
        purpose=activity.purpose,
        results=activity.results,
        measurement=activity.measurement,
        duration_hours=step.hours,
        deadline=draft.shown_deadline,
        start=qs + timedelta(days=7 * week),
        dependencies=tuple(dependencies),
        notes=" ".join(notes),
        week=week,
        value=round(candidate.value, 2),
        urgent=draft.urgent,
        onboarding=draft.onboarding,
        activity=activity.key,
        playbooks=tuple(draft.playbooks),
        why=_chosen(draft, candidate, prepared, result),
    )


def _chosen(draft: _Draft, candidate: Candidate, prepared: Prepared, result: Schedule) -> str:
    """Why it is in the plan: the account's line, the signals it answers, and the need it
    covers first or the mix's place it fills."""
    why = draft.why
    firsts = []
    for need in prepared.needs:
        if need.key not in draft.covers:
            continue
        coverers = [k for k in result.weeks if need.key in _covers(prepared, k)]
        # The need's first activity in the plan (by week, then reference) covers it.
        first = min(coverers, key=lambda k: (result.weeks[k], k), default=None)
        if first is not None and prepared.info[first].draft is draft:
            firsts.append(need.what)
    if firsts:
        why += "; covers " + ", ".join(firsts)
    elif candidate.kind in prepared.objective.quotas:
        places = prepared.objective.quotas[candidate.kind][0]
        why += f"; one of the {places} places the mix keeps for {candidate.kind}"
    return why


def _left_out(
    request: PlanRequest,
    candidates: Sequence[Candidate],
    info: Mapping[str, _Step],
    result: Schedule,
    loads: Mapping[str, Sequence[float]],
    capacity: Mapping[str, Sequence[float]],
) -> list[LeftOut]:
    """One entry per left-out activity (its steps together), with why it is out."""
    by_key = {c.key: c for c in candidates}
    placed = set(result.weeks)
    groups: dict[str, list[Candidate]] = {}
    for c in candidates:
        if c.key in placed or c.key not in info:
            continue
        groups.setdefault(info[c.key].draft.reference, []).append(c)
    out: list[LeftOut] = []
    for reference, members in groups.items():
        draft = info[members[0].key].draft
        first = members[0]
        hours = sum(c.hours for c in members)
        free = [capacity[first.pool][w] - loads[first.pool][w] for w in first.allowed_weeks(WEEKS)]
        missing = [r for c in members for r in c.requires if r not in placed and r in by_key]
        missing = [r for r in missing if info.get(r) is None or info[r].draft is not draft]
        if not len(first.allowed_weeks(WEEKS)) or first.release_week > first.deadline_week:
            why, reason = "timing", "no week of the quarter is both open and before its deadline"
        elif missing:
            why, reason = "dependency", f"needs {', '.join(missing)}, which is left out"
        elif (
            max(free, default=0.0) + 1e-9 < max(c.hours for c in members)
            or sum(free) + 1e-9 < hours
        ):
            why = "capacity"
            reason = (
                f"the {hours:g} h it needs by {draft.shown_deadline.isoformat()} went to "
                "higher-priority activities"
            )
        elif request.count is not None:
            why = "lower priority"
            reason = (
                f"the plan holds the {request.count} activities asked for (--count), "
                "each worth more"
            )
        else:
            why, reason = "lower priority", "worth less than the activities planned in its weeks"
        same = [k for k in placed if k in info and info[k].draft.group == draft.group]
        if why == "lower priority" and same and draft.group is not None:
            # Coverage before depth: say that it would have been more of the same.
            reason += (
                f"; {draft.client} already has {len(same)} {draft.activity.category} "
                "activities in the plan"
            )
        out.append(
            LeftOut(
                reference=reference,
                client=draft.client,
                category=draft.activity.category,
                signals=tuple(draft.signals),
                description=draft.activity.description,
                duration_hours=hours,
                deadline=draft.shown_deadline,
                value=round(sum(c.value for c in members), 2),
                why=why,
                reason=reason,
                covers=tuple(draft.covers),
            )
        )
    return sorted(out, key=lambda x: (-x.value, x.reference))
