"""Event intake through /v1/batch on loopback, ~400 KB batches of ~800 events.

Three servers in the same run, each alone on the machine with the same load generator:
- Tenure: `tenure serve`, write-key auth, every batch validated, appended to the intake log
  and fsync'd before the 200 (the background loader moves it into Parquet meanwhile);
- the peer: a straightforward FastAPI endpoint that parses the body with `json`, runs one
  INSERT per event into SQLite and commits once per request;
- the floor: a FastAPI endpoint that parses the body with `orjson` and stores nothing.

    .venv/bin/python bench/intake.py [--seconds 8] [--connections 4] [--rounds 2]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response

OUT = Path(__file__).resolve().parent / "out" / "intake"
BATCH_EVENTS = 800


# -- the two reference servers ---------------------------------------------------------------
def peer_app(database: Path) -> Any:
    app = FastAPI()
    connection = sqlite3.connect(database, check_same_thread=False)
    connection.execute(
        "CREATE TABLE IF NOT EXISTS events (message_id TEXT, type TEXT, event TEXT, "
        "user_id TEXT, anonymous_id TEXT, account_external_id TEXT, timestamp TEXT, "
        "properties TEXT)"
    )
    connection.commit()
    lock = threading.Lock()

    @app.post("/v1/batch")
    async def batch(request: Request) -> dict[str, bool]:
        data = json.loads(await request.body())
        with lock:
            for call in data["batch"]:
                connection.execute(
                    "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        call.get("messageId"),
                        call.get("type"),
                        call.get("event"),
                        call.get("userId"),
                        call.get("anonymousId"),
                        (call.get("context") or {}).get("groupId"),
                        call.get("timestamp"),
                        json.dumps(call.get("properties")),
                    ),
                )
            connection.commit()
        return {"success": True}

    return app


def floor_app() -> Any:
    app = FastAPI()

    @app.post("/v1/batch")
    async def batch(request: Request) -> Response:
        orjson.loads(await request.body())
        return Response(b'{"success":true}', media_type="application/json")

    return app


def serve(kind: str, port: int, folder: Path) -> None:
    import uvicorn

    app = peer_app(folder / "peer.db") if kind == "peer" else floor_app()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


# -- load ------------------------------------------------------------------------------------
def bodies(count: int) -> list[bytes]:
    """Distinct batches of about 400 KB, like a busy product's SDK sends."""
    result = []
    for b in range(count):
        calls = [
            {
                "type": "track",
                "event": "Link Clicked" if n % 3 else "Feature Used",
                "userId": f"user-{(b * 7 + n) % 5000}",
                "messageId": str(uuid.uuid4()),
                "timestamp": f"2026-11-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00.000Z",
                "properties": {
                    "link_id": f"lnk-{n % 977}",
                    "campaign": "spring-sale",
                    "referrer": "https://news.example.com/some/article/path",
                    "feature": f"feature-{n % 12}",
                },
                "context": {
                    "groupId": f"acct-{n % 300}",
                    "library": {"name": "analytics-python", "version": "2.3.0"},
                    "ip": "203.0.113.7",
                    "userAgent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120",
                },
            }
            for n in range(BATCH_EVENTS)
        ]
        result.append(orjson.dumps({"batch": calls}))
    return result


def load(
    port: int,
    payloads: list[bytes],
    seconds: float,
    connections: int,
    headers: dict[str, str],
    pid: int,
) -> tuple[int, float, float]:
    """Send batches over `connections` keep-alive connections for `seconds` after a
    one-second warm-up; returns events acknowledged, the time measured and the CPU time the
    server (and its workers) used meanwhile."""
    counted = [0] * connections
    state = {"counting": False, "stop": False}

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        n = index
        while not state["stop"]:
            body = payloads[n % len(payloads)]
            n += connections
            conn.request("POST", "/v1/batch", body, {"Content-Type": "application/json", **headers})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"status {response.status}")
            if state["counting"]:
                counted[index] += BATCH_EVENTS
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    cpu = cpu_seconds(pid)
    state["counting"] = True
    started = time.perf_counter()
    time.sleep(seconds)
    state["counting"] = False
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(pid) - cpu
    state["stop"] = True
    for thread in threads:
        thread.join()
    return sum(counted), elapsed, cpu


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and of its child processes (intake workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start")


def start(kind: str, folder: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    if kind == "tenure":
        command = [str(Path(sys.executable).with_name("tenure")), "serve", "--port", str(port)]
    else:
        command = [
            sys.executable,
            __file__,
            "--serve",
            kind,
            "--port",
            str(port),
            "--folder",
            str(folder),
        ]
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    wait_up(port)
    return process, port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--serve")
    parser.add_argument("--port", type=int)
    parser.add_argument("--folder")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, Path(args.folder))
        return
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    env = {"TENURE_DATA_DIR": str(OUT / "tenure")}
    tenure = Path(sys.executable).with_name("tenure")
    subprocess.run(
        [str(tenure), "init"], env={**os.environ, **env}, check=True, capture_output=True
    )
    created = subprocess.run(
        [str(tenure), "keys", "create", "--format", "json"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    key = json.loads(created.stdout)[0]["write_key"]
    auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    payloads = bodies(120)
    size = sum(map(len, payloads)) / len(payloads)
    print(
        f"batches of {BATCH_EVENTS} events, {size / 1024:.0f} KB on average; "
        f"{args.connections} connections, {args.seconds:.0f} s per run, best of {args.rounds}"
    )
    kinds = ["tenure", "peer", "floor"]
    rates: dict[str, list[float]] = {k: [] for k in kinds}
    costs: dict[str, list[float]] = {k: [] for k in kinds}
    for _round in range(args.rounds):
        for kind in kinds:
            folder = OUT / f"{kind}-{_round}"
            folder.mkdir()
            process, port = start(kind, folder, env)
            try:
                events, elapsed, cpu = load(
                    port,
                    payloads,
                    args.seconds,
                    args.connections,
                    auth if kind == "tenure" else {},
                    process.pid,
                )
            finally:
                process.terminate()
                process.wait(timeout=120)
            rates[kind].append(events / elapsed)
            costs[kind].append(cpu / events * 1e6)
            print(
                f"  round {_round + 1}: {kind:7} {events / elapsed:>10,.0f} events/s, "
                f"{cpu / events * 1e6:5.2f} CPU us/event"
            )
    best = {k: max(v) for k, v in rates.items()}
    cost = {k: sorted(v)[len(v) // 2] for k, v in costs.items()}
    print(f"\n{'':36}{'events/s (best)':>16}{'CPU us/event (median)':>23}")
    for kind, label in (
        ("tenure", "Tenure (validated, fsync per batch)"),
        ("peer", "peer (json + SQLite INSERT/event)"),
        ("floor", "floor (orjson parse, no storage)"),
    ):
        print(f"{label:36}{best[kind]:>16,.0f}{cost[kind]:>23.2f}")
    print(
        f"\nTenure / peer: {best['tenure'] / best['peer']:.2f}x events/s, "
        f"{cost['peer'] / cost['tenure']:.2f}x less server CPU per event"
    )
    print(
        f"Tenure / floor: {best['tenure'] / best['floor']:.2f} of the events/s, "
        f"{cost['tenure'] / cost['floor']:.2f}x its CPU per event"
    )


if __name__ == "__main__":
    main()
