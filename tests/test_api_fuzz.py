"""Schemathesis over Tenure's own OpenAPI against a real `tenure serve` on loopback with the
demo company loaded: as an admin, as a viewer, and at the event intake with a write key.
Every answer must not be a server error, must use a status code the operation declares, and
must match the schema it declares."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"
# Each run's time budget (schemathesis fuzzes until it is spent) and examples per operation:
# the whole test, demo company included, stays under four minutes on a 2-core machine.
RUNS = {"admin": 60, "viewer": 40, "intake": 15}
EXAMPLES = 8


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _tenure(env: dict[str, str], *args: str) -> object:
    done = subprocess.run(
        [sys.executable, "-m", "tenure.cli", *args], env=env, capture_output=True, check=True
    )
    return orjson.loads(done.stdout) if "--format" in args else None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    folder = tmp_path / "fuzz"
    folder.mkdir()
    env = {**os.environ, "TENURE_DATA_DIR": str(folder / "demo")}
    env.pop("TENURE_DATABASE_URL", None)
    port = _free_port()
    log = open(folder / "server.log", "wb")  # closed with the server, below
    command = [sys.executable, "-m", "tenure.cli", "demo", "up", "--port", str(port)]
    small = ["--accounts", "5", "--months", "12", "--warm-days", "1", "--history-weeks", "2"]
    process = subprocess.Popen([*command, *small], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 150
        while True:
            assert process.poll() is None, (folder / "server.log").read_text()
            assert time.monotonic() < deadline, "the demo server did not come up"
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        admin = orjson.loads((folder / "demo" / "demo-credentials.json").read_bytes())["token"]
        _tenure(
            env,
            "users",
            "create",
            "--email",
            "fuzz.viewer@example.com",
            "--name",
            "Fuzz",
            "--role",
            "viewer",
        )
        viewer = _tenure(
            env, "tokens", "create", "--email", "fuzz.viewer@example.com", "--format", "json"
        )
        key = _tenure(env, "keys", "create", "--name", "fuzz", "--format", "json")
        assert isinstance(viewer, list)
        assert isinstance(key, list)
        yield base, {"admin": admin, "viewer": viewer[0]["token"], "intake": key[0]["write_key"]}
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_the_api_survives_schemathesis(server, tmp_path: Path):
    # One test for the three runs, so a parallel test run starts one demo server, not three.
    base, secrets = server
    for who in RUNS:
        _run(base, secrets, who, tmp_path)


def _run(base: str, secrets: dict[str, str], who: str, tmp_path: Path) -> None:
    auth = (
        ["-a", f"{secrets[who]}:", "--include-path-regex", "^/v1/"]
        if who == "intake"
        else ["-H", f"Authorization: Bearer {secrets[who]}", "--include-path-regex", "^/api/"]
    )
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--no-color",
        "run",
        f"{base}/openapi.json",
        "--checks",
        CHECKS,
        "--phases",
        "coverage,fuzzing",
        "--max-examples",
        str(EXAMPLES),
        "--max-time",
        str(RUNS[who]),
        "--workers",
        "1",  # one at a time: schemathesis' schema walking is not safe across threads here
        "--seed",
        "19",
        *auth,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=tmp_path, timeout=RUNS[who] + 120
    )
    report = f"{who}:\n{done.stdout[-6000:]}{done.stderr[-2000:]}"
    assert done.returncode == 0, report
    # Every generated case passed: "N generated, N passed" and nothing failed or errored.
    cases = re.search(r"Test cases:\s*\n\s*(\d+) generated, (\d+) passed\s*\n", done.stdout)
    assert cases, report
    assert cases[1] == cases[2], report
    assert int(cases[1]) >= 100, report
