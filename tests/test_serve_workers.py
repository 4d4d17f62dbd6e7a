"""`tenure serve --workers N`: several server processes on PostgreSQL; refused on SQLite."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def test_several_workers_need_postgresql(cli, settings):
    if not settings.resolved_database_url.startswith("sqlite"):
        pytest.skip("the refusal is SQLite's")
    refused = cli("serve", "--workers", "2", ok=False)
    assert refused.code != 0
    assert "--workers needs PostgreSQL" in refused.stderr


def _children(pid: int) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(cmdline)
    return found


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_two_workers_serve_the_api_and_the_intake_on_postgresql(
    initialised, env, settings, tmp_path
):
    if settings.resolved_database_url.startswith("sqlite"):
        pytest.skip("several workers run on PostgreSQL only")
    initialised("users", "create", "--email", "w@example.com", "--name", "W", "--role", "admin")
    token = initialised("tokens", "create", "--email", "w@example.com", "--format", "json")
    key = initialised("keys", "create", "--format", "json")
    headers = {"Authorization": f"Bearer {token.json()[0]['token']}"}  # type: ignore[index]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "tenure.cli", "serve", "--port", str(port), "--workers", "2"]
    log = tmp_path / "serve.log"
    with open(log, "wb") as handle:
        server = subprocess.Popen(command, env={**os.environ, **env}, stdout=handle, stderr=handle)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # each worker imports the app: slow on a busy machine
        while True:
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the workers did not come up"
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        workers = [c for c in _children(server.pid) if "multiprocessing.spawn" in c]
        assert len(workers) == 2, workers
        for _ in range(10):
            assert httpx.get(f"{base}/api/v1/accounts", headers=headers, timeout=30).is_success
        call = {"type": "track", "event": "Logged In", "userId": "u-1", "messageId": "w1"}
        sent = httpx.post(
            f"{base}/v1/track",
            json=call,
            auth=(key.json()[0]["write_key"], ""),
            timeout=30,  # type: ignore[index]
        )
        assert sent.status_code == 200, sent.text
    finally:
        server.terminate()
        server.wait(timeout=60)
