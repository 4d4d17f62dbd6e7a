"""The event intake, compatible with Segment's HTTP tracking API.

    POST /v1/identify /v1/group /v1/track /v1/page /v1/screen /v1/alias   one call
    POST /v1/batch                                                        {"batch": [calls]}

Authenticated by a write key sent as the HTTP Basic user name (the password is empty), as
Segment's libraries do, or as `writeKey` in the body. A batch is checked whole: any bad or
oversize call refuses the batch with a 400 naming each problem, and nothing of it is kept.
A 200 means the batch is in the fsync'd intake log; a background thread moves the log into
the events table every few seconds.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from tenure.config import Settings
from tenure.db import Database
from tenure.kit.dates import utc_now
from tenure.kit.errors import TenureError
from tenure.usage.events import (
    MAX_BATCH_BYTES,
    MAX_EVENT_BYTES,
    BadEvent,
    micros,
    normalize_call,
)
from tenure.usage.keys import hash_key, is_valid_key_hash
from tenure.usage.log import LogWriter, frame
from tenure.usage.store import EventStore
from tenure.warehouse import Warehouse

logger = logging.getLogger("tenure.usage.intake")
KEY_CACHE_SECONDS = 30.0
SUCCESS = b'{"success":true}'


class KeyCache:
    """Write keys checked against the database at most every 30 s each: the intake must not
    wait on the database for every batch. A revoked key stops working within that time."""

    def __init__(self, database: Database):
        self.database = database
        self._known: dict[str, tuple[bool, float]] = {}

    def cached(self, plain: str) -> bool | None:
        """The answer without asking the database, when it is fresh; else None."""
        found = self._known.get(hash_key(plain))
        return found[0] if found is not None and found[1] > time.monotonic() else None

    def is_valid(self, plain: str) -> bool:
        digest = hash_key(plain)
        cached = self._known.get(digest)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        with self.database.sessions() as session:
            valid = is_valid_key_hash(session, digest)
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[digest] = (valid, now + KEY_CACHE_SECONDS)
        return valid


class Intake:
    """One server process's intake: its log writer, key cache and background loader."""

    def __init__(self, settings: Settings, database: Database, warehouse: Warehouse):
        self.settings = settings
        self.store = EventStore(warehouse.root)
        self.writer = LogWriter(self.store.log_folder)
        self.keys = KeyCache(database)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tenure-loader", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        self.writer.close()

    async def accept(self, body: bytes, call_type: str | None, received_at: int) -> Checked:
        """Check a body and, when it passes, append it to the log durably (the fsync runs in
        a thread, so concurrent batches share it while the event loop goes on)."""
        data, outcome = check_body(body, call_type, received_at)
        if data:
            await run_in_threadpool(self.writer.append, data)
        return data, outcome

    def _run(self) -> None:
        interval = self.settings.intake_load_seconds
        while not self._stop.wait(interval):
            self.load_once()

    def load_once(self) -> None:
        try:
            self.writer.rotate()
            self.store.load_log(wait=False)
        except Exception:  # keep loading later; the log keeps every event meanwhile
            logger.exception("loading the intake log failed; will retry")


def intake_of(app: FastAPI) -> Intake:
    intake: Intake | None = getattr(app.state, "intake", None)
    if intake is None:
        intake = Intake(app.state.settings, app.state.database, app.state.warehouse)
        app.state.intake = intake
    return intake


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    intake = intake_of(app)
    intake.start()
    try:
        yield
    finally:
        await run_in_threadpool(intake.stop)


router = APIRouter(tags=["event intake (Segment-compatible)"], lifespan=lifespan)


def _basic_key(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None


def _body_key(body: bytes) -> str | None:
    """Segment's browser library sends the write key in the body instead of a header."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    key = data.get("writeKey") if isinstance(data, dict) else None
    return key if isinstance(key, str) and key else None


def _label(call: Any, index: int | None, call_type: str | None) -> str:
    where = f"batch[{index}]" if index is not None else (call_type or "call")
    if isinstance(call, dict) and isinstance(call.get("messageId"), str):
        return f"{where} (messageId {call['messageId'][:60]!r})"
    return where


# (frame to append, calls in it) or (None, (message, status, problems)).
Checked = tuple[bytes | None, int | tuple[str, int, list[str]]]


def check_body(body: bytes, call_type: str | None, received_at: int) -> Checked:
    """A request body as the log frame to append, or the refusal."""
    try:
        records = parse_calls(body, call_type, received_at)
    except TenureError as error:
        return None, (error.message, error.status, error.problems)
    return (frame(records) if records else b""), len(records)


def parse_calls(body: bytes, call_type: str | None, received_at: int) -> list[dict[str, Any]]:
    """The log records of a request body; raises TenureError (400) naming every problem."""
    limit = MAX_BATCH_BYTES if call_type is None else MAX_EVENT_BYTES
    what = "a batch" if call_type is None else "an event"
    if len(body) > limit:
        raise TenureError(
            f"refused, nothing stored: the body is {len(body):,} bytes; {what} may have at "
            f"most {limit // 1024} KB"
        )
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise TenureError(
            f"refused, nothing stored: the body is not valid JSON ({error})"
        ) from None
    defaults: dict[str, Any] | None = None
    if call_type is None:
        if not isinstance(data, dict) or not isinstance(data.get("batch"), list):
            raise TenureError('refused, nothing stored: a batch is {"batch": [calls]}')
        calls: list[Any] = data["batch"]
        if isinstance(data.get("context"), dict):
            defaults = {"context": data["context"]}
    else:
        calls = [data]
    check_sizes = call_type is None and len(body) > MAX_EVENT_BYTES
    records: list[dict[str, Any]] = []
    problems: list[str] = []
    for index, call in enumerate(calls):
        try:
            records.append(normalize_call(call, call_type, received_at, defaults))
        except BadEvent as bad:
            label = _label(call, index if call_type is None else None, call_type)
            problems.extend(f"{label}: {p.describe()}" for p in bad.problems)
            continue
        if check_sizes:
            size = len(orjson.dumps(call))
            if size > MAX_EVENT_BYTES:
                problems.append(
                    f"{_label(call, index, None)}: the event is {size:,} bytes; an event may "
                    f"have at most {MAX_EVENT_BYTES // 1024} KB"
                )
    if problems:
        count = f"{len(problems)} problem" + ("" if len(problems) == 1 else "s")
        raise TenureError(f"refused, nothing stored ({count}):", problems=problems)
    return records


async def _accept(request: Request, call_type: str | None) -> Response:
    intake = intake_of(request.app)
    if intake.settings.events_url:
        raise TenureError(
            "this Tenure reads events from TENURE_EVENTS_URL; send them to that warehouse",
            status=409,
        )
    body = await request.body()
    key = _basic_key(request) or _body_key(body)
    if key is None:
        raise TenureError(
            "missing write key: send it as the HTTP Basic user name "
            "(create one with `tenure keys create`)",
            status=401,
        )
    valid = intake.keys.cached(key)
    if valid is None:
        valid = await run_in_threadpool(intake.keys.is_valid, key)
    if not valid:
        raise TenureError("invalid or revoked write key", status=401)
    data, outcome = await intake.accept(body, call_type, micros(utc_now()))
    if data is None:
        assert isinstance(outcome, tuple)
        message, status, problems = outcome
        raise TenureError(message, status=status, problems=problems)
    return Response(SUCCESS, media_type="application/json")


class Accepted(BaseModel):
    success: bool


# The body is read raw (the hot path parses it itself), so the OpenAPI is told its shape here.
_INTAKE_DOC: dict[str, Any] = {
    "response_model": None,
    "responses": {200: {"model": Accepted, "description": "Stored durably before this answer"}},
    "openapi_extra": {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        "security": [{"writeKey": []}],
    },
}


@router.post(
    "/v1/batch", summary="Several calls of any type in one request (up to 500 KB)", **_INTAKE_DOC
)
async def batch(request: Request) -> Response:
    return await _accept(request, None)


def _single(call_type: str) -> None:
    async def endpoint(request: Request) -> Response:
        return await _accept(request, call_type)

    endpoint.__name__ = call_type
    router.post(f"/v1/{call_type}", summary=f"One {call_type} call (up to 32 KB)", **_INTAKE_DOC)(
        endpoint
    )


for _call_type in ("identify", "group", "track", "page", "screen", "alias"):
    _single(_call_type)
