"""The embedded engine's fast path for a day's partials: counts, distinct users and distinct
property values per account, computed with NumPy over the dictionary codes Parquet already
stores, never materialising a string per row.

It gives exactly what `tenure.usage.compute.partials` gives for those measures (a test holds
it to that); what it cannot do exactly (sessions, sums, property values that are not text)
it leaves to the Ibis definitions. Events files hold one UTC day each, so a day's partials
read that day's file only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tenure.usage.catalogue import Measure

FAST_KINDS = ("count", "users", "values")
READ_COLUMNS = ["type", "event", "user_id", "anonymous_id", "account_external_id"]
IntArray = npt.NDArray[np.int64]
EPOCH = date(1970, 1, 1)


@dataclass
class Coded:
    """A string column as int64 codes into `names` (-1 for null)."""

    codes: IntArray
    names: pa.Array


def coded(column: pa.ChunkedArray) -> Coded:
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    if column.num_chunks == 0:
        return Coded(np.empty(0, np.int64), pa.array([], pa.string()))
    column = column.unify_dictionaries()
    names = column.chunk(0).dictionary.cast(pa.string())
    codes = np.concatenate(
        [pc.fill_null(chunk.indices, -1).to_numpy(zero_copy_only=False) for chunk in column.chunks]
    ).astype(np.int64)
    return Coded(codes, names)


def _positions(values: pa.Array, space: pa.Array) -> IntArray:
    """Where each of `values` is in `space`, -1 where it is not (or is null)."""
    found = pc.index_in(values, value_set=space)
    result: IntArray = pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return result


def _through(codes: IntArray, mapping: IntArray) -> IntArray:
    """mapping[codes], keeping -1 for -1."""
    if len(mapping) == 0:
        return np.full(len(codes), -1, np.int64)
    return np.where(codes >= 0, mapping[np.maximum(codes, 0)], -1)


def _union(first: pa.Array, second: pa.Array) -> tuple[pa.Array, IntArray]:
    """`first` followed by the distinct values of `second` it lacks; where each of `second`
    is in that union."""
    extra = pc.unique(pc.drop_null(second))
    extra = extra.filter(pc.invert(pc.is_in(extra, value_set=first)))
    union = pa.concat_arrays([first.cast(pa.string()), extra.cast(pa.string())])
    return union, _positions(second, union)


class DayEvents:
    """One day's events as codes: the account each belongs to, the user key (user id, else
    anonymous id), call type and event name."""

    def __init__(self, table: pa.Table, link_users: pa.Array, link_accounts: pa.Array):
        accounts = coded(table.column("account_external_id"))
        users = coded(table.column("user_id"))
        # A user's account from a group call or a contact, for events that name none.
        linked = link_accounts.take(pc.index_in(users.names, value_set=link_users))
        self.accounts, user_account = _union(accounts.names, linked)
        account = accounts.codes.copy()
        missing = (account < 0) & (users.codes >= 0)
        account[missing] = user_account[users.codes[missing]]
        self.account = account
        anonymous = coded(table.column("anonymous_id"))
        self.keys, anonymous_key = _union(users.names, anonymous.names)
        self.key = np.where(users.codes >= 0, users.codes, _through(anonymous.codes, anonymous_key))
        self.types = coded(table.column("type"))
        self.events = coded(table.column("event"))
        self.table = table

    def mask(self, measure: Measure) -> npt.NDArray[np.bool_]:
        wanted = pc.is_in(self.types.names, value_set=pa.array(measure.types))
        keep = _through(self.types.codes, wanted.to_numpy(zero_copy_only=False).astype(np.int64))
        keep_rows = (keep > 0) & (self.account >= 0)
        if measure.events is not None:
            named = pc.is_in(self.events.names, value_set=pa.array(list(measure.events)))
            flags = _through(
                self.events.codes, named.to_numpy(zero_copy_only=False).astype(np.int64)
            )
            keep_rows &= flags > 0
        return keep_rows

    def property_codes(
        self, measure: Measure, keep: npt.NDArray[np.bool_]
    ) -> tuple[IntArray, pa.Array] | None:
        """Codes of the measure's property value on the kept rows (-1: none) and the values,
        or None when a value is not text (the Ibis definitions then decide)."""
        assert measure.property_name is not None
        properties = coded(self.table.column("properties"))
        used = properties.codes[keep]
        distinct = np.unique(used[used >= 0])
        texts: list[str | None] = []
        for document in properties.names.take(pa.array(distinct, pa.int64())).to_pylist():
            value = orjson.loads(document).get(measure.property_name)
            if value is not None and not isinstance(value, str):
                return None
            texts.append(value)
        values, where = _union(pa.array([], pa.string()), pa.array(texts, pa.string()))
        mapping = np.full(max(len(properties.names), 1), -1, np.int64)
        mapping[distinct] = where
        return _through(used, mapping), values


def _pairs(first: IntArray, second: IntArray, base: int) -> tuple[IntArray, IntArray, IntArray]:
    unique, counts = np.unique(first * base + second, return_counts=True)
    return unique // base, unique % base, counts.astype(np.int64)


@dataclass
class Aggregate:
    """One measure's partials for a day as codes: account, key (into `names`), count."""

    measure: Measure
    account: IntArray
    key: IntArray | None
    names: pa.Array | None
    value: IntArray


def aggregate(events: DayEvents, measure: Measure) -> Aggregate | None:
    keep = events.mask(measure)
    account = events.account[keep]
    if measure.kind == "count":
        counts = np.bincount(account, minlength=max(len(events.accounts), 1))
        present = np.nonzero(counts)[0]
        return Aggregate(measure, present, None, None, counts[present])
    if measure.kind == "users":
        first, second, counts = _pairs(account, events.key[keep], max(len(events.keys), 1))
        return Aggregate(measure, first, second, events.keys, counts)
    found = events.property_codes(measure, keep)
    if found is None:
        return None
    value, names = found
    valid = value >= 0
    first, second, counts = _pairs(account[valid], value[valid], max(len(names), 1))
    return Aggregate(measure, first, second, names, counts)


def _rows(part: Aggregate, day: date, accounts: pa.Array) -> pa.Table:
    count = len(part.account)
    return pa.table(
        {
            "measure": pc.fill_null(pa.nulls(count, pa.string()), part.measure.id),
            "account_external_id": accounts.take(pa.array(part.account)),
            "day": pa.array(np.full(count, (day - EPOCH).days, np.int32)).cast(pa.date32()),
            "key": pc.fill_null(pa.nulls(count, pa.string()), "")
            if part.key is None or part.names is None
            else part.names.take(pa.array(part.key)),
            "value": pa.array(part.value.astype(np.float64)),
        }
    )


def day_partials(
    table: pa.Table, day: date, measures: Sequence[Measure], links: pa.Table
) -> tuple[pa.Table, list[Measure]]:
    """Partials of the measures the fast path handles for one day's events, and the
    measures it left for the Ibis definitions. `links` has user_id, account_external_id."""
    events = DayEvents(
        table,
        links.column("user_id").combine_chunks(),
        links.column("account_external_id").combine_chunks(),
    )
    parts: list[pa.Table] = []
    left: list[Measure] = []
    for measure in measures:
        part = aggregate(events, measure) if measure.kind in FAST_KINDS else None
        if part is None:
            left.append(measure)
        else:
            parts.append(_rows(part, day, events.accounts))
    return (pa.concat_tables(parts) if parts else _empty()), left


def day_rollup(
    table: pa.Table, day: date, links: pa.Table, activity: Measure, features: Measure
) -> pa.Table:
    """Each account's events, distinct users and distinct features on one day: the fast
    path's partials of those measures counted per account, never naming a user."""
    events = DayEvents(
        table,
        links.column("user_id").combine_chunks(),
        links.column("account_external_id").combine_chunks(),
    )
    count = aggregate(events, activity)
    users = aggregate(events, Measure("users", activity.types, activity.events))
    used = aggregate(events, features)
    if count is None or users is None or used is None:
        raise ValueError("the features property holds values that are not text")
    size = max(len(events.accounts), 1)
    n_events = np.zeros(size, np.int64)
    n_events[count.account] = count.value
    present = np.nonzero(n_events)[0]
    return pa.table(
        {
            "account_external_id": events.accounts.take(pa.array(present)),
            "day": pa.array(np.full(len(present), (day - EPOCH).days, np.int32)).cast(pa.date32()),
            "events": pa.array(n_events[present]),
            "users": pa.array(np.bincount(users.account, minlength=size)[present]),
            "features": pa.array(np.bincount(used.account, minlength=size)[present]),
        }
    )


def read_day(files: Sequence[str], with_properties: bool) -> pa.Table:
    """A day's events, string columns dictionary-encoded as Parquet stores them."""
    columns = READ_COLUMNS + (["properties"] if with_properties else [])
    tables = [pq.ParquetFile(f, read_dictionary=columns).read(columns=columns) for f in files]
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


def _empty() -> pa.Table:
    return pa.table(
        {
            "measure": pa.array([], pa.string()),
            "account_external_id": pa.array([], pa.string()),
            "day": pa.array([], pa.date32()),
            "key": pa.array([], pa.string()),
            "value": pa.array([], pa.float64()),
        }
    )
