"""The churn backtest page's first load after `tenure churn train`: what the calibration
page did before (rebuild the history and rerun every fold of the backtest) against what it does
now (read the rows `churn train` stored with the model).

Run alone: `.venv/bin/python bench/backtest_page.py [--accounts N] [--data DIR]`.

1. Builds (once, cached in --data) a data dir: `tenure init`, `tenure demo generate` (the
   enterprise company, N accounts), `tenure demo load`, `tenure churn train`, all as
   subprocesses through the real CLI.
2. In process, on that data dir, times each way once (a first load is what a person feels):
   the rerun the page used to make, and the stored model's read. Checks both give the same AUCs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def tenure(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "tenure.cli", *args], env=env, check=True)


def build(data: Path, accounts: int) -> dict[str, str]:
    env = {**os.environ, "TENURE_DATA_DIR": str(data)}
    if not (data / "models" / "churn.pkl").exists():
        data.mkdir(parents=True, exist_ok=True)
        company = data / "company"
        tenure(env, "init")
        tenure(env, "demo", "generate", "--scenario", "enterprise", "--accounts", str(accounts),
               "--out", str(company))  # fmt: skip
        tenure(env, "demo", "load", str(company))
        tenure(env, "churn", "train")
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    data = args.data or Path(tempfile.gettempdir()) / f"tenure-bench-backtest-{args.accounts}"
    build(data, args.accounts)
    os.environ["TENURE_DATA_DIR"] = str(data)

    from tenure.config import Settings
    from tenure.database import Database
    from tenure.retention.churn import service as churn_service
    from tenure.warehouse import Warehouse

    settings = Settings()
    database, warehouse = Database(settings), Warehouse(settings)

    start = time.perf_counter()
    model = churn_service.load_model(settings)
    stored = model.backtest_rows
    read = time.perf_counter() - start

    start = time.perf_counter()
    with database.sessions() as session:
        hist = churn_service.history(
            session,
            warehouse,
            settings,
            model.trained_until,
            None,
            model.options,
            churn_service.health_reader(warehouse),
        )
    built = time.perf_counter() - start
    rows = churn_service.backtest(hist)
    rerun = time.perf_counter() - start
    assert stored is not None, "the model was trained before the backtest rows were kept"
    assert [r["auc"] for r in rows] == [r["auc"] for r in stored], "stored and rerun differ"
    print(f"accounts {args.accounts}, observations {model.observations}")
    print(f"before (rerun): {rerun:.2f} s (history {built:.2f} s, folds {rerun - built:.2f} s)")
    print(f"after (stored): {read:.3f} s")


if __name__ == "__main__":
    main()
