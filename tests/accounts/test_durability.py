"""Crashes and concurrency: an import killed midway leaves nothing half-written, and the CLI
works while `tenure serve` runs on the same data dir."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tenure.models import Account
from tenure.warehouse import Warehouse

pytestmark = pytest.mark.slow
TENURE = [sys.executable, "-m", "tenure.cli"]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TENURE, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=300
    )


def big_files(folder: Path, accounts: int, metric_rows: int) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    account_file = folder / "accounts.csv"
    with open(account_file, "w") as handle:
        handle.write("external_id,name,tier,segment,csm_email\n")
        for i in range(accounts):
            handle.write(f"a{i},Account {i},paid,mid,csm{i % 20}@example.com\n")
    metric_file = folder / "metrics.csv"
    with open(metric_file, "w") as handle:
        handle.write("account_external_id,metric,date,value\n")
        for i in range(metric_rows):
            day = 1 + (i // accounts) % 28
            month = 1 + i // (accounts * 28) % 12
            handle.write(f"a{i % accounts},logins_28d,2026-{month:02d}-{day:02d},{i}\n")
    return account_file, metric_file


def kill_after(env: dict[str, str], delay: float, *args: str) -> int:
    process = subprocess.Popen(
        [*TENURE, *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    return process.wait()


def timed(env: dict[str, str], *args: str) -> float:
    start = time.perf_counter()
    result = run(env, *args)
    assert result.returncode == 0, result.stderr
    return time.perf_counter() - start


@pytest.mark.usefixtures("initialised")
def test_import_killed_midway_leaves_nothing_half_written(env, settings, tmp_path, database):
    accounts, metrics = big_files(tmp_path / "big", accounts=12_000, metric_rows=400_000)
    # Measure a whole import on a throwaway data dir, then kill real ones at fractions of it.
    scratch = {
        **env,
        "TENURE_DATA_DIR": str(tmp_path / "scratch"),
        "TENURE_DATABASE_URL": f"sqlite:///{tmp_path / 'scratch.db'}",
    }
    run(scratch, "init")
    account_seconds = timed(scratch, "import", "accounts", str(accounts))
    metric_seconds = timed(scratch, "import", "metrics", str(metrics))
    store = Warehouse(settings).metrics
    count = sa.select(sa.func.count()).select_from(Account)
    killed = 0
    for fraction in (0.3, 0.5, 0.7, 0.9):
        code = kill_after(env, account_seconds * fraction, "import", "accounts", str(accounts))
        killed += code == -signal.SIGKILL
        with database.sessions() as session:
            assert session.scalar(count) in (0, 12_000)
            # a run that finished before its kill is whole: start the next one from empty
            session.execute(sa.delete(Account))
            session.commit()
    for fraction in (0.3, 0.5, 0.7, 0.9):
        code = kill_after(env, metric_seconds * fraction, "import", "metrics", str(metrics))
        killed += code == -signal.SIGKILL
        assert store.read().num_rows in (0, 400_000)
        shutil.rmtree(store.table.root, ignore_errors=True)
    assert killed >= 4, "too few imports were killed midway to test anything"
    # After the crashes, the same imports run to completion.
    assert run(env, "import", "accounts", str(accounts)).returncode == 0
    assert run(env, "import", "metrics", str(metrics)).returncode == 0
    with database.sessions() as session:
        assert session.scalar(count) == 12_000
    assert store.read().num_rows == 400_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_cli_works_while_serve_runs(initialised, env, book):
    port = free_port()
    server = subprocess.Popen(
        [*TENURE, "serve", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        initialised(
            "users", "create", "--email", "m@example.com", "--name", "M", "--role", "manager"
        )
        plain = initialised(
            "tokens", "create", "--email", "m@example.com", "--format", "json"
        ).json()
        headers = {"Authorization": f"Bearer {plain[0]['token']}"}
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        for kind in ("accounts", "contracts", "contacts", "metrics"):
            result = run(env, "import", kind, str(getattr(book, kind)))
            assert result.returncode == 0, result.stderr
            assert httpx.get(f"{base}/api/v1/accounts", headers=headers).status_code == 200
        listed = httpx.get(f"{base}/api/v1/accounts", headers=headers).json()
        assert [a["external_id"] for a in listed] == ["acme", "globex", "initech"]
        story = httpx.get(
            f"{base}/api/v1/accounts/acme", params={"as_of": "2026-11-23"}, headers=headers
        ).json()
        assert story["metrics"][0]["value"] == 95.0
        note = httpx.post(
            f"{base}/api/v1/accounts/acme/timeline", json={"text": "from the API"}, headers=headers
        )
        assert note.status_code == 201
        shown = run(env, "accounts", "show", "acme", "--format", "json")
        assert "from the API" in shown.stdout
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
