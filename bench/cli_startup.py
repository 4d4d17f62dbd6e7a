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
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TENURE = [sys.executable, "-m", "tenure.cli"]


def run(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def median_of(command: list[str], env: dict[str, str], runs: int) -> float:
    run(command, env)  # the first run warms the file cache and writes the .pyc files
    return statistics.median(run(command, env) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TENURE_DATA_DIR": tmp}
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
    print(f"median of {args.runs} runs, wall time, fresh process each")
    for name, seconds in figures.items():
        print(f"  {name:<36} {seconds * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
