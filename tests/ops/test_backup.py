"""`tenure backup` and `tenure restore`: a round trip gives back every table row for row and
every warehouse file byte for byte, also when the backup is taken while the app writes."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tenure.app import create_app
from tenure.config import Settings
from tests.accounts.test_api import token
from tests.conftest import POSTGRES_ADMIN_URL, Cli

EVENTS = "".join(
    f'{{"type": "track", "event": "Logged In", "userId": "u-1", "messageId": "m{i}", '
    f'"timestamp": "2026-11-{1 + i % 20:02d}T10:00:00Z", "context": {{"groupId": "acme"}}}}\n'
    for i in range(40)
)


def dump_tables(settings: Settings) -> dict[str, list[tuple[object, ...]]]:
    engine = sa.create_engine(settings.resolved_database_url)
    try:
        with engine.connect() as connection:
            metadata = sa.MetaData()
            metadata.reflect(connection)
            return {
                name: sorted((tuple(row) for row in connection.execute(sa.select(table))), key=repr)
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


def warehouse_files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.name.endswith("lock")
    }


@pytest.fixture
def target(tmp_path: Path, database_url: str) -> Iterator[Settings]:
    """An empty data dir, and an empty database of the same kind as the source."""
    folder = tmp_path / "restored"
    if database_url.startswith("sqlite"):
        yield Settings(data_dir=folder)
        return
    name = f"tenure_restore_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(POSTGRES_ADMIN_URL).set(database=name)
    yield Settings(data_dir=folder, database_url=url.render_as_string(hide_password=False))
    with admin.connect() as connection:
        connection.execute(
            sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORMAT)'.replace("FORMAT", "FORCE"))
        )
    admin.dispose()


def _loaded(initialised: Cli, book, files) -> None:
    book.load(initialised)
    initialised("note", "add", "acme", "Renewal call booked", "--kind", "call")
    initialised("import", "events", str(files.text("events.jsonl", EVENTS)))


def test_a_round_trip_gives_back_every_table_and_warehouse_file(
    initialised, book, files, settings, target, tmp_path
):
    _loaded(initialised, book, files)
    archive = tmp_path / "backups" / "tenure.tar"
    out = initialised("backup", str(archive), "--format", "json")
    assert {"table": "accounts", "rows": 3} in out.json()
    assert {"table": "timeline_entries", "rows": 1} in out.json()
    restored = Cli(
        {
            "TENURE_DATA_DIR": str(target.data_dir),
            "TENURE_DATABASE_URL": target.resolved_database_url,
        }
    )
    restored("restore", str(archive))
    source_tables = dump_tables(settings)
    assert {"accounts", "contracts", "contacts", "timeline_entries", "alembic_version"} <= set(
        source_tables
    )
    assert dump_tables(target) == source_tables
    source_warehouse = warehouse_files(settings.data_dir / "warehouse")
    assert any(name.endswith(".parquet") for name in source_warehouse)
    assert warehouse_files(target.data_dir / "warehouse") == source_warehouse
    # The restored Tenure answers like the original, events included.
    show = ("accounts", "show", "acme", "--as-of", "2026-11-23", "--format", "json")
    assert restored(*show).json() == initialised(*show).json()
    # A second restore over data is refused, saying where.
    again = restored("restore", str(archive), ok=False)
    assert again.code != 0
    assert "needs an empty data dir" in again.stderr


def test_a_backup_taken_while_the_app_writes_is_consistent(
    initialised, book, files, settings, target, tmp_path
):
    _loaded(initialised, book, files)
    initialised(
        "users", "create", "--email", "boss@example.com", "--name", "Boss", "--role", "manager"
    )
    headers = token(initialised, "boss@example.com")
    app = create_app(settings)
    stop = threading.Event()
    written: list[int] = []

    def write_notes(client: TestClient) -> None:
        while not stop.is_set():
            note = {"kind": "note", "text": f"note {len(written)}"}
            answer = client.post("/api/v1/accounts/acme/timeline", json=note, headers=headers)
            assert answer.status_code == 201
            written.append(1)

    archive = tmp_path / "live.tar"
    with TestClient(app) as client:
        writer = threading.Thread(target=write_notes, args=(client,))
        writer.start()
        try:
            while len(written) < 3:
                stop.wait(0.05)
            initialised("backup", str(archive))
        finally:
            stop.set()
            writer.join()
    app.state.database.dispose()
    restored = Cli(
        {
            "TENURE_DATA_DIR": str(target.data_dir),
            "TENURE_DATABASE_URL": target.resolved_database_url,
        }
    )
    restored("restore", str(archive))
    after = dump_tables(target)
    source = dump_tables(settings)
    notes = set(after["timeline_entries"])
    # A snapshot: some of the notes, every one of them whole, each audited with it.
    assert notes <= set(source["timeline_entries"])
    assert 3 <= len(after["timeline_entries"]) <= len(source["timeline_entries"])
    assert len(after["audit_entries"]) - len(after["timeline_entries"]) == len(
        source["audit_entries"]
    ) - len(source["timeline_entries"])
