"""Usage events: the stored columns and the rules a Segment-style call must follow.

Pure functions, no I/O: the HTTP intake and `tenure import events` both normalise every call
through `normalize_call` (or `normalize_row` for files in the stored columns), so a call is
accepted or refused the same way whichever door it came through.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa

CALL_TYPES = ("identify", "group", "track", "page", "screen", "alias")
# Calls that say what a user did; identify, group and alias say who someone is.
ACTIVITY_TYPES = ("track", "page", "screen")
MAX_EVENT_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_ID_CHARS = 200
MAX_NAME_CHARS = 200

EVENT_SCHEMA = pa.schema(
    [
        pa.field("message_id", pa.string(), nullable=False),
        pa.field("type", pa.string(), nullable=False),
        pa.field("event", pa.string()),
        pa.field("user_id", pa.string()),
        pa.field("anonymous_id", pa.string()),
        pa.field("account_external_id", pa.string()),
        pa.field("timestamp", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("properties", pa.string()),
    ]
)
EVENT_COLUMNS = tuple(EVENT_SCHEMA.names)
# What the intake log keeps per event: the stored columns, timestamps as epoch microseconds,
# and when the event was received (message ids are remembered for 30 days from then).
LOG_SCHEMA = pa.schema(
    [
        pa.field("message_id", pa.string()),
        pa.field("type", pa.string()),
        pa.field("event", pa.string()),
        pa.field("user_id", pa.string()),
        pa.field("anonymous_id", pa.string()),
        pa.field("account_external_id", pa.string()),
        pa.field("timestamp", pa.int64()),
        pa.field("properties", pa.string()),
        pa.field("received_at", pa.int64()),
    ]
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Timestamps outside these years are typos or clocks gone wrong, not usage.
_MIN_MICROS = 0
_MAX_MICROS = int((datetime(2100, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds()) * 1_000_000


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field of one event."""

    field: str
    value: Any
    why: str

    def describe(self) -> str:
        return f"{self.field}: {show(self.value)}: {self.why}"


class BadEvent(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.describe() for p in problems))
        self.problems = problems


def show(value: Any) -> str:
    """A value as it appears in a problem message: short, quoted."""
    if value is None:
        return "(empty)"
    if isinstance(value, dict | list):
        text = orjson.dumps(value).decode()
    else:
        text = value if isinstance(value, str) else repr(value)
    return repr(text[:60] + "…") if len(text) > 60 else repr(text)


def micros(value: datetime) -> int:
    """Epoch microseconds of a datetime; a naive one is taken to be UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def parse_timestamp(value: Any) -> int | None:
    """Epoch microseconds of an ISO 8601 date-time, or None when it is not one."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    result = micros(parsed)
    return result if _MIN_MICROS <= result < _MAX_MICROS else None


def _identifier(value: Any) -> str | None | bool:
    """An id as text (Segment allows numbers), None when absent, False when unusable."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value if value and len(value) <= MAX_ID_CHARS else (None if not value else False)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return False


def _id_field(call: dict[str, Any], name: str, problems: list[Problem]) -> str | None:
    value = _identifier(call.get(name))
    if value is False:
        problems.append(
            Problem(name, call.get(name), f"not an id (a string of at most {MAX_ID_CHARS} chars)")
        )
        return None
    return value  # type: ignore[return-value]


def _object(call: dict[str, Any], name: str, problems: list[Problem]) -> dict[str, Any] | None:
    value = call.get(name)
    if value is None or isinstance(value, dict):
        return value
    problems.append(Problem(name, value, "not a JSON object"))
    return None


def _plain_id(value: Any) -> bool:
    return type(value) is str and 0 < len(value) <= MAX_ID_CHARS and value == value.strip()


_ACTIVITY_NAME = {"track": "event", "page": "name", "screen": "name"}


def _quick(call: Any, call_type: str | None, received_at: int) -> dict[str, Any] | None:
    """The record of a well-formed track, page, screen or identify call with a client
    timestamp, as fast as Python allows (the intake's hot path); None for anything else,
    which `normalize_call` then checks in full. Must agree with it on every call it takes."""
    if type(call) is not dict:
        return None
    get = call.get
    kind = call_type or get("type")
    user_id = get("userId")
    anonymous_id = get("anonymousId")
    message_id = get("messageId")
    stamp = get("timestamp")
    context = get("context")
    if (
        (user_id is not None and not _plain_id(user_id))
        or (anonymous_id is not None and not _plain_id(anonymous_id))
        or (user_id is None and anonymous_id is None)
        or not _plain_id(message_id)
        or type(stamp) is not str
        or (context is not None and type(context) is not dict)
    ):
        return None
    if kind == "identify":
        event = None
        properties = get("traits")
    else:
        name_key = _ACTIVITY_NAME.get(kind)  # type: ignore[arg-type]
        if name_key is None:
            return None
        event = get(name_key)
        if type(event) is not str or not 0 < len(event) <= MAX_NAME_CHARS:
            if kind == "track" or event is not None:
                return None
        elif kind == "track" and not event.strip():
            return None
        properties = get("properties")
    if properties is not None and type(properties) is not dict:
        return None
    account = None
    if context:
        account = context.get("groupId")
        if account is not None and not _plain_id(account):
            return None
    timestamp = parse_timestamp(stamp)
    if timestamp is None:
        return None
    return {
        "message_id": message_id,
        "type": kind,
        "event": event,
        "user_id": user_id,
        "anonymous_id": anonymous_id,
        "account_external_id": account,
        "timestamp": timestamp,
        "properties": orjson.dumps(properties).decode() if properties else None,
        "received_at": received_at,
    }


def normalize_call(
    call: Any, call_type: str | None, received_at: int, defaults: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One Segment call as a log record (the stored columns, timestamps in epoch microseconds).

    `call_type` is the type the endpoint implies (None for /v1/batch, where each call names its
    own); `defaults` holds a batch's shared `context`. Raises BadEvent naming every problem.
    """
    if defaults is None or not defaults.get("context"):
        quick = _quick(call, call_type, received_at)
        if quick is not None:
            return quick
    if not isinstance(call, dict):
        raise BadEvent([Problem("event", call, "not a JSON object")])
    problems: list[Problem] = []
    kind = call_type or call.get("type")
    if kind not in CALL_TYPES:
        problems.append(Problem("type", call.get("type"), f"not one of {', '.join(CALL_TYPES)}"))
    user_id = _id_field(call, "userId", problems)
    anonymous_id = _id_field(call, "anonymousId", problems)
    message_id = _id_field(call, "messageId", problems)
    context = _object(call, "context", problems)
    if defaults and defaults.get("context"):
        context = {**defaults["context"], **(context or {})}
    account = None
    if context and context.get("groupId") is not None:
        account = _identifier(context.get("groupId"))
        if account is False:
            problems.append(Problem("context.groupId", context.get("groupId"), "not an id"))
            account = None
    event = None
    properties: dict[str, Any] | None = None
    if kind == "track":
        event = call.get("event")
        if not isinstance(event, str) or not event.strip():
            problems.append(Problem("event", event, "a track call needs an event name"))
        elif len(event) > MAX_NAME_CHARS:
            problems.append(Problem("event", event, f"longer than {MAX_NAME_CHARS} characters"))
        properties = _object(call, "properties", problems)
    elif kind in ("page", "screen"):
        event = call.get("name")
        if event is not None and (not isinstance(event, str) or len(event) > MAX_NAME_CHARS):
            problems.append(Problem("name", event, "not a name (text, up to 200 characters)"))
        properties = _object(call, "properties", problems)
    elif kind == "identify":
        properties = _object(call, "traits", problems)
    elif kind == "group":
        account = _id_field(call, "groupId", problems)
        if account is None and not any(p.field == "groupId" for p in problems):
            problems.append(Problem("groupId", call.get("groupId"), "a group call needs groupId"))
        properties = _object(call, "traits", problems)
    elif kind == "alias":
        previous = _id_field(call, "previousId", problems)
        if previous is None:
            problems.append(Problem("previousId", None, "an alias call needs previousId"))
        if user_id is None:
            problems.append(Problem("userId", None, "an alias call needs userId"))
        properties = {"previousId": previous}
    if user_id is None and anonymous_id is None and kind != "alias":
        problems.append(Problem("userId", None, "a call needs userId or anonymousId"))
    timestamp = _timestamp(call, received_at, problems)
    if problems:
        raise BadEvent(problems)
    return {
        "message_id": message_id or f"tenure-{uuid.uuid4().hex}",
        "type": kind,
        "event": event,
        "user_id": user_id,
        "anonymous_id": anonymous_id,
        "account_external_id": account,
        "timestamp": timestamp,
        "properties": orjson.dumps(properties).decode() if properties else None,
        "received_at": received_at,
    }


def _timestamp(call: dict[str, Any], received_at: int, problems: list[Problem]) -> int:
    """Segment's rule: `timestamp` if given; else `originalTimestamp` corrected by the sender's
    clock skew (`sentAt` against our clock); else when we received it."""
    for name in ("timestamp", "originalTimestamp"):
        raw = call.get(name)
        if raw is None:
            continue
        parsed = parse_timestamp(raw)
        if parsed is None:
            problems.append(Problem(name, raw, "not an ISO 8601 date-time between 1970 and 2100"))
            return received_at
        if name == "originalTimestamp" and call.get("sentAt") is not None:
            sent = parse_timestamp(call.get("sentAt"))
            if sent is None:
                problems.append(Problem("sentAt", call.get("sentAt"), "not an ISO 8601 date-time"))
                return received_at
            parsed = received_at - (sent - parsed)
        return parsed
    return received_at


FLAT_REQUIRED = ("message_id", "type", "timestamp")


def normalize_row(row: dict[str, Any], received_at: int) -> dict[str, Any]:
    """One row of a file in the stored columns (CSV, or JSON Lines with snake_case keys) as a
    log record. Raises BadEvent naming every problem."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for name in ("message_id", "user_id", "anonymous_id", "account_external_id"):
        value = _identifier(row.get(name))
        if value is False:
            problems.append(Problem(name, row.get(name), "not an id"))
            value = None
        values[name] = value
    if values["message_id"] is None and not any(p.field == "message_id" for p in problems):
        problems.append(Problem("message_id", None, "required (it makes imports idempotent)"))
    kind = row.get("type")
    if kind not in CALL_TYPES:
        problems.append(Problem("type", kind, f"not one of {', '.join(CALL_TYPES)}"))
    event = row.get("event")
    if event is not None and not isinstance(event, str):
        problems.append(Problem("event", event, "not text"))
    elif kind == "track" and (event is None or not event.strip()):
        problems.append(Problem("event", event, "a track call needs an event name"))
    elif event is not None and len(event) > MAX_NAME_CHARS:
        problems.append(Problem("event", event, f"longer than {MAX_NAME_CHARS} characters"))
    if kind == "group" and values["account_external_id"] is None:
        problems.append(
            Problem("account_external_id", None, "a group call needs the account (groupId)")
        )
    if values["user_id"] is None and values["anonymous_id"] is None:
        problems.append(Problem("user_id", None, "a call needs user_id or anonymous_id"))
    raw_time = row.get("timestamp")
    if isinstance(raw_time, datetime):
        timestamp: int | None = micros(raw_time)
    else:
        timestamp = parse_timestamp(raw_time)
    if timestamp is None:
        problems.append(
            Problem("timestamp", raw_time, "not an ISO 8601 date-time between 1970 and 2100")
        )
    properties = row.get("properties")
    if isinstance(properties, str):
        try:
            parsed = orjson.loads(properties)
        except orjson.JSONDecodeError:
            parsed = None
        if not isinstance(parsed, dict):
            problems.append(Problem("properties", properties, "not a JSON object"))
        properties = orjson.dumps(parsed).decode() if parsed else None
    elif isinstance(properties, dict):
        properties = orjson.dumps(properties).decode() if properties else None
    elif properties is not None:
        problems.append(Problem("properties", properties, "not a JSON object"))
    if properties is not None and len(properties) > MAX_EVENT_BYTES:
        problems.append(
            Problem("properties", "…", f"larger than the {MAX_EVENT_BYTES // 1024} KB event limit")
        )
    if problems:
        raise BadEvent(problems)
    return {
        **values,
        "type": kind,
        "event": event,
        "timestamp": timestamp,
        "properties": properties,
        "received_at": received_at,
    }


def is_flat_row(row: dict[str, Any]) -> bool:
    """Whether a JSON Lines row uses the stored columns rather than Segment's call format."""
    return "message_id" in row or "user_id" in row or "anonymous_id" in row


def loose(table: pa.Table) -> pa.Table:
    """The table with every column nullable: engines read Parquet columns as nullable, and
    Ibis unions need identical types."""
    schema = pa.schema([field.with_nullable(True) for field in table.schema])
    return table.cast(schema)


def records_to_table(records: list[dict[str, Any]]) -> pa.Table:
    """Log records as an Arrow table of LOG_SCHEMA."""
    return pa.Table.from_pylist(records, schema=LOG_SCHEMA)


def log_to_events(table: pa.Table) -> pa.Table:
    """A LOG_SCHEMA table in the stored columns (EVENT_SCHEMA)."""
    columns = [
        table.column(name).cast(pa.timestamp("us", tz="UTC"))
        if name == "timestamp"
        else table.column(name)
        for name in EVENT_COLUMNS
    ]
    return pa.Table.from_arrays(columns, schema=EVENT_SCHEMA)
