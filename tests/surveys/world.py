"""A demo company, a real SMTP server on loopback and a real Tenure web server on a free
loopback port: what a survey campaign goes through end to end."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import uvicorn

from tenure.app import create_app
from tenure.config import Settings
from tenure.kit.dates import utc_today
from tests.conftest import Cli
from tests.messaging.smtp import SmtpServer, free_port

SECRET = "survey-test-secret"


@dataclass
class World:
    cli: Cli
    settings: Settings
    smtp: SmtpServer
    url: str


def settings_for(base: Settings, smtp: SmtpServer, url: str) -> Settings:
    return base.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "public_url": url,
            "secret_key": SECRET,
            "mail_from": "Customer Success <cs@enterprise.example>",
        }
    )


def env_for(settings: Settings) -> dict[str, str]:
    return {
        "TENURE_DATA_DIR": str(settings.data_dir),
        "TENURE_DATABASE_URL": settings.resolved_database_url,
        "TENURE_SMTP_HOST": settings.smtp_host,
        "TENURE_SMTP_PORT": str(settings.smtp_port),
        "TENURE_PUBLIC_URL": settings.public_url,
        "TENURE_SECRET_KEY": SECRET,
        "TENURE_MAIL_FROM": settings.mail_from,
    }


@contextmanager
def web_server(settings: Settings, port: int) -> Iterator[None]:
    """`tenure serve`'s app under uvicorn in a thread, answering real HTTP on loopback."""
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.database.dispose()


@contextmanager
def demo_world(base: Settings, tmp: Path, accounts: str = "16") -> Iterator[World]:
    """The enterprise demo company as of yesterday (so nothing of its own falls on today)."""
    smtp = SmtpServer()
    smtp.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = settings_for(base, smtp, url)
    cli = Cli(env_for(settings))
    try:
        cli("init")
        yesterday = str(utc_today() - timedelta(days=1))
        folder = tmp / "demo"
        cli(
            "demo",
            "generate",
            "--out",
            str(folder),
            "--as-of",
            yesterday,
            "--accounts",
            accounts,
            "--months",
            "12",
            "--events-format",
            "none",
        )
        cli("demo", "load", str(folder))
        with web_server(settings, port):
            yield World(cli, settings, smtp, url)
    finally:
        smtp.stop()


def score_links(email: EmailMessage) -> dict[int, str]:
    """Score -> the one-click link, read from the email's text part."""
    body = email.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    found = {int(s): link for s, link in re.findall(r"^(\d+): (http\S+?)\r?$", text, re.M)}
    assert found, f"no score links in:\n{text}"
    return found


def edit_token(page: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found, "the answer page has no form to change the answer"
    return found.group(1)
