"""Import 1,000,000 metric rows with `tenure import metrics` (target: under a minute).

Run alone: `.venv/bin/python bench/metrics_import.py [--rows N]`. Builds a throwaway data dir
with 10,000 accounts, writes a CSV of N rows (account x metric x day), times the import end to
end in a subprocess (as a user runs it), then times the re-import of the same file (an
idempotent upsert that must change nothing), and prints the figures.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ACCOUNTS = 10_000
METRICS = ("logins_28d", "active_users_28d", "events_28d", "features_used_28d", "dau_mau")


def write_files(folder: Path, rows: int) -> tuple[Path, Path]:
    accounts = folder / "accounts.csv"
    with open(accounts, "w") as handle:
        handle.write("external_id,name,tier,csm_email\n")
        for i in range(ACCOUNTS):
            handle.write(f"acct-{i:05d},Account {i},paid,csm{i % 30}@example.com\n")
    metrics = folder / "metrics.csv"
    days = -(-rows // (ACCOUNTS * len(METRICS)))
    written = 0
    with open(metrics, "w") as handle:
        handle.write("account_external_id,metric,date,value\n")
        for day in range(days):
            date = time.strftime("%Y-%m-%d", time.gmtime(1_735_689_600 + day * 86_400))
            for metric_no, metric in enumerate(METRICS):
                for i in range(ACCOUNTS):
                    if written == rows:
                        return accounts, metrics
                    handle.write(
                        f"acct-{i:05d},{metric},{date},{(i * 7 + day * 3 + metric_no) % 500}\n"
                    )
                    written += 1
    return accounts, metrics


def tenure(env: dict[str, str], *args: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tenure.cli", *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        env = {**os.environ, "TENURE_DATA_DIR": str(root / "data")}
        env.pop("TENURE_DATABASE_URL", None)
        accounts, metrics = write_files(root, args.rows)
        tenure(env, "init")
        tenure(env, "import", "accounts", str(accounts))
        first = tenure(env, "import", "metrics", str(metrics))
        again = tenure(env, "import", "metrics", str(metrics))
        size = metrics.stat().st_size / 1e6
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"rows: {args.rows:,} ({size:.0f} MB CSV, {ACCOUNTS:,} accounts)")
    print(f"first import:  {first:6.2f} s  ({args.rows / first:,.0f} rows/s, target < 60 s)")
    print(f"re-import:     {again:6.2f} s  (nothing changes)")
    print(f"peak memory of the import process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
