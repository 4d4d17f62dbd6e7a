"""Batches sent to a real `tenure serve` with a write key: one replayed, one oversize, the
server killed with SIGKILL and restarted. Every acknowledged event is stored once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import httpx
import pytest

from tenure.usage.store import EventStore

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
ACCOUNTS = ["acme", "beta", "gamma"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    tenure = Path(sys.executable).with_name("tenure")
    with log.open("ab") as output:
        process = subprocess.Popen(
            [str(tenure), "serve", "--port", str(port)],
            env={**os.environ, **env, "TENURE_INTAKE_LOAD_SECONDS": "1"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"tenure serve did not start:\n{log.read_text()}")


def batch(start_at: int, count: int) -> list[dict[str, object]]:
    return [
        {
            "type": "track",
            "event": "Link Clicked",
            "userId": f"user-{n % 17}",
            "messageId": f"msg-{n}",
            "timestamp": f"2026-11-{1 + n % 20:02d}T{n % 24:02d}:00:00Z",
            "properties": {"link_id": f"l{n % 5}", "pad": "x" * 200},
            "context": {"groupId": ACCOUNTS[n % 3]},
        }
        for n in range(start_at, start_at + count)
    ]


def stored_ids(data_dir: Path) -> list[str]:
    store = EventStore(data_dir / "warehouse")
    files = store.events.files()
    ids = []
    if files:
        with duckdb.connect() as con:
            ids = [
                r[0]
                for r in con.sql(
                    "SELECT message_id FROM read_parquet(?)", params=[files]
                ).fetchall()
            ]
    return ids + store.pending()["message_id"].to_pylist()


def test_acknowledged_events_survive_sigkill_and_are_stored_once(cli, env, settings, tmp_path):
    cli("init")
    key = cli("keys", "create", "--name", "test", "--format", "json").json()[0]["write_key"]
    port = free_port()
    log = tmp_path / "serve.log"
    server = start(env, port, log)
    url = f"http://127.0.0.1:{port}"
    acknowledged: set[str] = set()
    with httpx.Client(base_url=url, auth=(key, ""), timeout=30) as client:
        for number in range(10):
            calls = batch(number * 150, 150)
            response = client.post("/v1/batch", json={"batch": calls})
            assert response.status_code == 200, response.text
            assert response.json() == {"success": True}
            acknowledged |= {str(c["messageId"]) for c in calls}
        # A replay of the second batch: acknowledged again, stored nothing new.
        assert client.post("/v1/batch", json={"batch": batch(150, 150)}).status_code == 200
        # An oversize batch and a batch with one oversize event: refused whole.
        huge = batch(5000, 1600)
        response = client.post("/v1/batch", json={"batch": huge})
        assert response.status_code == 400
        assert "a batch may have at most 500 KB" in response.json()["detail"]
        calls = batch(7000, 3)
        calls[1]["properties"] = {"blob": "y" * 33_000}
        response = client.post("/v1/batch", json={"batch": calls})
        assert response.status_code == 400
        problems = response.json()["problems"]
        assert len(problems) == 1
        assert problems[0].startswith("batch[1] (messageId 'msg-7001'): the event is 33,")
        assert response.json()["problems"][0].endswith("an event may have at most 32 KB")
        # Single calls, and a bad key.
        single = {
            "event": "Link Clicked",
            "userId": "solo",
            "messageId": "msg-solo",
            "timestamp": "2026-11-05T10:00:00Z",
            "context": {"groupId": "acme"},
        }
        assert client.post("/v1/track", json=single).status_code == 200
        acknowledged.add("msg-solo")
        refused = httpx.post(f"{url}/v1/track", json=single, auth=("wk_wrong", ""))
        assert refused.status_code == 401
        # The last batch is killed right after its 200: no time for any loader.
        last = batch(9000, 150)
        assert client.post("/v1/batch", json={"batch": last}).status_code == 200
        acknowledged |= {str(c["messageId"]) for c in last}
    server.send_signal(signal.SIGKILL)
    server.wait()

    # Visible at once through the log, even with the server down.
    ids = stored_ids(settings.data_dir)
    assert Counter(ids) == Counter(acknowledged)

    server = start(env, port, log)
    try:
        deadline = time.monotonic() + 60
        store = EventStore(settings.data_dir / "warehouse")
        while time.monotonic() < deadline and (
            list(store.log_folder.glob("*.seg")) or len(store.events.files()) == 0
        ):
            time.sleep(0.5)
        assert not list(store.log_folder.glob("*.seg")), "the loader did not take the log"
        assert Counter(stored_ids(settings.data_dir)) == Counter(acknowledged)
        # Usage statistics count what was sent, once, per client.
        stats = cli(
            "usage",
            "stats",
            "--event",
            "Link Clicked",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--interval",
            "month",
            "--format",
            "json",
        ).json()
        sent = Counter(
            ACCOUNTS[int(m.split("-")[1]) % 3] if m != "msg-solo" else "acme" for m in acknowledged
        )
        assert {r["account_external_id"]: r["count"] for r in stats} == dict(sent)
        assert {r["period"] for r in stats} == {"2026-11-01"}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
