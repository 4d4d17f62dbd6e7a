"""What the benchmarks that talk to a real `tenure serve` share: a free loopback port, and the
server started on a data dir and waited for. Imported by the bench scripts, which run alone
(`python bench/NAME.py` puts this folder on the path)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`tenure serve` on `data` and a free port, once `/healthz` answers: the process and
    its address."""
    port = free_port()
    env = {**os.environ, "TENURE_DATA_DIR": str(data)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tenure.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise SystemExit("tenure serve exited before answering")
        time.sleep(0.2)
    process.terminate()
    raise SystemExit("tenure serve did not answer in 120 s")
