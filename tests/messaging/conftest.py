from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Book, Cli
from tests.messaging.smtp import SmtpServer


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_env(env: dict[str, str], smtp: SmtpServer) -> dict[str, str]:
    return {
        **env,
        **smtp.env(),
        "TENURE_MAIL_FROM": "Customer Success <cs@shortener.example>",
        "TENURE_PUBLIC_URL": "http://tenure.example",
        "TENURE_SECRET_KEY": "test-secret-key",
    }


@pytest.fixture
def mail(mail_env: dict[str, str]) -> Cli:
    """The CLI on a database and warehouse made by `tenure init`, sending to `smtp`."""
    cli = Cli(mail_env)
    cli("init")
    return cli


@pytest.fixture
def booked(mail: Cli, book: Book) -> Cli:
    """The small book loaded, and a manager who approves what CSMs write."""
    book.load(mail)
    mail(
        "users",
        "create",
        "--email",
        "mia.manager@example.com",
        "--name",
        "Mia Manager",
        "--role",
        "manager",
    )
    return mail
