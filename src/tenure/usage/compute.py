"""Usage metrics and statistics as Ibis expressions: the same code runs on DuckDB, Spark,
PostgreSQL or any engine Ibis reaches. No I/O here: functions take Ibis tables and return
Ibis tables; services decide where the tables come from and where results go.

The computation has two steps, so that a daily run costs one day of events:

1. `partials`: per measure, account and day, what the metrics need from that day's events
   (a count, a sum, the users or property values seen, sessions and their minutes). A day's
   partials depend on that day's events only.
2. `metric_values`: each metric on each requested day from the partials inside its window
   (distinct counts over a window count distinct keys, never sums of daily distinct counts).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

from tenure.kit.errors import TenureError
from tenure.usage.catalogue import Catalogue, Measure, MetricDef

if TYPE_CHECKING:
    import ibis.expr.types as ir

# Engines whose unpivot keeps numbers as numbers (and is faster there than a union).
NATIVE_UNPIVOT = ("duckdb", "pyspark")
PARTIAL_COLUMNS = ("measure", "account_external_id", "day", "key", "value")
METRIC_COLUMNS = ("account_external_id", "metric", "date", "value")


# -- properties ---------------------------------------------------------------------------
# Properties are JSON text. Reading one property as text is the one thing engines spell
# differently, so each engine's own function is named here (Ibis calls it as a builtin).
@ibis.udf.scalar.builtin(name="json_extract_string")  # type: ignore[untyped-decorator]
def _duckdb_json_text(document: str, path: str) -> str: ...  # type: ignore[empty-body]


@ibis.udf.scalar.builtin(name="get_json_object")  # type: ignore[untyped-decorator]
def _spark_json_text(document: str, path: str) -> str: ...  # type: ignore[empty-body]


@ibis.udf.scalar.builtin(name="json_extract_path_text")  # type: ignore[untyped-decorator]
def _postgres_json_text(document: dt.JSON, key: str) -> str: ...  # type: ignore[empty-body]


@ibis.udf.scalar.builtin(name="json_value")  # type: ignore[untyped-decorator]
def _bigquery_json_text(document: str, path: str) -> str: ...  # type: ignore[empty-body]


@ibis.udf.scalar.builtin(name="json_extract_path_text")  # type: ignore[untyped-decorator]
def _snowflake_json_text(document: str, key: str) -> str: ...  # type: ignore[empty-body]


def _by_path(function: Callable[..., Any]) -> Callable[[Any, str], Any]:
    return lambda column, name: function(column, f"$.{name}")


JSON_TEXT: dict[str, Callable[[Any, str], Any]] = {
    "duckdb": _by_path(_duckdb_json_text),
    "pyspark": _by_path(_spark_json_text),
    "postgres": lambda column, name: _postgres_json_text(column.cast("json"), name),
    "bigquery": _by_path(_bigquery_json_text),
    "snowflake": lambda column, name: _snowflake_json_text(column, name),
}


def property_text(properties: ir.StringValue, name: str, engine: str) -> ir.StringValue:
    """The property `name` of a JSON-text properties column, as text (numbers too)."""
    try:
        reader = JSON_TEXT[engine]
    except KeyError:
        raise TenureError(
            f"reading event properties on {engine!r} is not supported yet "
            f"(supported: {', '.join(sorted(JSON_TEXT))}); metrics without a property work"
        ) from None
    result: ir.StringValue = reader(properties, name)
    return result


# -- attribution ----------------------------------------------------------------------------
def group_memberships(events: ir.Table) -> ir.Table:
    """Each user's account from `group` calls: the latest call wins (ties: the greatest
    account id, so every engine picks the same)."""
    calls = events.filter(
        events.type == "group",
        events.user_id.notnull(),
        events.account_external_id.notnull(),
    )
    latest = calls.group_by("user_id").aggregate(latest=calls.timestamp.max())
    joined = calls.join(latest, [calls.user_id == latest.user_id, calls.timestamp == latest.latest])
    return joined.group_by("user_id").aggregate(
        account_external_id=joined.account_external_id.max()
    )


def user_links(memberships: ir.Table, contacts: ir.Table) -> ir.Table:
    """User -> account: from `group` calls first, else from contacts' product user ids."""
    contacts = (
        contacts.filter(contacts.user_id.notnull())
        .group_by("user_id")
        .aggregate(account_external_id=contacts.account_external_id.max())
    )
    only_contacts = contacts.anti_join(memberships, "user_id")
    return memberships.select("user_id", "account_external_id").union(
        only_contacts.select("user_id", "account_external_id")
    )


def attribute(events: ir.Table, links: ir.Table) -> ir.Table:
    """Events with `day` (UTC date), `user_key` (user id, else anonymous id) and the account
    each belongs to: context.groupId when the call named one, else the user's account.
    Events no account claims are left out."""
    links = links.rename(link_user="user_id", link_account="account_external_id")
    joined = events.left_join(links, events.user_id == links.link_user)
    resolved = joined.mutate(
        account_external_id=joined.account_external_id.coalesce(joined.link_account),
        day=joined.timestamp.date(),
        user_key=joined.user_id.coalesce(joined.anonymous_id),
    )
    return resolved.filter(resolved.account_external_id.notnull()).drop("link_user", "link_account")


# -- partials -------------------------------------------------------------------------------
def _matching(events: ir.Table, measure: Measure) -> ir.Table:
    predicates = [events.type.isin(list(measure.types))]
    if measure.events is not None:
        predicates.append(events.event.isin(list(measure.events)))
    return events.filter(*predicates)


def _shape(table: ir.Table, measure: Measure, key: Any) -> ir.Table:
    return table.select(
        measure=ibis.literal(measure.id),
        account_external_id=table.account_external_id,
        day=table.day,
        key=key,
        value=table.value.cast("float64"),
    )


def measure_partials(events: ir.Table, measure: Measure, engine: str) -> ir.Table:
    """One measure's partials from attributed events."""
    rows = _matching(events, measure)
    by_day = ["account_external_id", "day"]
    if measure.kind == "count":
        counted = rows.group_by(by_day).aggregate(value=rows.count())
        return _shape(counted, measure, ibis.literal(""))
    if measure.kind == "sum":
        assert measure.property_name
        number = property_text(rows.properties, measure.property_name, engine).try_cast("float64")
        summed = rows.group_by(by_day).aggregate(value=number.sum().fill_null(0))
        return _shape(summed, measure, ibis.literal(""))
    if measure.kind == "users":
        users = rows.group_by([*by_day, "user_key"]).aggregate(value=rows.count())
        return _shape(users, measure, users.user_key)
    if measure.kind == "values":
        assert measure.property_name
        keyed = rows.mutate(prop=property_text(rows.properties, measure.property_name, engine))
        keyed = keyed.filter(keyed.prop.notnull())
        values = keyed.group_by([*by_day, "prop"]).aggregate(value=keyed.count())
        return _shape(values, measure, values.prop)
    if measure.kind == "sessions":
        return _session_partials(rows, measure)
    raise ValueError(f"unknown measure kind {measure.kind!r}")


def _session_partials(rows: ir.Table, measure: Measure) -> ir.Table:
    """Sessions: a user's activity on a day, split where nothing happened for more than the
    gap. A session's minutes are the sum of the gaps inside it, so no session ids are needed
    (and events at the same instant give every engine the same answer)."""
    window = ibis.window(
        group_by=[rows.account_external_id, rows.user_key, rows.day], order_by=rows.timestamp
    )
    seconds = rows.timestamp.truncate("s").epoch_seconds().cast("int64")
    stepped = rows.mutate(seconds=seconds).mutate(previous=seconds.lag().over(window))
    gap = stepped.seconds - stepped.previous
    starts = stepped.previous.isnull() | (gap > measure.session_gap_minutes * 60)
    flagged = stepped.mutate(
        starts=starts.ifelse(1, 0), inside=starts.ifelse(0, gap).cast("float64")
    )
    per_day = flagged.group_by(["account_external_id", "day"]).aggregate(
        n=flagged.starts.sum(), minutes=flagged.inside.sum() / 60.0
    )
    count = _shape(per_day.mutate(value=per_day.n), measure, ibis.literal("n"))
    minutes = _shape(per_day.mutate(value=per_day.minutes), measure, ibis.literal("minutes"))
    return count.union(minutes)


def partials(events: ir.Table, measures: Sequence[Measure], engine: str) -> ir.Table:
    """Partials of every measure from attributed events (see `attribute`)."""
    tables = [measure_partials(events, measure, engine) for measure in measures]
    if not tables:
        return empty_partials()
    result = tables[0]
    for table in tables[1:]:
        result = result.union(table)
    return result


def empty_partials() -> ir.Table:
    schema = pa.schema(
        [
            ("measure", pa.string()),
            ("account_external_id", pa.string()),
            ("day", pa.date32()),
            ("key", pa.string()),
            ("value", pa.float64()),
        ]
    )
    return ibis.memtable(schema.empty_table())


def daily_rollup(events: ir.Table, activity: Measure, features: Measure, engine: str) -> ir.Table:
    """Each account's activity events, distinct users and distinct features (the values of
    the features measure's property on its events) per day, from attributed events."""
    rows = _matching(events, activity)
    used = _matching(events, features)
    feature = property_text(used.properties, features.property_name or "", engine)
    per_day = rows.group_by(["account_external_id", "day"]).aggregate(
        events=rows.count(), users=rows.user_key.nunique()
    )
    distinct = (
        used.mutate(feature=feature)
        .group_by(["account_external_id", "day"])
        .aggregate(features=ibis._.feature.nunique())
        .rename(f_account="account_external_id", f_day="day")
    )
    joined = per_day.left_join(
        distinct,
        [per_day.account_external_id == distinct.f_account, per_day.day == distinct.f_day],
    )
    return joined.select(
        "account_external_id", "day", "events", "users", features=joined.features.fill_null(0)
    )


# -- metrics --------------------------------------------------------------------------------
def days_table(days: Sequence[date]) -> ir.Table:
    return ibis.memtable({"date": sorted(set(days))}, schema={"date": "date"})


def _column(name: str, shift: int = 0) -> str:
    return name if shift == 0 else f"_{name}_{shift}d_before"


def _window_aggregate(rows: ir.Table, metric: MetricDef, shift: int = 0) -> Any:
    """One event metric as an aggregate over partials joined to the days they count for."""
    inside = (
        (rows.measure == metric.measure.id)
        & (rows.day <= rows.date - ibis.interval(days=shift))
        & (rows.day > rows.date - ibis.interval(days=shift + metric.window_days))
    )
    aggregation = metric.aggregation
    if aggregation == "sessions":
        inside = inside & (rows.key == "n")
    elif aggregation == "session_minutes":
        inside = inside & (rows.key == "minutes")
    if aggregation in ("count", "sum", "sessions", "session_minutes"):
        return rows.value.sum(where=inside).cast("float64")
    if aggregation in ("distinct_users", "distinct_values"):
        return rows.key.nunique(where=inside).cast("float64")
    if aggregation == "user_days":
        return rows.count(where=inside).cast("float64")
    if aggregation == "active_days":
        return rows.day.nunique(where=inside).cast("float64")
    if aggregation == "days_since":
        return rows.day.max(where=inside)
    raise ValueError(f"{metric.name}: not an event aggregation")


def _finish(table: ir.Table, metric: MetricDef, column: str) -> Any:
    """The aggregate with the value an account without matching events gets."""
    value = table[column]
    if metric.aggregation == "days_since":
        since = table.date.delta(value, unit="day").cast("float64")
        return value.isnull().ifelse(float(metric.window_days), since)
    return value.fill_null(0.0)


def metric_values(
    partials: ir.Table,
    days: Sequence[date],
    accounts: ir.Table,
    catalogue: Catalogue,
    engine: str,
    names: Sequence[str] | None = None,
) -> ir.Table:
    """The metrics series (account_external_id, metric, date, value) for these days.

    `partials` must cover each day's lookback; `accounts` has account_external_id and
    customer_since. Every metric comes from one join of the partials to the days and one
    aggregation, so engines scan the partials once. Accounts get values on a day when Tenure
    knows them (from their customer_since on) or they had activity within the catalogue's
    lookback. Ratios with a zero denominator and changes from zero are null.
    """
    wanted = list(names) if names is not None else catalogue.names()
    day_table = days_table(days)
    lookback = catalogue.lookback_days()
    rows = partials.join(
        day_table,
        [
            partials.day <= day_table.date,
            partials.day > day_table.date - ibis.interval(days=lookback),
        ],
    )
    aggregates: dict[str, Any] = {}
    finishing: list[tuple[MetricDef, str]] = []
    for metric in catalogue.order():
        if metric.aggregation == "change":
            base = catalogue.get(metric.metric or "")
            column = _column(base.name, metric.weeks * 7)
            aggregates[column] = _window_aggregate(rows, base, metric.weeks * 7)
            finishing.append((base, column))
        elif not metric.derived:
            aggregates[metric.name] = _window_aggregate(rows, metric)
            finishing.append((metric, metric.name))
    wide = rows.group_by(["account_external_id", "date"]).aggregate(**aggregates)
    known = accounts.cross_join(day_table)
    known = known.filter(known.customer_since.isnull() | (known.customer_since <= known.date))
    keys = (
        wide.select("account_external_id", "date")
        .union(known.select("account_external_id", "date"))
        .distinct()
    )
    wide = wide.rename(w_account="account_external_id", w_date="date")
    since = accounts.select(s_account="account_external_id", customer_since="customer_since")
    table = keys.left_join(
        wide, [keys.account_external_id == wide.w_account, keys.date == wide.w_date]
    )
    table = table.left_join(since, table.account_external_id == since.s_account)
    values: dict[str, Any] = {}
    for metric, column in finishing:
        values[column] = _finish(table, metric, column)
    table = table.select("account_external_id", "date", "customer_since", **values)
    derived: dict[str, Any] = {}
    for metric in catalogue.order():
        value: Any
        if metric.aggregation == "ratio":
            numerator = derived.get(metric.numerator or "", table[metric.numerator or ""])
            denominator = derived.get(metric.denominator or "", table[metric.denominator or ""])
            value = (denominator == 0).ifelse(
                ibis.null("float64"), numerator / denominator * metric.scale
            )
        elif metric.aggregation == "change":
            now = table[metric.metric or ""]
            then = table[_column(metric.metric or "", metric.weeks * 7)]
            value = (then == 0).ifelse(ibis.null("float64"), (now - then) / then * 100.0)
        elif metric.scale_by_tenure:
            tenure = table.date.delta(table.customer_since, unit="day") + 1
            young = table.customer_since.notnull() & (tenure > 0) & (tenure < metric.window_days)
            value = young.ifelse(
                table[metric.name] * metric.window_days / tenure.cast("float64"),
                table[metric.name],
            )
        else:
            value = table[metric.name]
        derived[metric.name] = value.cast("float64")
    table = table.select("account_external_id", "date", **{n: derived[n] for n in wanted})
    if engine in NATIVE_UNPIVOT:
        return table.pivot_longer(list(wanted), names_to="metric", values_to="value").select(
            *METRIC_COLUMNS
        )
    # Elsewhere one select per metric: some engines unpivot through JSON, where a null value
    # cannot come back as a number.
    parts = [
        table.select(
            "account_external_id", metric=ibis.literal(name), date=table.date, value=table[name]
        )
        for name in wanted
    ]
    return parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]


# -- statistics -----------------------------------------------------------------------------
INTERVALS = {"day": None, "week": "W", "month": "M"}


def usage_stats(
    events: ir.Table,
    event: str,
    by: str,
    interval: str,
    start: date,
    end: date,
    engine: str,
    accounts: ir.Table | None = None,
) -> ir.Table:
    """How often `event` happened per account and period (day, week from Monday, month),
    optionally per user or per value of a property; only the accounts in `accounts` when
    given. Columns: account_external_id, period, [user_id | the property], count."""
    rows = events.filter(events.event == event, events.day >= start, events.day <= end)
    if accounts is not None:
        rows = rows.semi_join(accounts, "account_external_id")
    unit = INTERVALS[interval]
    period = rows.day if unit is None else rows.day.truncate(unit)
    rows = rows.mutate(period=period)
    keys = ["account_external_id", "period"]
    if by == "user":
        rows = rows.mutate(user_id=rows.user_key)
        keys.append("user_id")
    elif by.startswith("property:"):
        name = by.removeprefix("property:")
        rows = rows.mutate(**{name: property_text(rows.properties, name, engine)})
        keys.append(name)
    counted = rows.group_by(keys).aggregate(count=rows.count())
    return counted.order_by(keys)
