"""Stream a simulated company's events to Parquet with `tenure demo generate` and measure
events per second and peak memory, beside the floor: pyarrow alone writing the same number
of rows of the same schema (random message ids, repeated strings), with the same writer
settings, and nothing simulated.

Run alone: `.venv/bin/python bench/demo_generate.py [--events 10000000] [--scenario shortener]
[--accounts N]`. Both runs are subprocesses; peak memory is each one's own maximum resident
set size (os.wait4), so it includes the interpreter and libraries (about 150 MB).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

# Events a 24-month history holds per account, roughly, to size a run from a target.
EVENTS_PER_ACCOUNT = {"shortener": 17_500, "enterprise": 16_000}

FLOOR = """
import sys, numpy as np, pyarrow as pa, pyarrow.parquet as pq
from tenure.demo.events import EVENT_SCHEMA, message_ids
total, path = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(1)
keep = [n for n in EVENT_SCHEMA.names if n not in ("message_id", "anonymous_id")]
writer = pq.ParquetWriter(path, EVENT_SCHEMA, compression="zstd", use_dictionary=keep)
users = pa.array([f"ENT-{i // 60:04d}-u{i % 60:04d}" for i in range(6000)])
accounts = pa.array([f"ENT-{i:04d}" for i in range(100)])
kinds = pa.array(["Signed In", "Feature Used"])
props = pa.array(["{}", '{"feature":"reports"}'])
start = 1_700_000_000_000_000
done = 0
while done < total:
    n = min(1_000_000, total - done)
    pick = rng.integers(0, 2, n)
    user = rng.integers(0, 6000, n)
    writer.write_table(pa.table([
        message_ids(rng, n),
        pa.array(["track"] * n),
        kinds.take(pa.array(pick)),
        users.take(pa.array(user)),
        pa.nulls(n, pa.string()),
        accounts.take(pa.array(user // 60)),
        pa.array(start + np.sort(rng.integers(0, 10**12, n)), pa.timestamp("us", tz="UTC")),
        props.take(pa.array(pick)),
    ], schema=EVENT_SCHEMA), row_group_size=1_000_000)
    done += n
writer.close()
"""


def run(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{child.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=float, default=1e7, help="target number of events")
    parser.add_argument("--scenario", default="shortener", choices=sorted(EVENTS_PER_ACCOUNT))
    parser.add_argument("--accounts", type=int, help="accounts (default: sized from --events)")
    args = parser.parse_args()
    accounts = args.accounts or max(1, round(args.events / EVENTS_PER_ACCOUNT[args.scenario]))
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="tenure-bench-") as folder:
        out = Path(folder) / "company"
        seconds, peak = run(
            [
                sys.executable,
                "-m",
                "tenure.cli",
                "demo",
                "generate",
                "--scenario",
                args.scenario,
                "--accounts",
                str(accounts),
                "--months",
                "24",
                "--seed",
                "1",
                "--as-of",
                "2026-11-23",
                "--out",
                str(out),
                "--events-format",
                "parquet",
            ]
        )
        events = pq.ParquetFile(out / "events.parquet").metadata.num_rows
        size = (out / "events.parquet").stat().st_size / 1e6
        floor_path = Path(folder) / "floor.parquet"
        floor_seconds, floor_peak = run([sys.executable, "-c", FLOOR, str(events), str(floor_path)])
    print(f"scenario {args.scenario}, {accounts:,} accounts, 24 months (load average {load:.1f})")
    print(
        f"tenure demo generate: {events:,} events in {seconds:.1f} s = "
        f"{events / seconds:,.0f} events/s, peak memory {peak:,.0f} MB, {size:,.0f} MB of Parquet"
    )
    print(
        f"pyarrow floor:        {events:,} rows in {floor_seconds:.1f} s = "
        f"{events / floor_seconds:,.0f} rows/s, peak memory {floor_peak:,.0f} MB"
    )
    print(f"ratio (tenure time / floor time): {seconds / floor_seconds:.2f}")
    print(f"10^8 events at this rate: {1e8 / (events / seconds) / 60:.1f} minutes")


if __name__ == "__main__":
    main()
