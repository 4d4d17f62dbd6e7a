"""Property tests: ARR movements always reconcile and match a day-by-day reference."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tenure.retention.book_facts import Book, ContractRecord
from tenure.retention.kpis import movements

ORIGIN = date(2025, 1, 1)


@st.composite
def contracts(draw: st.DrawFn) -> ContractRecord:
    account = draw(st.sampled_from("abcdef"))
    start = ORIGIN + timedelta(days=draw(st.integers(0, 700)))
    length = draw(st.integers(0, 400))
    arr = Decimal(draw(st.integers(0, 50_000))) / 100
    return ContractRecord(account, start, start + timedelta(days=length), arr)


@st.composite
def periods(draw: st.DrawFn) -> tuple[date, date]:
    start = ORIGIN + timedelta(days=draw(st.integers(0, 800)))
    return start, start + timedelta(days=draw(st.integers(0, 400)))


def reference_arr(book: list[ContractRecord], account: str, day: date) -> Decimal:
    return sum(
        (c.arr for c in book if c.account == account and c.start_date <= day < c.end_date),
        Decimal(0),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(contracts(), max_size=25), periods())
def test_start_plus_movements_is_end(book: list[ContractRecord], period: tuple[date, date]) -> None:
    m = movements(Book(book), *period)
    total = m.arr_start + m.new + m.expansion + m.reactivation + m.contraction + m.churn
    assert total == m.arr_end
    assert m.logos_start + m.logos_new + m.logos_reactivated - m.logos_churned == m.logos_end
    assert m.new >= 0
    assert m.expansion >= 0
    assert m.reactivation >= 0
    assert m.contraction <= 0
    assert m.churn <= 0
    if m.arr_start:
        assert m.grr is not None
        assert m.nrr is not None
        assert 0 <= m.grr <= 1
        assert m.grr <= m.nrr


@settings(max_examples=200, deadline=None)
@given(st.lists(contracts(), max_size=25), periods())
def test_movements_match_a_simple_reference(
    book: list[ContractRecord], period: tuple[date, date]
) -> None:
    start, end = period
    before_day = start - timedelta(days=1)
    m = movements(Book(book), start, end)
    accounts = {c.account for c in book}
    a = {x: reference_arr(book, x, before_day) for x in accounts}
    b = {x: reference_arr(book, x, end) for x in accounts}
    assert m.arr_start == sum(a.values())
    assert m.arr_end == sum(b.values())
    assert m.churn == -sum((a[x] for x in accounts if a[x] > 0 and b[x] == 0), Decimal(0))
    assert m.expansion == sum((b[x] - a[x] for x in accounts if 0 < a[x] < b[x]), Decimal(0))
    paid_before = {
        x
        for x in accounts
        if any(
            c.account == x and c.arr > 0 and c.start_date < c.end_date and c.start_date < start
            for c in book
        )
    }
    assert m.reactivation == sum(
        (b[x] for x in accounts if a[x] == 0 and b[x] > 0 and x in paid_before), Decimal(0)
    )
    assert m.retained == sum((min(a[x], b[x]) for x in accounts if a[x] > 0), Decimal(0))
