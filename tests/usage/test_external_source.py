"""A company's own events table, read in place through Ibis's postgres backend with a column
mapping: nothing copied, the same numbers as Tenure's own store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import ibis
import orjson
import pytest
import sqlalchemy as sa

from tenure.config import Settings
from tenure.usage.catalogue import load_catalogue
from tenure.usage.service import compute_metrics, metrics_from_events, usage_stats
from tenure.usage.store import EventStore
from tenure.warehouse import Warehouse
from tests.conftest import POSTGRES_ADMIN_URL
from tests.usage.synthetic import as_dict, assert_same, product
from tests.usage.test_incremental import add_entities, log_records

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
START = date(2026, 5, 1)
MAPPING = {
    "message_id": "id",
    "type": "call",
    "event": "name",
    "user_id": "uid",
    "anonymous_id": "anon",
    "account_external_id": "company",
    "timestamp": "sent_at",
    "properties": "props",
}


@pytest.fixture
def company_table() -> Iterator[tuple[str, object]]:
    try:
        engine = sa.create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
    except Exception as error:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL} ({type(error).__name__})")
    schema = f"tenure_usage_{uuid.uuid4().hex[:10]}"
    data = product(31, START, days=45)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        connection.execute(
            sa.text(
                f'CREATE TABLE "{schema}".events_raw (id text primary key, call text, '
                "name text, uid text, anon text, company text, sent_at timestamptz, props jsonb, "
                "extra text)"
            )
        )
        connection.execute(
            sa.text(
                f'INSERT INTO "{schema}".events_raw VALUES (:id, :call, :name, :uid, :anon, '
                ":company, :sent_at, CAST(:props AS jsonb), 'x')"
            ),
            [
                {
                    "id": e["message_id"],
                    "call": e["type"],
                    "name": e["event"],
                    "uid": e["user_id"],
                    "anon": e["anonymous_id"],
                    "company": e["account_external_id"],
                    "sent_at": e["timestamp"],
                    "props": e["properties"],
                }
                for e in data.events
            ],
        )
    try:
        yield schema, data
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def test_metrics_and_stats_from_a_postgres_table(company_table, session, settings, tmp_path):
    schema, data = company_table
    add_entities(session, data)
    url = sa.make_url(POSTGRES_ADMIN_URL)
    external = Settings(
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        events_url=f"postgres://{url.username}@{url.host}:{url.port}/{url.database}",
        events_table=f"{schema}.events_raw",
        events_columns=MAPPING,
    )
    warehouse = Warehouse(external)
    days = [START + timedelta(days=n) for n in (10, 44)]
    run = compute_metrics(session, warehouse, external, days)
    assert run.rows > 0
    assert not list(warehouse.root.joinpath("events").glob("g*"))
    stored = as_dict(warehouse.metrics.read())
    con = ibis.duckdb.connect()
    expected = metrics_from_events(
        con,
        ibis.memtable(data.events_table()),
        days,
        data.accounts_table(),
        data.contacts_table(),
        load_catalogue(),
        "duckdb",
    )
    assert_same(stored, as_dict(expected))

    # Usage statistics read the same table, property breakdowns included.
    args = ("Link Clicked", "property:link_id", "week", START, START + timedelta(days=44))
    remote = usage_stats(session, warehouse, external, *args)
    local_warehouse = Warehouse(
        Settings(data_dir=tmp_path / "local", database_url=settings.database_url)
    )
    EventStore(local_warehouse.root).add(log_records(data.events), remember_ids=False)
    local = usage_stats(session, local_warehouse, local_warehouse and settings, *args)
    assert remote
    assert sorted(remote, key=orjson.dumps) == sorted(local, key=orjson.dumps)


def test_a_wrong_mapping_names_the_missing_columns(company_table, session, settings):
    schema, _data = company_table
    url = sa.make_url(POSTGRES_ADMIN_URL)
    external = Settings(
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        events_url=f"postgres://{url.username}@{url.host}:{url.port}/{url.database}",
        events_table=f"{schema}.events_raw",
        events_columns={"message_id": "id"},
    )
    with pytest.raises(Exception, match="columns not found: type \\(looked for 'type'\\)"):
        usage_stats(session, Warehouse(external), external, "x", "account", "day", START, START)
