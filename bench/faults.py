"""Event intake and pages under a bounded load on loopback while the server is SIGKILLed and
restarted, over and over.

Counts, at the end: events acknowledged (HTTP 200) and then lost (must be 0), events stored
twice (must be 0: a client that got no answer sends the same batch again, so the store must
de-duplicate by messageId), and how the pages answered: 200, 503 with Retry-After (busy),
connection refused while the server was down, and requests that hung past the client's
timeout (must be 0).

    .venv/bin/python bench/faults.py [--seconds 40] [--kill-every 6] [--workers 1]

With --workers N (N > 1) it runs on the local PostgreSQL (TENURE_BENCH_POSTGRES_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres: a database of its own is created).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import duckdb

TENURE = str(Path(sys.executable).with_name("tenure"))
TIMEOUT = 10.0  # a request with no answer after this long counts as a hang
BATCH = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tenure(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([TENURE, *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout


def start(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    command = [TENURE, "serve", "--port", str(port), "--workers", str(workers)]
    # A session of its own, so one SIGKILL to the group takes every worker down at once.
    with open(log, "ab") as handle:
        return subprocess.Popen(
            command, env=env, stdout=handle, stderr=handle, start_new_session=True
        )


def wait_up(port: int, limit: float = 180) -> float:
    began = time.monotonic()
    while time.monotonic() - began < limit:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return time.monotonic() - began
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not come back")


class Load:
    def __init__(self, port: int, write_key: str, token: str):
        self.port = port
        self.basic = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()
        self.bearer = f"Bearer {token}"
        self.stop = threading.Event()
        self.acknowledged: set[str] = set()
        self.sent_batches = 0
        self.retries = 0
        self.pages: Counter[str] = Counter()
        self.slowest = 0.0
        self.retry_after_missing = 0
        self.lock = threading.Lock()

    def _request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]):
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status, response.getheader("Retry-After"), time.monotonic() - started
        finally:
            connection.close()

    def intake(self) -> None:
        pending: list[str] | None = None
        while not self.stop.is_set():
            ids = pending or [uuid.uuid4().hex for _ in range(BATCH)]
            if pending:
                self.retries += 1
            calls = [
                {
                    "type": "track",
                    "event": "Bench",
                    "userId": f"u{random.randrange(50)}",
                    "messageId": i,
                    "timestamp": "2026-11-20T10:00:00Z",
                    "context": {"groupId": "acme"},
                }
                for i in ids
            ]
            body = json.dumps({"batch": calls}).encode()
            try:
                status, _, _ = self._request(
                    "POST",
                    "/v1/batch",
                    body,
                    {"Authorization": self.basic, "Content-Type": "application/json"},
                )
            except OSError:
                status = 0
            if status == 200:
                with self.lock:
                    self.acknowledged.update(ids)
                    self.sent_batches += 1
                pending = None
            else:
                pending = ids  # no answer or an error: the same batch again, same ids
                time.sleep(0.05)

    def page(self) -> None:
        while not self.stop.is_set():
            path = random.choice(["/api/v1/accounts", "/api/v1/health", "/healthz"])
            try:
                status, retry_after, seconds = self._request(
                    "GET", path, None, {"Authorization": self.bearer}
                )
                outcome = str(status) if status != 500 else f"500 {path}"
                with self.lock:
                    self.slowest = max(self.slowest, seconds)
                    if status == 503 and retry_after is None:
                        self.retry_after_missing += 1
            except TimeoutError:
                outcome = "hang"
            except OSError:
                outcome = "refused (down)"
                time.sleep(0.05)
            with self.lock:
                self.pages[outcome] += 1


def _current_files(warehouse: Path) -> list[str]:
    manifest = json.loads((warehouse / "events" / "_manifest.json").read_text())
    return [str(warehouse / "events" / f) for f in manifest["partitions"].values()]


def stored_events(warehouse: Path) -> tuple[int, int]:
    """Rows of the bench's events in the events table, and distinct message ids among them."""
    files = _current_files(warehouse)
    rows, distinct = duckdb.sql(
        f"SELECT count(*), count(DISTINCT message_id) FROM read_parquet({files!r}) "
        "WHERE event = 'Bench'"
    ).fetchall()[0]
    return int(rows), int(distinct)


def stored_ids(warehouse: Path) -> set[str]:
    rows = duckdb.sql(
        f"SELECT message_id FROM read_parquet({_current_files(warehouse)!r}) WHERE event = 'Bench'"
    ).fetchall()
    return {r[0] for r in rows}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--kill-every", type=float, default=6)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--intake-clients", type=int, default=3)
    parser.add_argument("--page-clients", type=int, default=3)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="tenure-faults-"))
    env = {**os.environ, "TENURE_DATA_DIR": str(folder / "data")}
    env.pop("TENURE_DATABASE_URL", None)
    if args.workers > 1:
        import sqlalchemy as sa

        admin_url = os.environ.get(
            "TENURE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        )
        name = f"tenure_faults_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        env["TENURE_DATABASE_URL"] = (
            sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        )
    tenure(env, "init")
    accounts = folder / "accounts.csv"
    accounts.write_text("external_id,name\nacme,Acme\nglobex,Globex\n")
    tenure(env, "import", "accounts", str(accounts))
    tenure(env, "users", "create", "--email", "bench@example.com", "--name", "B", "--role", "admin")
    token = json.loads(
        tenure(env, "tokens", "create", "--email", "bench@example.com", "--format", "json")
    )[0]["token"]
    key = json.loads(tenure(env, "keys", "create", "--format", "json"))[0]["write_key"]

    port = free_port()
    server = start(env, port, args.workers, folder / "server.log")
    wait_up(port)
    load = Load(port, key, token)
    threads = [threading.Thread(target=load.intake) for _ in range(args.intake_clients)]
    threads += [threading.Thread(target=load.page) for _ in range(args.page_clients)]
    for thread in threads:
        thread.start()
    kills = 0
    restarts: list[float] = []
    began = time.monotonic()
    while time.monotonic() - began < args.seconds:
        time.sleep(args.kill_every * random.uniform(0.6, 1.4))
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        kills += 1
        server = start(env, port, args.workers, folder / "server.log")
        restarts.append(wait_up(port))
    time.sleep(2)
    load.stop.set()
    for thread in threads:
        thread.join()
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)
    tenure(env, "daily", "--as-of", "2026-11-20")  # the loader moves whatever is left in the log
    warehouse = folder / "data" / "warehouse"
    rows, distinct = stored_events(warehouse)
    lost = len(load.acknowledged - stored_ids(warehouse))
    result = {
        "seconds": args.seconds,
        "workers": args.workers,
        "database": "postgresql" if args.workers > 1 else "sqlite",
        "kills": kills,
        "restart_seconds_max": round(max(restarts), 2) if restarts else None,
        "batches_acknowledged": load.sent_batches,
        "events_acknowledged": len(load.acknowledged),
        "batches_resent": load.retries,
        "events_stored": rows,
        "acknowledged_lost": lost,
        "duplicated": rows - distinct,
        "pages": dict(load.pages),
        "busy_without_retry_after": load.retry_after_missing,
        "slowest_page_seconds": round(load.slowest, 2),
    }
    if args.workers > 1:  # the database made for this run goes with it
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(json.dumps(result, indent=2))
    print(f"server log: {folder / 'server.log'}", file=sys.stderr)


if __name__ == "__main__":
    main()
