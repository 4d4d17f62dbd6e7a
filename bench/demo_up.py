"""How long `make demo` takes until it serves: `tenure demo up` on a fresh data dir and a free
port, each of its phases timed from the lines it prints, then the time until the server
answers HTTP (`GET /login`), then a restart on the same data dir (which only serves).

Run alone: `.venv/bin/python bench/demo_up.py [--runs 1] [--no-restart]`. `tenure demo up`
runs as a subprocess with stderr piped (not a terminal: plain lines, no progress bar); a
phase lasts from the line that starts it to the line that starts the next (the first from
the process start: interpreter, imports and migrations). The server is stopped with SIGINT
once it answered. Target: serving within 60 s of the install finishing, on an idle machine;
the CPU time (user + system of the process) is what an idle machine's wall would be at most.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from serving import free_port

TENURE = [sys.executable, "-m", "tenure.cli"]
TARGET_SECONDS = 60.0
# The line that starts each phase, in order; a phase a run skips has no line and no figure.
PHASES = (
    ("generate", re.compile(r"^generating the enterprise demo company")),
    ("load", re.compile(r"^loading it")),
    ("metrics", re.compile(r"^computing usage metrics")),
    ("health", re.compile(r"^  \d+ metrics for \d+ days")),
    ("plan", re.compile(r"^planning each CSM's quarter")),
    ("logins", re.compile(r"^  \d+ tasks from|^  not planned")),
    ("server start", re.compile(r"^Log in at http")),
)
FIRST = "start, migrate"


@dataclass
class Run:
    marks: list[tuple[str, float]] = field(default_factory=list)  # phase, start (s)
    serving: float = 0.0  # seconds from the start until GET /login answered
    cpu: float = 0.0
    output: list[str] = field(default_factory=list)

    def phases(self) -> list[tuple[str, float]]:
        ends = [at for _, at in self.marks[1:]] + [self.serving]
        return [(name, end - at) for (name, at), end in zip(self.marks, ends, strict=True)]


def _read(stream: object, run: Run, start: float) -> None:
    assert hasattr(stream, "readline")
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace").rstrip("\n")
        run.output.append(line)
        for name, pattern in PHASES:
            seen = {n for n, _ in run.marks}
            if name not in seen and pattern.search(line):
                run.marks.append((name, time.perf_counter() - start))
                break


def demo_up(data_dir: Path, timeout: float = 600) -> Run:
    """One `tenure demo up` until it answers HTTP, then stopped."""
    port = free_port()
    env = {**os.environ, "TENURE_DATA_DIR": str(data_dir)}
    for name in ("TENURE_DATABASE_URL", "TENURE_EVENTS_URL"):
        env.pop(name, None)
    run = Run(marks=[(FIRST, 0.0)])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    server = subprocess.Popen(
        [*TENURE, "demo", "up", "--port", str(port)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    reader = threading.Thread(target=_read, args=(server.stderr, run, start), daemon=True)
    reader.start()
    try:
        while True:
            if server.poll() is not None:
                reader.join(5)
                raise SystemExit("tenure demo up stopped:\n" + "\n".join(run.output[-30:]))
            if time.perf_counter() - start > timeout:
                raise SystemExit(f"not serving after {timeout:.0f} s")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code == 200:
                    run.serving = time.perf_counter() - start
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        reader.join(5)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    run.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return run


def show(title: str, run: Run) -> None:
    verdict = "within" if run.serving <= TARGET_SECONDS else "OVER"
    print(
        f"{title}: serving after {run.serving:.1f} s ({verdict} the {TARGET_SECONDS:.0f} s target)"
    )
    print(f"  CPU {run.cpu:.1f} s (user + system, the server's start-up included)")
    for name, seconds in run.phases():
        print(f"  {name:<16} {seconds:6.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1, help="fresh data dirs, one after another")
    parser.add_argument("--no-restart", action="store_true", help="skip the restart")
    args = parser.parse_args()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} cores")
    for number in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="tenure-demo-") as tmp:
            data_dir = Path(tmp) / "demo"
            show(f"run {number}, fresh data dir", demo_up(data_dir))
            if not args.no_restart:
                show(f"run {number}, restart", demo_up(data_dir))
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
