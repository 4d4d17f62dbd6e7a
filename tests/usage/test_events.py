"""The rules every call follows, whichever door it comes through."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenure.kit.errors import TenureError
from tenure.usage.events import BadEvent, micros, normalize_call, normalize_row, parse_timestamp
from tenure.usage.intake import parse_calls

NOW = micros(datetime(2026, 11, 23, 12, tzinfo=UTC))


def problems(call, call_type=None):
    with pytest.raises(BadEvent) as caught:
        normalize_call(call, call_type, NOW)
    return [p.describe() for p in caught.value.problems]


def test_a_track_call_becomes_the_stored_columns():
    record = normalize_call(
        {
            "type": "track",
            "event": "Link Clicked",
            "userId": 42,
            "messageId": "m-1",
            "timestamp": "2026-11-20T10:00:00.5+02:00",
            "properties": {"link_id": "l1"},
            "context": {"groupId": "acme"},
        },
        None,
        NOW,
    )
    assert record == {
        "message_id": "m-1",
        "type": "track",
        "event": "Link Clicked",
        "user_id": "42",
        "anonymous_id": None,
        "account_external_id": "acme",
        "timestamp": micros(datetime(2026, 11, 20, 8, 0, 0, 500000, tzinfo=UTC)),
        "properties": '{"link_id":"l1"}',
        "received_at": NOW,
    }


def test_group_identify_page_and_alias_keep_what_matters():
    group = normalize_call({"userId": "u", "groupId": "acme", "traits": {"n": 1}}, "group", NOW)
    assert (group["account_external_id"], group["properties"]) == ("acme", '{"n":1}')
    page = normalize_call({"anonymousId": "a", "name": "Pricing"}, "page", NOW)
    assert (page["event"], page["user_id"], page["timestamp"]) == ("Pricing", None, NOW)
    alias = normalize_call({"userId": "new", "previousId": "old"}, "alias", NOW)
    assert alias["properties"] == '{"previousId":"old"}'
    identify = normalize_call({"userId": "u", "traits": {"email": "e@x"}}, "identify", NOW)
    assert identify["properties"] == '{"email":"e@x"}'
    assert identify["message_id"].startswith("tenure-")


def test_original_timestamp_is_corrected_by_the_senders_clock():
    sent = datetime(2026, 11, 23, 12, 0, 10, tzinfo=UTC)  # the sender's clock is 10 s fast
    record = normalize_call(
        {
            "userId": "u",
            "event": "x",
            "originalTimestamp": "2026-11-23T12:00:05Z",
            "sentAt": sent.isoformat(),
        },
        "track",
        NOW,
    )
    assert record["timestamp"] == NOW - 5_000_000


def test_every_problem_of_a_call_is_named():
    found = problems(
        {"type": "track", "timestamp": "yesterday", "properties": [1], "userId": {"a": 1}}
    )
    assert "event: (empty): a track call needs an event name" in found
    assert any(p.startswith("timestamp: 'yesterday': not an ISO 8601") for p in found)
    assert "properties: '[1]': not a JSON object" in found
    assert any(p.startswith("userId: ") and "not an id" in p for p in found)
    assert problems({"type": "shout", "userId": "u"}) == [
        "type: 'shout': not one of identify, group, track, page, screen, alias"
    ]
    assert problems({"userId": "u"}, "group") == ["groupId: (empty): a group call needs groupId"]
    assert "userId: (empty): an alias call needs userId" in problems({"previousId": "p"}, "alias")
    assert problems("hello", "track") == ["event: 'hello': not a JSON object"]


def test_timestamps_outside_1970_to_2100_are_refused():
    assert parse_timestamp("1969-12-31T23:59:59Z") is None
    assert parse_timestamp("2100-01-01T00:00:00Z") is None
    assert parse_timestamp("2026-01-01") == micros(datetime(2026, 1, 1, tzinfo=UTC))


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2099, 12, 30)))
def test_micros_agree_with_python(value):
    aware = value.replace(tzinfo=UTC)
    assert parse_timestamp(aware.isoformat()) == micros(aware)
    assert micros(aware) == round((aware - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1e6)


def test_a_batch_with_one_bad_or_oversize_call_is_refused_whole():
    good = {"type": "track", "event": "x", "userId": "u", "messageId": "ok"}
    big = {**good, "messageId": "big", "properties": {"blob": "x" * 40_000}}
    bad = {"type": "track", "userId": "u", "messageId": "bad"}
    body = orjson.dumps({"batch": [good, big, bad]})
    with pytest.raises(TenureError) as caught:
        parse_calls(body, None, NOW)
    assert caught.value.status == 400
    assert caught.value.message == "refused, nothing stored (2 problems):"
    assert caught.value.problems[0].startswith("batch[1] (messageId 'big'): the event is 40,")
    assert caught.value.problems[0].endswith("an event may have at most 32 KB")
    assert caught.value.problems[1] == (
        "batch[2] (messageId 'bad'): event: (empty): a track call needs an event name"
    )


def test_batch_limits_and_shapes():
    with pytest.raises(TenureError, match="the body is 512,001 bytes; a batch may have at most"):
        parse_calls(b" " * 512_001, None, NOW)
    with pytest.raises(TenureError, match="not valid JSON"):
        parse_calls(b"{", None, NOW)
    with pytest.raises(TenureError, match='a batch is {"batch": \\[calls\\]}'):
        parse_calls(b"[]", None, NOW)
    shared = orjson.dumps(
        {"batch": [{"type": "track", "event": "x", "userId": "u"}], "context": {"groupId": "g"}}
    )
    assert parse_calls(shared, None, NOW)[0]["account_external_id"] == "g"


def test_rows_in_the_stored_columns():
    row = normalize_row(
        {
            "message_id": " m1 ",
            "type": "track",
            "event": "Signed In",
            "user_id": "u1",
            "timestamp": "2026-01-01T00:00:00Z",
            "properties": '{"a": 1}',
        },
        NOW,
    )
    assert (row["message_id"], row["properties"], row["account_external_id"]) == (
        "m1",
        '{"a":1}',
        None,
    )
    with pytest.raises(BadEvent) as caught:
        normalize_row({"type": "group", "timestamp": "x", "properties": "[]"}, NOW)
    described = [p.describe() for p in caught.value.problems]
    assert described == [
        "message_id: (empty): required (it makes imports idempotent)",
        "account_external_id: (empty): a group call needs the account (groupId)",
        "user_id: (empty): a call needs user_id or anonymous_id",
        "timestamp: 'x': not an ISO 8601 date-time between 1970 and 2100",
        "properties: '[]': not a JSON object",
    ]
