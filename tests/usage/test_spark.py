"""The same metric code on PySpark (through Ibis's pyspark backend) and on DuckDB gives the
same numbers, over seeded demo runs of both companies and the synthetic product."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tenure.demo.service import generate
from tenure.demo.writers import EventsFormat
from tenure.usage.catalogue import load_catalogue
from tenure.usage.events import EVENT_SCHEMA
from tenure.usage.service import metrics_from_events
from tenure.usage.sources import ACCOUNTS_SCHEMA, CONTACTS_SCHEMA, read_parquet
from tests.usage.synthetic import as_dict, assert_same, product

pytestmark = [
    pytest.mark.slow,
    # PySpark 4.0 converts results through pandas with an argument pandas 3 deprecates.
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
    # py4j leaves its gateway sockets to the garbage collector.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
AS_OF = date(2026, 6, 30)


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    pyspark_sql = pytest.importorskip("pyspark.sql")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session = (
            pyspark_sql.SparkSession.builder.master("local[2]")
            .appName("tenure-tests")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.driver.memory", "1g")
            .getOrCreate()
        )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def demo_data(folder: Path) -> tuple[Path, pa.Table, pa.Table]:
    """Small seeded runs of both demo companies plus the synthetic product, as one events
    file and the accounts and contacts that go with it."""
    events, accounts, contacts = [], [], []
    for scenario in ("enterprise", "shortener"):
        out = folder / scenario
        generate(scenario, 6, 3, 11, AS_OF, out, EventsFormat.parquet)
        events.append(pq.read_table(out / "events.parquet").cast(EVENT_SCHEMA))
        table = pacsv.read_csv(out / "accounts.csv")
        accounts.append(
            pa.table(
                {
                    "account_external_id": table["external_id"].cast(pa.string()),
                    "customer_since": table["customer_since"].cast(pa.date32()),
                    "tier": table["tier"].cast(pa.string()),
                },
                schema=ACCOUNTS_SCHEMA,
            )
        )
        table = pacsv.read_csv(out / "contacts.csv")
        contacts.append(
            pa.table(
                {
                    "user_id": table["user_id"].cast(pa.string()),
                    "account_external_id": table["account_external_id"].cast(pa.string()),
                },
                schema=CONTACTS_SCHEMA,
            )
        )
    synthetic = product(5, AS_OF - timedelta(days=100), days=100)
    events.append(synthetic.events_table())
    accounts.append(synthetic.accounts_table())
    contacts.append(synthetic.contacts_table())
    path = folder / "events.parquet"
    pq.write_table(pa.concat_tables(events), path)
    return path, pa.concat_tables(accounts), pa.concat_tables(contacts)


def test_pyspark_and_duckdb_give_the_same_metrics(spark, tmp_path):
    path, accounts, contacts = demo_data(tmp_path)
    catalogue = load_catalogue()
    days = [AS_OF - timedelta(days=n) for n in (0, 27, 60)]
    duck = ibis.duckdb.connect()
    on_duckdb = metrics_from_events(
        duck, read_parquet(duck, [str(path)]), days, accounts, contacts, catalogue, "duckdb"
    )
    con = ibis.pyspark.connect(spark)
    on_spark = metrics_from_events(
        con, con.read_parquet(str(path)), days, accounts, contacts, catalogue, "pyspark"
    )
    assert on_duckdb.num_rows > 500
    assert set(on_duckdb["metric"].to_pylist()) == set(catalogue.names())
    # Real signal, not all zeros: the demo's clients sign in and click links.
    values = as_dict(on_duckdb)
    assert sum(v or 0 for (_a, m, _d), v in values.items() if m == "logins_28d") > 100
    assert sum(v or 0 for (_a, m, _d), v in values.items() if m == "link_clicks_28d") > 1000
    assert_same(as_dict(on_spark), values)
