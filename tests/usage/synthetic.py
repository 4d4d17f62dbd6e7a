"""A small seeded product: events of a few accounts, their users and contacts, and a plain
Python reference for every aggregation of the metric catalogue (the Ibis code must agree)."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pyarrow as pa

from tenure.usage.catalogue import Catalogue, MetricDef
from tenure.usage.events import EVENT_SCHEMA
from tenure.usage.sources import ACCOUNTS_SCHEMA, CONTACTS_SCHEMA

EVENTS = ["Signed In", "Feature Used", "Link Clicked", "Link Created", "Stats Viewed", "Other"]
FEATURES = ["reports", "export", "alerts", "sharing", "api"]


@dataclass
class Product:
    events: list[dict[str, Any]]
    accounts: list[dict[str, Any]]
    contacts: list[dict[str, Any]]

    def events_table(self) -> pa.Table:
        return pa.Table.from_pylist(self.events, schema=EVENT_SCHEMA)

    def accounts_table(self) -> pa.Table:
        return pa.Table.from_pylist(self.accounts, schema=ACCOUNTS_SCHEMA)

    def contacts_table(self) -> pa.Table:
        return pa.Table.from_pylist(self.contacts, schema=CONTACTS_SCHEMA)


def product(seed: int, start: date, days: int, per_day: int = 25) -> Product:
    rng = random.Random(seed)
    accounts = [
        {
            "account_external_id": "acme",
            "customer_since": start - timedelta(days=400),
            "tier": "paid",
        },
        {
            "account_external_id": "beta",
            "customer_since": start + timedelta(days=days // 2),
            "tier": "free",
        },
        {"account_external_id": "gamma", "customer_since": None, "tier": "trial"},
        {"account_external_id": "delta", "customer_since": start, "tier": "free"},
    ]
    # "omega" sends events (context.groupId) but is not an account Tenure knows.
    homes = {f"u{n}": rng.choice(["acme", "beta", "gamma", "delta", "omega"]) for n in range(14)}
    contacts = [
        {"user_id": user, "account_external_id": account}
        for user, account in list(homes.items())[:4]
        if account != "omega"
    ]
    events: list[dict[str, Any]] = []
    number = 0

    def add(kind: str, when: datetime, **fields: Any) -> None:
        nonlocal number
        number += 1
        events.append(
            {
                "message_id": f"m{seed}-{number}",
                "type": kind,
                "event": fields.get("event"),
                "user_id": fields.get("user_id"),
                "anonymous_id": fields.get("anonymous_id"),
                "account_external_id": fields.get("account"),
                "timestamp": when,
                "properties": orjson.dumps(fields["properties"]).decode()
                if fields.get("properties")
                else None,
            }
        )

    for day in range(days):
        base = datetime.combine(start + timedelta(days=day), datetime.min.time(), tzinfo=UTC)
        for _ in range(rng.randint(0, per_day)):
            user = rng.choice([*homes, None])
            when = base + timedelta(
                hours=rng.choice([9, 9, 10, 14, 23]),
                minutes=rng.randint(0, 59),
                seconds=rng.randint(0, 3),
            )
            name = rng.choice(EVENTS)
            properties: dict[str, Any] = {}
            if name == "Feature Used" and rng.random() < 0.9:
                properties["feature"] = rng.choice(FEATURES)
            if name == "Link Clicked":
                properties["link_id"] = rng.choice(["l1", "l2", "l3", 7, 8])
            if rng.random() < 0.2:
                properties["n"] = rng.randint(0, 5)
            kind = rng.choice(["track"] * 6 + ["page", "screen", "identify"])
            account = None
            if user is None or rng.random() < 0.3:
                account = homes[user] if user else rng.choice(["acme", "omega", None])
            add(
                kind,
                when,
                event=name if kind != "identify" else None,
                user_id=user,
                anonymous_id=None if user else f"anon{rng.randint(0, 5)}",
                account=account,
                properties=properties,
            )
        # Group calls: some users are grouped only after they have been active a while.
        if rng.random() < 0.3:
            user = rng.choice(list(homes))
            add("group", base + timedelta(hours=12), user_id=user, account=homes[user])
    return Product(events, accounts, contacts)


# -- the reference -------------------------------------------------------------------------
def _property_text(properties: str | None, name: str) -> str | None:
    if not properties:
        return None
    value = orjson.loads(properties).get(name)
    if value is None:
        return None
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def attributed(data: Product) -> list[dict[str, Any]]:
    groups = sorted(
        (
            e
            for e in data.events
            if e["type"] == "group" and e["user_id"] and e["account_external_id"]
        ),
        key=lambda e: (e["timestamp"], e["account_external_id"]),
    )
    links = {
        c["user_id"]: c["account_external_id"]
        for c in sorted(data.contacts, key=lambda c: c["account_external_id"])
    }
    links.update({e["user_id"]: e["account_external_id"] for e in groups})
    result = []
    for event in data.events:
        account = event["account_external_id"] or links.get(event["user_id"])
        if account is None:
            continue
        result.append(
            {
                **event,
                "account_external_id": account,
                "day": event["timestamp"].astimezone(UTC).date(),
                "user_key": event["user_id"] or event["anonymous_id"],
            }
        )
    return result


def _matches(event: dict[str, Any], metric: MetricDef) -> bool:
    if event["type"] not in metric.types:
        return False
    return metric.events is None or event["event"] in metric.events


def _value(metric: MetricDef, rows: list[dict[str, Any]], day: date, shift: int = 0) -> float:
    end = day - timedelta(days=shift)
    inside = [r for r in rows if end - timedelta(days=metric.window_days) < r["day"] <= end]
    inside = [r for r in inside if _matches(r, metric)]
    aggregation = metric.aggregation
    if aggregation == "count":
        return float(len(inside))
    if aggregation == "sum":
        total = 0.0
        for r in inside:
            text = _property_text(r["properties"], metric.property_name or "")
            try:
                total += float(text) if text is not None else 0.0
            except ValueError:
                pass
        return total
    if aggregation == "distinct_users":
        return float(len({r["user_key"] for r in inside}))
    if aggregation == "user_days":
        return float(len({(r["day"], r["user_key"]) for r in inside}))
    if aggregation == "active_days":
        return float(len({r["day"] for r in inside}))
    if aggregation == "distinct_values":
        values = {_property_text(r["properties"], metric.property_name or "") for r in inside}
        return float(len(values - {None}))
    if aggregation in ("sessions", "session_minutes"):
        by_user: dict[tuple[Any, ...], list[datetime]] = defaultdict(list)
        for r in inside:
            by_user[(r["user_key"], r["day"])].append(r["timestamp"])
        sessions = 0
        minutes = 0.0
        for times in by_user.values():
            seconds = sorted(int(t.timestamp()) for t in times)
            previous = None
            for s in seconds:
                if previous is None or s - previous > metric.session_gap_minutes * 60:
                    sessions += 1
                else:
                    minutes += (s - previous) / 60
                previous = s
        return float(sessions) if aggregation == "sessions" else minutes
    if aggregation == "days_since":
        if not inside:
            return float(metric.window_days)
        return float((day - max(r["day"] for r in inside)).days)
    raise AssertionError(aggregation)


def reference_metrics(
    data: Product, catalogue: Catalogue, days: list[date]
) -> dict[tuple[str, str, date], float | None]:
    rows = attributed(data)
    by_account: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_account[row["account_external_id"]].append(row)
    lookback = catalogue.lookback_days()
    measures = [m for m in catalogue.metrics if not m.derived]
    known = {a["account_external_id"]: a["customer_since"] for a in data.accounts}

    def counts_for(account: str, day: date) -> bool:
        for row in by_account.get(account, []):
            if day - timedelta(days=lookback) < row["day"] <= day:
                for metric in measures:
                    if not _matches(row, metric):
                        continue
                    if (
                        metric.aggregation == "distinct_values"
                        and _property_text(row["properties"], metric.property_name or "") is None
                    ):
                        continue
                    return True
        return False

    result: dict[tuple[str, str, date], float | None] = {}
    for day in days:
        universe = {a for a, since in known.items() if since is None or since <= day}
        universe |= {a for a in by_account if counts_for(a, day)}
        for account in universe:
            values: dict[str, float | None] = {}
            for metric in catalogue.order():
                if metric.aggregation == "ratio":
                    num = values[metric.numerator or ""]
                    den = values[metric.denominator or ""]
                    values[metric.name] = (
                        None if not den or num is None else num / den * metric.scale
                    )
                elif metric.aggregation == "change":
                    base = catalogue.get(metric.metric or "")
                    now = _value(base, by_account.get(account, []), day)
                    then = _value(base, by_account.get(account, []), day, shift=metric.weeks * 7)
                    values[metric.name] = None if then == 0 else (now - then) / then * 100
                else:
                    value = _value(metric, by_account.get(account, []), day)
                    since = known.get(account)
                    if metric.scale_by_tenure and since is not None:
                        tenure = (day - since).days + 1
                        if 0 < tenure < metric.window_days:
                            value = value * metric.window_days / tenure
                    values[metric.name] = value
            for name, value in values.items():
                result[(account, name, day)] = value
    return result


def as_dict(table: pa.Table) -> dict[tuple[str, str, date], float | None]:
    return {
        (row["account_external_id"], row["metric"], row["date"]): row["value"]
        for row in table.to_pylist()
    }


def assert_same(
    got: dict[tuple[str, str, date], float | None],
    expected: dict[tuple[str, str, date], float | None],
) -> None:
    missing = sorted(set(expected) - set(got))[:5]
    extra = sorted(set(got) - set(expected))[:5]
    assert set(got) == set(expected), f"missing {missing}, extra {extra}"
    wrong = [
        (key, got[key], expected[key])
        for key in sorted(expected)
        if not _close(got[key], expected[key])
    ]
    assert wrong == [], f"{len(wrong)} values differ, e.g. {wrong[:5]}"


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
