"""Shared fixtures: every database test runs on SQLite and on PostgreSQL, each database
built by running the Alembic migrations (never create_all)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tenure.config import Settings
from tenure.db import Database, make_engine
from tenure.migrate import upgrade
from tenure.models import Base

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

POSTGRES_ADMIN_URL = os.environ.get(
    "TENURE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_reason() -> str | None:
    try:
        engine = sa.create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as error:  # any failure to connect means: skip, and say why
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL} ({type(error).__name__})"
    return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "tenure.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own for this test session on the local PostgreSQL, migrated once."""
    reason = _postgres_reason()
    if reason:
        pytest.skip(reason)
    name = f"tenure_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "data" / "tenure.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    _truncate_postgres(url)
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url)


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    """Environment that points a `tenure` command (in process or a subprocess) at `settings`."""
    return {
        "TENURE_DATA_DIR": str(settings.data_dir),
        "TENURE_DATABASE_URL": settings.resolved_database_url,
    }


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = Database(settings)
    yield db
    db.dispose()


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    with database.sessions() as s:
        yield s


class Cli:
    """Runs `tenure ...` in process against the test's data dir and database."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.runner = CliRunner()

    def __call__(self, *args: str, ok: bool = True) -> CliResult:
        from tenure.cli import app

        result = self.runner.invoke(app, list(args), env=self.env, catch_exceptions=False)
        out = CliResult(result.exit_code, result.stdout, result.stderr)
        if ok and result.exit_code != 0:
            raise AssertionError(f"tenure {' '.join(args)} failed ({result.exit_code}):\n{out}")
        return out


class CliResult:
    def __init__(self, code: int, stdout: str, stderr: str):
        self.code = code
        self.stdout = stdout
        self.stderr = stderr

    def json(self) -> object:
        import json

        return json.loads(self.stdout)

    def __str__(self) -> str:
        return f"stdout:\n{self.stdout}\nstderr:\n{self.stderr}"


@pytest.fixture
def cli(env: dict[str, str]) -> Cli:
    return Cli(env)


class Files:
    """Writes small import files into the test's folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def csv(self, name: str, rows: list[dict[str, object]]) -> Path:
        import csv

        path = self.folder / name
        columns = list(dict.fromkeys(k for row in rows for k in row))
        with open(path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
        return path

    def jsonl(self, name: str, rows: list[dict[str, object]]) -> Path:
        import json

        path = self.folder / name
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
        return path

    def text(self, name: str, content: str) -> Path:
        path = self.folder / name
        path.write_text(content)
        return path


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return Files(tmp_path / "files")


BOOK_ACCOUNTS: list[dict[str, object]] = [
    {
        "external_id": "acme",
        "name": "Acme Corp",
        "tier": "paid",
        "segment": "enterprise",
        "industry": "manufacturing",
        "csm_email": "ana.silva@example.com",
        "customer_since": "2023-02-01",
        "lifecycle_stage": "adoption",
        "region": "EMEA",
    },
    {
        "external_id": "globex",
        "name": "Globex",
        "tier": "paid",
        "segment": "enterprise",
        "industry": "energy",
        "csm_email": "ben.okafor@example.com",
        "customer_since": "2024-06-15",
        "lifecycle_stage": "onboarding",
        "region": "NA",
    },
    {
        "external_id": "initech",
        "name": "Initech",
        "tier": "free",
        "segment": "smb",
        "industry": "software",
        "csm_email": "ana.silva@example.com",
        "customer_since": "2025-01-10",
        "lifecycle_stage": "adoption",
        "region": "NA",
    },
]
BOOK_CONTRACTS: list[dict[str, object]] = [
    {
        "external_id": "c1",
        "account_external_id": "acme",
        "start_date": "2025-02-01",
        "end_date": "2026-02-01",
        "arr": "48000",
        "currency": "USD",
        "quantity": "200",
        "units": "seats",
        "status": "renewed",
    },
    {
        "external_id": "c2",
        "account_external_id": "acme",
        "start_date": "2026-02-01",
        "end_date": "2027-02-01",
        "arr": "52000",
        "currency": "USD",
        "quantity": "220",
        "units": "seats",
        "status": "active",
    },
    {
        "external_id": "c3",
        "account_external_id": "globex",
        "start_date": "2026-06-15",
        "end_date": "2027-06-15",
        "arr": "30000.50",
        "currency": "USD",
        "quantity": "",
        "units": "",
        "status": "active",
    },
]
BOOK_CONTACTS: list[dict[str, object]] = [
    {
        "external_id": "p1",
        "account_external_id": "acme",
        "name": "Carla Diaz",
        "email": "carla@acme.com",
        "title": "CFO",
        "seniority": "c_level",
        "is_sponsor": "true",
        "user_id": "u-1",
    },
    {
        "external_id": "p2",
        "account_external_id": "acme",
        "name": "Dan Wu",
        "email": "dan@acme.com",
        "title": "Analyst",
        "seniority": "staff",
        "is_sponsor": "false",
        "user_id": "u-2",
    },
]
BOOK_TICKETS: list[dict[str, object]] = [
    {
        "external_id": "t1",
        "account_external_id": "acme",
        "opened_at": "2026-11-01T09:00:00Z",
        "closed_at": "2026-11-02T10:00:00Z",
        "kind": "problem",
        "priority": "high",
        "satisfied": "true",
    },
    {
        "external_id": "t2",
        "account_external_id": "acme",
        "opened_at": "2026-11-20T09:00:00Z",
        "closed_at": "",
        "kind": "question",
        "priority": "low",
        "satisfied": "",
    },
]
BOOK_SURVEYS: list[dict[str, object]] = [
    {
        "external_id": "s1",
        "account_external_id": "acme",
        "contact_email": "carla@acme.com",
        "kind": "nps",
        "sent_at": "2026-05-01T00:00:00Z",
        "score": "9",
        "responded_at": "2026-05-03T00:00:00Z",
        "comment": "Great",
    },
    {
        "external_id": "s2",
        "account_external_id": "acme",
        "contact_email": "dan@acme.com",
        "kind": "nps",
        "sent_at": "2026-10-01T00:00:00Z",
        "score": "6",
        "responded_at": "2026-10-02T00:00:00Z",
        "comment": "",
    },
    {
        "external_id": "s3",
        "account_external_id": "globex",
        "contact_email": "x@globex.com",
        "kind": "csat",
        "sent_at": "2026-10-01T00:00:00Z",
        "score": "",
        "responded_at": "",
        "comment": "",
    },
]
BOOK_METRICS: list[dict[str, object]] = [
    {"account_external_id": "acme", "metric": "logins_28d", "date": "2026-11-01", "value": "120"},
    {"account_external_id": "acme", "metric": "logins_28d", "date": "2026-11-20", "value": "95"},
    {"account_external_id": "globex", "metric": "logins_28d", "date": "2026-11-20", "value": "12"},
]


@dataclass
class Book:
    """A small book of accounts, written as import files."""

    accounts: Path
    contracts: Path
    contacts: Path
    tickets: Path
    surveys: Path
    metrics: Path

    def load(self, cli: Cli) -> None:
        for kind in ("accounts", "contracts", "contacts", "tickets", "surveys", "metrics"):
            cli("import", kind, str(getattr(self, kind)))


@pytest.fixture
def book(files: Files) -> Book:
    return Book(
        accounts=files.csv("accounts.csv", BOOK_ACCOUNTS),
        contracts=files.csv("contracts.csv", BOOK_CONTRACTS),
        contacts=files.csv("contacts.csv", BOOK_CONTACTS),
        tickets=files.csv("tickets.csv", BOOK_TICKETS),
        surveys=files.csv("surveys.csv", BOOK_SURVEYS),
        metrics=files.csv("metrics.csv", BOOK_METRICS),
    )


@pytest.fixture
def initialised(cli: Cli) -> Cli:
    """The CLI on a database and warehouse made by `tenure init`."""
    cli("init")
    return cli


def contracts(
    accounts: list[dict[str, object]], start: str = "2026-01-01", end: str = "2027-12-31"
) -> list[dict[str, object]]:
    """One contract per account from `start` to `end` (exclusive): what makes a paid account
    a client on a day, for tests about something else (scoring, the dashboard's API)."""
    return [
        {
            "external_id": f"k-{a['external_id']}",
            "account_external_id": a["external_id"],
            "start_date": start,
            "end_date": end,
            "arr": "1000",
            "currency": "USD",
            "status": "active",
        }
        for a in accounts
    ]


# -- API helpers shared by every test of the REST API -------------------------------------------


def token(cli: Cli, email: str) -> dict[str, str]:
    """Headers that authenticate as `email` with a fresh API token."""
    created = cli("tokens", "create", "--email", email, "--format", "json").json()
    assert isinstance(created, list)
    return {"Authorization": f"Bearer {created[0]['token']}"}


def add_users(cli: Cli, *people: tuple[str, str] | tuple[str, str, str]) -> None:
    """Create users from (email, role) or (email, role, name); the name defaults to the email."""
    for email, role, *name in people:
        cli(
            "users",
            "create",
            "--email",
            email,
            "--name",
            name[0] if name else email,
            "--role",
            role,
        )


@contextmanager
def api_client(settings: Settings) -> Iterator[TestClient]:
    """The app on `settings` behind a TestClient; its database is released afterwards."""
    from fastapi.testclient import TestClient

    from tenure.app import create_app

    app = create_app(settings)
    with TestClient(app) as client:
        yield client
    app.state.database.dispose()
