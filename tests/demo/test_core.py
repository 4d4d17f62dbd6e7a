"""The pure pieces of the simulator: calendar steps, message ids, retention arithmetic and
the streaming Parquet writer."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given
from hypothesis import strategies as st

from tenure.demo.calendar import add_months, monthly_steps
from tenure.demo.events import EVENT_SCHEMA, message_ids
from tenure.demo.rates import Span, period_rates
from tenure.demo.writers import ParquetSink


def test_monthly_steps_cover_the_history_in_calendar_months() -> None:
    steps = monthly_steps(date(2024, 11, 23), date(2025, 2, 10))
    assert [(s.start, s.end) for s in steps] == [
        (date(2024, 11, 23), date(2024, 12, 1)),
        (date(2024, 12, 1), date(2025, 1, 1)),
        (date(2025, 1, 1), date(2025, 2, 1)),
        (date(2025, 2, 1), date(2025, 2, 10)),
    ]
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 11, 23), -24) == date(2024, 11, 23)


@given(st.dates(date(2000, 1, 1), date(2090, 1, 1)), st.integers(1, 60))
def test_steps_tile_the_history_without_gaps(as_of: date, months: int) -> None:
    start = add_months(as_of, -months)
    steps = monthly_steps(start, as_of)
    assert steps[0].start == start
    assert steps[-1].end == as_of
    assert all(a.end == b.start for a, b in zip(steps, steps[1:], strict=False))
    assert all(s.start.month == (s.end - timedelta(days=1)).month for s in steps)


def test_message_ids_are_unique_version_4_uuids() -> None:
    ids = message_ids(np.random.default_rng(1), 5000).to_pylist()
    assert len(set(ids)) == 5000
    for text in ids[:200]:
        parsed = uuid.UUID(text)
        assert parsed.version == 4
        assert str(parsed) == text


def test_rates_follow_the_domain_example() -> None:
    """100 clients worth $100M; 90 renew worth $95M: logo churn 10%, revenue churn 5%."""
    start, end = date(2025, 1, 1), date(2026, 1, 1)
    spans = [Span(f"a{i}", date(2024, 6, 1), date(2025, 6, 1), 1_000_000.0) for i in range(100)]
    spans += [Span(f"a{i}", date(2025, 6, 1), date(2026, 6, 1), 95e6 / 90) for i in range(90)]
    rates = period_rates(spans, start, end)
    assert rates.accounts == 100
    assert rates.churned == 10
    assert abs(rates.logo_churn - 0.10) < 1e-9
    assert abs(rates.nrr - 0.95) < 1e-9
    # The survivors grew: GRR counts no growth, so it is below NRR.
    assert abs(rates.grr - 0.90) < 1e-9


def test_overlapping_contracts_add_up_and_expansion_lifts_nrr_not_grr() -> None:
    spans = [
        Span("a", date(2025, 1, 1), date(2026, 1, 1), 100.0),
        Span("a", date(2025, 6, 1), date(2026, 1, 1), 50.0),  # mid-term add-on
        Span("a", date(2026, 1, 1), date(2027, 1, 1), 180.0),
        Span("b", date(2025, 1, 1), date(2026, 1, 1), 100.0),
        Span("b", date(2026, 1, 1), date(2027, 1, 1), 80.0),
    ]
    rates = period_rates(spans, date(2025, 3, 1), date(2026, 3, 1))
    assert rates.start_arr == 200
    assert rates.end_arr == 260
    assert rates.nrr == 1.3
    assert rates.grr == 0.9
    assert rates.logo_churn == 0


def _events(rows: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "message_id": message_ids(rng, rows),
            "type": pa.array(["track"] * rows),
            "event": pa.array(["Signed In"] * rows),
            "user_id": pa.array([f"u{i}" for i in range(rows)]),
            "anonymous_id": pa.nulls(rows, pa.string()),
            "account_external_id": pa.array(["A"] * rows),
            "timestamp": pa.array(np.arange(rows, dtype=np.int64), pa.timestamp("us", tz="UTC")),
            "properties": pa.array(["{}"] * rows),
        },
        schema=EVENT_SCHEMA,
    )


def test_parquet_sink_streams_fixed_row_groups() -> None:
    parts = [_events(n, seed) for seed, n in enumerate((700, 0, 900, 450, 30))]
    buffer = io.BytesIO()
    sink = ParquetSink(buffer, row_group=1000)
    for part in parts:
        sink.write(part)
    sink.close()
    buffer.seek(0)
    parquet = pq.ParquetFile(buffer)
    sizes = [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)]
    assert sizes == [1000, 1000, 80]
    assert parquet.read().equals(pa.concat_tables(parts))
