"""Every importer under random bytes, encodings, quoting and sizes: either the file is
imported, or a clear `FILE:ROW: ...` / `FILE: ...` message, never a traceback and never a
half-write (the database and the warehouse are as they were)."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenure.accounts.imports import ImportKind, import_file
from tenure.config import Settings
from tenure.db import Database
from tenure.kit.errors import TenureError
from tenure.models import Base
from tenure.retention.service import read_survivors
from tenure.usage.imports import import_events
from tenure.usage.store import EventStore
from tenure.warehouse import Warehouse

COLUMNS = {
    "accounts": ["external_id", "name", "tier", "csm_email", "customer_since"],
    "contracts": [
        "external_id",
        "account_external_id",
        "start_date",
        "end_date",
        "arr",
        "currency",
    ],
    "contacts": ["external_id", "account_external_id", "name", "email", "is_sponsor"],
    "tickets": ["external_id", "account_external_id", "opened_at", "closed_at", "kind"],
    "surveys": ["external_id", "account_external_id", "kind", "sent_at", "score", "responded_at"],
    "metrics": ["account_external_id", "metric", "date", "value"],
    "events": ["messageId", "type", "event", "userId", "timestamp", "context"],
    "survivors": ["survivors"],
}
# Cells worth trying: good values, near misses, out-of-range dates, formulas, quotes, breaks.
CELLS = st.one_of(
    st.sampled_from(
        [
            "acme",
            "globex",
            "Acme Café",
            "paid",
            "free",
            "2026-01-01",
            "2027-01-01",
            "0015-03-01",
            "9999-12-31",
            "1969-12-31",
            "48000",
            "-1",
            "1e309",
            "nan",
            "USD",
            "usd",
            "nps",
            "9",
            "problem",
            "a@b.co",
            "not an email",
            "true",
            "logins_28d",
            "Bad Metric",
            "track",
            "2026-05-01T10:00:00Z",
            '{"groupId": "acme"}',
            "=1+1",
            '"',
            "a,b",
            "line\nbreak",
            "",
        ]
    ),
    st.text(max_size=20),
)
ENCODINGS = ["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16"]
QUOTING = [csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]


@pytest.fixture
def place(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[Settings, Database]]:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(sqlite_template, data / "tenure.db")
    config = Settings(data_dir=data)
    database = Database(config)
    with database.unit_of_work() as session:  # accounts the child files can refer to
        import_file(session, Warehouse(config), ImportKind.accounts, _accounts(tmp_path))
    yield config, database
    database.dispose()


def _accounts(folder: Path) -> Path:
    path = folder / "seed.csv"
    path.write_text("external_id,name\nacme,Acme\nglobex,Globex\n")
    return path


def _state(config: Settings, database: Database) -> tuple[dict[str, int], dict[str, int]]:
    with database.sessions() as session:
        counts = {
            t.name: session.scalar(sa.select(sa.func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }
    files = {
        str(p): p.stat().st_size for p in (config.data_dir / "warehouse").rglob("*") if p.is_file()
    }
    return counts, files


def _csv_bytes(
    columns: list[str], rows: list[list[str]], encoding: str, quoting: int, delimiter: str
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=quoting, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding, errors="replace")


@st.composite
def csv_files(draw: st.DrawFn, kind: str) -> tuple[str, bytes]:
    known = COLUMNS[kind]
    columns = draw(
        st.lists(st.one_of(st.sampled_from(known), st.text(max_size=8)), max_size=8).map(
            lambda extra: list(dict.fromkeys(known[: draw(st.integers(0, len(known)))] + extra))
        )
    )
    width = len(columns) + draw(st.sampled_from([0, 0, 0, -1, 1]))
    rows = draw(
        st.lists(st.lists(CELLS, min_size=max(width, 0), max_size=max(width, 0)), max_size=25)
    )
    encoding = draw(st.sampled_from(ENCODINGS))
    quoting = draw(st.sampled_from(QUOTING))
    delimiter = draw(st.sampled_from([",", ",", ";", "\t"]))
    return ".csv", _csv_bytes(columns, rows, encoding, quoting, delimiter)


@st.composite
def jsonl_files(draw: st.DrawFn, kind: str) -> tuple[str, bytes]:
    import json

    keys = st.one_of(st.sampled_from(COLUMNS[kind]), st.text(max_size=6))
    values = st.one_of(CELLS, st.integers(), st.floats(), st.none(), st.booleans())
    rows = draw(st.lists(st.dictionaries(keys, values, max_size=8), max_size=20))
    lines = [json.dumps(row) for row in rows]
    if draw(st.booleans()):  # a broken line somewhere
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["{", "[1]", "x"])))
    encoding = draw(st.sampled_from(ENCODINGS))
    return ".jsonl", "\n".join(lines).encode(encoding, errors="replace")


def raw_files() -> st.SearchStrategy[tuple[str, bytes]]:
    return st.tuples(st.sampled_from([".csv", ".jsonl"]), st.binary(max_size=3000))


def files_for(kind: str) -> st.SearchStrategy[tuple[str, bytes]]:
    return st.one_of(csv_files(kind), jsonl_files(kind), raw_files())


def _refusal(work: Callable[[], object]) -> TenureError | None:
    """The TenureError `work` raised, or None; anything else propagates (a failure here)."""
    try:
        work()
    except TenureError as error:
        return error
    return None


def _is_clear(message: str, path: Path) -> bool:
    """`FILE:ROW: ...` or `FILE: ...`, on the first line, and no Python internals."""
    first = message.splitlines()[0]
    return first.startswith(f"{path}:") and "Traceback" not in message


FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("kind", [k.value for k in ImportKind])
@FUZZ
@given(data=st.data())
def test_an_entity_or_metrics_import_is_whole_or_clearly_refused(place, tmp_path, kind, data):
    config, database = place
    suffix, content = data.draw(files_for(kind))
    path = tmp_path / f"upload{suffix}"
    path.write_bytes(content)
    before = _state(config, database)

    def run() -> None:
        with database.unit_of_work() as session:
            import_file(session, Warehouse(config), kind, path)

    error = _refusal(run)
    if error is not None:
        assert _is_clear(str(error), path), str(error)
        assert _state(config, database) == before


@FUZZ
@given(data=st.data())
def test_an_events_import_is_whole_or_clearly_refused(place, tmp_path, data):
    config, database = place
    suffix, content = data.draw(files_for("events"))
    path = tmp_path / f"events{suffix}"
    path.write_bytes(content)
    before = _state(config, database)
    error = _refusal(lambda: import_events(EventStore(Warehouse(config).root), path))
    if error is not None:
        assert _is_clear(str(error), path), str(error)
        assert _state(config, database) == before


@FUZZ
@given(data=st.data())
def test_a_survivors_file_is_read_or_clearly_refused(tmp_path, data):
    suffix, content = data.draw(files_for("survivors"))
    path = tmp_path / f"survivors{suffix}"
    path.write_bytes(content)
    error = _refusal(lambda: read_survivors(path))
    if error is not None:
        assert _is_clear(str(error), path), str(error)


def test_a_latin_1_byte_in_an_accounts_csv_names_the_file_and_row(place, tmp_path):
    config, database = place
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"external_id,name\nacme,Acme\ncafe,Caf\xe9 du Nord\n")
    with pytest.raises(TenureError) as caught, database.unit_of_work() as session:
        import_file(session, Warehouse(config), "accounts", path)
    assert str(caught.value).startswith(f"{path}:3: byte 0xe9")
    assert "UTF-8" in str(caught.value)
