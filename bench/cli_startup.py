"""How long a person waits for the command line: `tenure --help` and `tenure accounts show`
on a small demo company, wall time of a fresh process each, median of several runs, beside
a bare `python -c pass` (the interpreter's own start).

Run alone: `.venv/bin/python bench/cli_startup.py [--runs 7]`. It generates and loads a
30-account demo company into a temporary data dir first (not timed). Targets: `--help` under
0.5 s, `accounts show` under 1 s on an idle machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TENURE = [sys.executable, "-m", "tenure.cli"]


def run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one fresh process. On a busy machine the
    wall time mostly waits for a core; the CPU time is what an idle machine's wall would be."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median_of(command: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    run(command, env)  # the first run warms the file cache and writes the .pyc files
    results = [run(command, env) for _ in range(runs)]
    return (
        statistics.median(w for w, _ in results),
        statistics.median(c for _, c in results),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # As a person's shell runs it: Python keeps the compiled .pyc files (some sandboxes
        # set PYTHONDONTWRITEBYTECODE, and every run would compile Tenure's modules again).
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["TENURE_DATA_DIR"] = tmp
        folder = Path(tmp) / "company"
        subprocess.run(
            [*TENURE, "demo", "generate", "--out", str(folder), "--accounts", "30"],
            env=env,
            check=True,
            capture_output=True,
        )
        subprocess.run([*TENURE, "init"], env=env, check=True, capture_output=True)
        subprocess.run([*TENURE, "demo", "load", str(folder)], env=env, check=True)
        first = next(line for line in (folder / "accounts.csv").read_text().splitlines()[1:])
        account = first.split(",")[0]
        figures = {
            "python -c pass": median_of([sys.executable, "-c", "pass"], env, args.runs),
            "tenure --help": median_of([*TENURE, "--help"], env, args.runs),
            f"tenure accounts show {account}": median_of(
                [*TENURE, "accounts", "show", account], env, args.runs
            ),
        }
    print(f"median of {args.runs} runs, fresh process each (load average {os.getloadavg()[0]:.1f})")
    print(f"  {'command':<36} {'wall':>8} {'CPU':>8}")
    for name, (wall, cpu) in figures.items():
        print(f"  {name:<36} {wall * 1000:6.0f} ms {cpu * 1000:5.0f} ms")


if __name__ == "__main__":
    main()
