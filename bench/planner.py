"""Quarterly planner quality and speed: Tenure's CP-SAT plan against a greedy
earliest-deadline-first schedule of the same candidates, side by side in one run.

    .venv/bin/python bench/planner.py [--seeds 3] [--time-limit 10] [--no-stress] [--deterministic]

Targets (issue 6): a plan of 200 candidate activities within 1% of the solver's proven bound
in 10 s, 1,000 candidates (a whole team) within 2% in 10 s, and more total priority value than
greedy earliest-deadline-first.

Candidates come from the real pipeline: synthetic books of accounts (health, components,
renewals, ARR, satisfaction, tickets) -> signals -> the default playbook library -> the
planner's candidates (steps, deadlines, values, dependencies, 5 new clients' onboarding at half
the hours). "200" is one CSM with a large book; "1,000" is a team of six CSMs planned in one
model, each with their own hours. The stress case is harder than playbooks make: one pool,
activities of 1-16 h in 40 h weeks, a third of them in chains of dependencies.

By default the solver stops after 10 s of wall time, what a user waits for on this machine now.
On a shared machine that is less than 10 s of computing: `--deterministic` runs instead with
the planner's own budget (deterministic time 5, about 10 s of one idle core; the same search
whatever the load) and the CPU-seconds column says how long it computed.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from dataclasses import dataclass, replace
from datetime import date, timedelta

from tenure.plans.planner import NewClient, PlanRequest, prepare
from tenure.plans.playbooks import default_library
from tenure.plans.scheduler import (
    Candidate,
    Objective,
    Schedule,
    greedy_edf,
    schedule,
    violations,
)
from tenure.plans.signals import AccountFacts, compute_signals

QUARTER_START = date(2027, 1, 4)
KEYS = ("product", "satisfaction", "support", "sponsorship")


def account(rng: random.Random, i: int) -> AccountFacts:
    base = rng.choice([rng.uniform(15, 50), rng.uniform(45, 75), rng.uniform(60, 98)])
    components: dict[str, int | None] = {
        k: int(min(max(rng.gauss(base, 12), 0), 100)) for k in KEYS
    }
    if rng.random() < 0.1:
        components["satisfaction"] = None
    known = [v for v in components.values() if v is not None]
    health = round(sum(known) / len(known))
    renewal = QUARTER_START + timedelta(days=rng.randint(0, 365))
    return AccountFacts(
        external_id=f"a{i:04d}",
        health=health,
        band="red" if health <= 50 else "amber" if health <= 74 else "green",
        trend=rng.choices(["down", "level", "up"], [2, 6, 2])[0],
        components=components,
        renewal_date=renewal,
        renewal_months=(renewal - QUARTER_START).days // 31,
        arr=round(rng.lognormvariate(11.8, 0.8)),
        years=round(rng.uniform(0.2, 8), 1),
        nps=round(rng.uniform(5, 10), 1) if rng.random() < 0.4 else None,
        open_problems=rng.choice([0, 0, 0, 1, 2, 3, 4]),
        feature_requests=1 if rng.random() < 0.1 else 0,
    )


def csm_candidates(
    rng: random.Random, target: int, tag: str = ""
) -> tuple[list[Candidate], Objective]:
    """Candidates of one CSM's quarter and what the plan's value counts besides them (the
    needs to cover, the depth discount): accounts are added until there are `target`."""
    library = default_library()
    request = PlanRequest(
        quarter_start=QUARTER_START,
        new_clients=[NewClient(f"NEW-{i}", f"new {i}", QUARTER_START) for i in range(1, 6)],
    )
    book: list[AccountFacts] = []
    while True:
        book.append(account(rng, len(book)))
        found = compute_signals(book, QUARTER_START, QUARTER_START, library.rules)
        prepared = prepare(book, found, library, request)
        if len(prepared.candidates) >= target:
            break
    if not tag:
        return prepared.candidates, prepared.objective
    tagged = [
        replace(
            c,
            key=f"{tag}/{c.key}",
            requires=tuple(f"{tag}/{r}" for r in c.requires),
            bundle=f"{tag}/{c.bundle}" if c.bundle else None,
            pool=f"{tag}/{c.pool}",
            covers=tuple(f"{tag}/{g}" for g in c.covers),
            group=f"{tag}/{c.group}" if c.group else None,
        )
        for c in prepared.candidates
    ]
    goals = {f"{tag}/{g}": v for g, v in prepared.objective.goals.items()}
    return tagged, replace(prepared.objective, goals=goals)


def capacity_for(candidates: list[Candidate]) -> dict[str, list[float]]:
    return {c.pool: [20.0] * 13 for c in candidates}


def stress_candidates(rng: random.Random, size: int) -> list[Candidate]:
    out: list[Candidate] = []
    group = 0
    while len(out) < size:
        category_value = rng.choices([100, 60, 30, 10], [4, 1, 3, 2])[0]
        weight = min(max((rng.lognormvariate(11.5, 0.8) / 100_000) ** 0.5, 0.5), 2)
        deadline = rng.choice([12, 12, 12, rng.randint(0, 12)])
        previous: str | None = None
        for step in range(rng.choice([1, 1, 2, 3])):
            if len(out) >= size:
                break
            key = f"s{group}.{step}"
            hours = rng.choice([1, 2, 2, 3, 4, 4, 6, 8, 12, 16])
            value = round(category_value * weight * hours / 6 + 1, 2)
            requires = (previous,) if previous else ()
            out.append(Candidate(key, hours, value, deadline_week=deadline, requires=requires))
            previous = key
        group += 1
    return out


@dataclass
class Row:
    case: str
    seed: int
    candidates: int
    solved: Schedule
    greedy: Schedule
    target: float
    limit: float
    cpu: float


def run(
    case: str,
    seed: int,
    candidates: list[Candidate],
    capacity: dict[str, list[float]],
    time_limit: float,
    target: float,
    deterministic: bool = False,
    objective: Objective | None = None,
) -> Row:
    cpu = time.process_time()
    if deterministic:
        solved = schedule(candidates, capacity, time_limit=600, objective=objective)
    else:
        solved = schedule(
            candidates,
            capacity,
            time_limit=time_limit,
            deterministic_time=None,
            objective=objective,
        )
    cpu = time.process_time() - cpu
    greedy = greedy_edf(candidates, capacity, objective=objective)
    for plan in (solved, greedy):
        problems = violations(candidates, capacity, plan.weeks)
        if problems:
            raise SystemExit(f"{case}: invalid plan from {plan.solver}: {problems[:3]}")
    return Row(case, seed, len(candidates), solved, greedy, target, time_limit, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--no-stress", action="store_true")
    parser.add_argument("--deterministic", action="store_true")
    args = parser.parse_args()
    budget = "deterministic time 5" if args.deterministic else f"{args.time_limit:g} s wall"
    print(
        f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}, "
        f"limit: {budget}, one CP-SAT worker"
    )
    d = args.deterministic
    rows: list[Row] = []
    for seed in range(1, args.seeds + 1):
        rng = random.Random(seed)
        one, worth = csm_candidates(rng, 200)
        rows.append(
            run("one CSM, 200", seed, one, capacity_for(one), args.time_limit, 0.01, d, worth)
        )
        parts = [csm_candidates(rng, 167, f"csm{k}") for k in range(6)]
        team = [c for part, _ in parts for c in part]
        goals = {g: v for _, o in parts for g, v in o.goals.items()}
        together = replace(parts[0][1], goals=goals)
        rows.append(
            run(
                "team of 6, 1,000",
                seed,
                team,
                capacity_for(team),
                args.time_limit,
                0.02,
                d,
                together,
            )
        )
        if not args.no_stress and seed == 1:
            stress = stress_candidates(rng, 1000)
            cap = {"": [200.0] * 13}
            rows.append(run("stress, 1,000, one pool", seed, stress, cap, args.time_limit, 0.02, d))
    header = (
        f"{'case':<24} {'seed':>4} {'cand.':>6} {'status':>9} {'time s':>7} {'cpu s':>6} "
        f"{'CP-SAT value':>13} {'bound':>11} {'gap':>7} {'greedy EDF':>11} "
        f"{'CP-SAT/EDF':>10}  target"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        s, g = r.solved, r.greedy
        ratio = s.objective / g.objective if g.objective else float("inf")
        # Half a second of slack for building the model on a shared machine.
        seconds = r.cpu if d else s.seconds
        met = "met" if s.gap <= r.target and seconds <= r.limit + 0.5 else "NOT met"
        print(
            f"{r.case:<24} {r.seed:>4} {r.candidates:>6} {s.status:>9} {s.seconds:>7.2f} "
            f"{r.cpu:>6.2f} "
            f"{s.objective:>13,.1f} {s.bound:>11,.1f} {s.gap:>7.2%} {g.objective:>11,.1f} "
            f"{ratio:>10.3f}  {r.target:.0%} {met}"
        )


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - start:.0f} s, load average {os.getloadavg()[0]:.1f}")
