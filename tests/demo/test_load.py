"""Generated companies import cleanly through Tenure's own importers, and `tenure demo up`
ends with the company loaded, a demo admin, an API token and the app serving."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient

from tenure.app import create_app
from tenure.config import Settings
from tenure.demo.cli import prepare
from tenure.demo.flows import CREDENTIALS, DEMO_EMAIL
from tenure.kit.cli import CliContext
from tests.demo.helpers import generate, rows

KINDS = ("accounts", "contracts", "contacts", "tickets", "surveys")


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("company")
    return generate(out, "--accounts", "2", "--months", "12", "--events-format", "jsonl")


@pytest.fixture(scope="module")
def shortener(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shortener")
    options = ("--scenario", "shortener", "--accounts", "30", "--months", "14")
    return generate(out, *options, "--events-format", "none")


def test_demo_load_imports_every_file_once(cli, company: Path) -> None:
    first = cli("demo", "load", str(company))
    for kind in KINDS:
        count = len(rows(company / f"{kind}.csv"))
        assert f"{count} {kind} rows: {count} created, 0 updated, 0 unchanged" in first.stderr
    events = len((company / "events.jsonl").read_bytes().splitlines())
    assert f"{events:,} events: {events:,} stored, 0 already there" in first.stderr
    listed = cli("accounts", "list", "--as-of", "2026-11-23", "--format", "json").json()
    assert isinstance(listed, list)
    assert sorted(a["external_id"] for a in listed) == sorted(
        a["external_id"] for a in rows(company / "accounts.csv")
    )
    again = cli("demo", "load", str(company))  # idempotent: nothing changes
    for kind in KINDS:
        count = len(rows(company / f"{kind}.csv"))
        assert f"{count} {kind} rows: 0 created, 0 updated, {count} unchanged" in again.stderr
    assert f"{events:,} events: 0 stored, {events:,} already there" in again.stderr


def test_tenure_import_takes_each_generated_file(cli, shortener: Path) -> None:
    for kind in KINDS:
        result = cli("import", kind, str(shortener / f"{kind}.csv"))
        assert "0 updated" in result.stderr
    story = cli("accounts", "show", "SHO-0001", "--format", "json").json()
    assert isinstance(story, dict)
    assert story["account"][0]["external_id"] == "SHO-0001"


def test_demo_load_needs_a_generated_folder(cli, tmp_path: Path) -> None:
    missing = cli("demo", "load", str(tmp_path / "nowhere"), ok=False)
    assert missing.code == 1
    assert f"{tmp_path / 'nowhere'}: no such folder" in missing.stderr
    empty = cli("demo", "load", str(tmp_path), ok=False)
    assert "not a generated company, missing accounts.csv, contracts.csv" in empty.stderr


def _prepare(settings: Settings) -> dict[str, str]:
    """`tenure demo up` without serving; its warm-up is exercised by the test below."""
    cli = CliContext(settings)
    try:
        return prepare(cli, accounts=5, months=12, seed=3, warm_days=0)
    finally:
        cli.close()


def test_prepare_loads_once_and_keeps_the_login(settings: Settings) -> None:
    login = _prepare(settings)
    assert login["email"] == DEMO_EMAIL
    assert len(login["password"]) >= 12
    saved = settings.data_dir / CREDENTIALS
    assert oct(saved.stat().st_mode & 0o777) == "0o600"
    assert _prepare(settings) == login  # the same admin and token, nothing loaded twice
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {login['token']}"}
    with TestClient(app) as client:
        accounts = client.get("/api/v1/accounts", headers=headers)
        me = client.get("/api/v1/me", headers=headers)
    app.state.database.dispose()
    assert accounts.status_code == 200
    assert len(accounts.json()) == 5
    assert me.json()["role"] == "admin"


def test_each_demo_csm_gets_a_login(settings: Settings) -> None:
    login = _prepare(settings)
    csms = login["csms"]
    assert csms  # the simulated company's account owners
    app = create_app(settings)
    with TestClient(app) as client:
        for email, password in csms.items():
            page = client.get("/login")
            nonce = page.text.split('name="nonce" value="', 1)[1].split('"', 1)[0]
            signed = client.post(
                "/login",
                data={"email": email, "password": password, "nonce": nonce, "next": "/"},
                follow_redirects=False,
            )
            assert signed.status_code == 303, email
            assert signed.headers["location"] == "/"  # straight to their day, no password form
            client.cookies.clear()
    app.state.database.dispose()
    assert _prepare(settings)["csms"] == csms  # kept, not changed on a restart


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.slow
def test_demo_up_serves_the_loaded_company(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "TENURE_DATA_DIR": str(tmp_path / "demo")}
    env.pop("TENURE_DATABASE_URL", None)
    command = [sys.executable, "-m", "tenure.cli", "demo", "up", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--accounts", "5", "--months", "12", "--warm-days", "1", "--history-weeks", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        login = orjson.loads((tmp_path / "demo" / CREDENTIALS).read_bytes())
        headers = {"Authorization": f"Bearer {login['token']}"}
        listed = httpx.get(f"http://127.0.0.1:{port}/api/v1/accounts", headers=headers)
        assert listed.status_code == 200
        assert len(listed.json()) == 5
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    said = err.decode()
    assert f"Log in at http://127.0.0.1:{port}" in said
    assert login["password"] in said
    for email, password in login["csms"].items():
        assert f"{email}  password: {password}" in said
    assert "health: 5 snapshots over the last 1 days (and 2 weekly days before them)" in said
