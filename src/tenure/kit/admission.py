"""Admission control: at most as many requests inside the app as there are database connections.

Why: page and API routes are sync, so FastAPI runs each of their steps in a thread of a shared
pool (40 threads). A request takes a database connection in its first step (who is signed in)
and needs a thread again for the next one. Under a burst, the 40 threads all go to new requests
waiting for a connection, while the requests holding the 15 connections wait for a thread: a
deadlock, broken only by the connection pool's 30 s timeout, after which the queue behind it
keeps the server stuck for minutes (measured at 76 account pages/s, bench/web_pages.py).
Admitting no more requests than there are connections means every admitted request can get
one; the others wait here, on the event loop, holding nothing.

A request that waits longer than `wait_seconds` is answered 503 with Retry-After: a server
past its capacity says so quickly instead of letting the queue grow.
"""

from __future__ import annotations

import anyio
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

# Paths that never hold a connection across steps: static files, the liveness probe, and the
# event intake (async, its write key checked in one short step and then cached), which must
# not queue behind page views.
EXEMPT_PREFIXES = ("/static/", "/healthz", "/v1/")


class Admission:
    def __init__(self, app: ASGIApp, limit: int, wait_seconds: float = 10.0) -> None:
        self.app = app
        self.limit = limit
        self.wait_seconds = wait_seconds
        self._slots: anyio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        if self._slots is None:  # made on the server's event loop, at its first request
            self._slots = anyio.Semaphore(self.limit)
        slots = self._slots
        with anyio.move_on_after(self.wait_seconds) as waited:
            await slots.acquire()
        if waited.cancelled_caught:
            busy = JSONResponse(
                {
                    "detail": "Tenure is busy: every database connection is in use. "
                    "Try again in a moment.",
                    "problems": [],
                },
                status_code=503,
                headers={"Retry-After": "1"},
            )
            await busy(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            slots.release()
