"""A real `tenure serve` on a free loopback port, a small book dated around today, users of
every role, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tenure.kit.dates import utc_today

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "e2e-secret-pass"
USERS = {
    "csm": ("ana@example.com", "csm"),
    "manager": ("boss@example.com", "manager"),
    "viewer": ("val@example.com", "viewer"),
}
EVIL = "<script>alert(1)</script>"


@dataclass(frozen=True)
class Server:
    url: str
    data_dir: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _book(folder: Path, today: date) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    accounts = [
        ("acme", "Acme Corp", "paid", "enterprise", "ana@example.com", 900, 52_000, 40),
        ("globex", "Globex", "paid", "enterprise", "ben@example.com", 700, 30_000, 200),
        ("initech", "Initech", "paid", "smb", "ana@example.com", 500, 12_000, 300),
        ("umbrella", "Umbrella", "paid", "smb", "ana@example.com", 400, 99_000, 120),
        ("evil", EVIL, "free", "smb", "ana@example.com", 100, 0, 0),
    ]
    account_rows, contract_rows, contact_rows, survey_rows = [], [], [], []
    for external_id, name, tier, segment, csm, since, arr, ends_in in accounts:
        account_rows.append(
            {
                "external_id": external_id,
                "name": name,
                "tier": tier,
                "segment": segment,
                "csm_email": csm,
                "customer_since": str(today - timedelta(days=since)),
            }
        )
        if arr:
            contract_rows.append(
                {
                    "external_id": f"{external_id}-c1",
                    "account_external_id": external_id,
                    "start_date": str(today - timedelta(days=365 - ends_in)),
                    "end_date": str(today + timedelta(days=ends_in)),
                    "arr": arr,
                    "currency": "USD",
                    "status": "active",
                }
            )
        contact_rows.append(
            {
                "external_id": f"{external_id}-p1",
                "account_external_id": external_id,
                "name": f"Sponsor of {external_id}",
                "seniority": "vp",
                "is_sponsor": "true",
            }
        )
        survey_rows.append(
            {
                "external_id": f"{external_id}-s1",
                "account_external_id": external_id,
                "kind": "nps",
                "sent_at": f"{today - timedelta(days=20)}T00:00:00Z",
                "score": {"acme": 2, "globex": 10, "initech": 7}.get(external_id, 5),
                "responded_at": f"{today - timedelta(days=19)}T00:00:00Z",
            }
        )
    return {
        "accounts": _write(folder / "accounts.csv", account_rows),
        "contracts": _write(folder / "contracts.csv", contract_rows),
        "contacts": _write(folder / "contacts.csv", contact_rows),
        "surveys": _write(folder / "surveys.csv", survey_rows),
    }


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian package `chromium`)")
    root = tmp_path_factory.mktemp("e2e")
    data_dir = root / "data"
    env = {"TENURE_DATA_DIR": str(data_dir)}
    from tenure.cli import app

    runner = CliRunner()

    def tenure(*args: str) -> None:
        result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, f"tenure {' '.join(args)}:\n{result.stdout}{result.stderr}"

    tenure("init")
    for email, role in USERS.values():
        name = email.split("@")[0].title()
        tenure(
            "users",
            "create",
            "--email",
            email,
            "--name",
            name,
            "--role",
            role,
            "--password",
            PASSWORD,
        )
    files = _book(root / "files", utc_today())
    for kind in ("accounts", "contracts", "contacts", "surveys"):
        tenure("import", kind, str(files[kind]))
    tenure("health", "compute", "--as-of", str(utc_today()))
    port = _free_port()
    log = root / "serve.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tenure.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            pytest.fail(f"tenure serve did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)
    yield Server(url, data_dir)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# Per module, not per session: Playwright's sync API keeps an asyncio loop running in the
# test thread while it is open, and a later test of the same worker that runs its own loop
# (anyio.run) would be refused with "Already running asyncio in this thread".
@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def login(server: Server, chromium):
    """A fresh browser context signed in as one of USERS; every page event is recorded."""
    contexts = []

    def open_as(who: str):
        context = chromium.new_context(viewport={"width": 1440, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.dialogs = []  # any alert() a page would run lands here
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"{server.url}/book")
        page.fill("input[name=email]", USERS[who][0])
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/book")
        return page

    yield open_as
    for context in contexts:
        context.close()
