"""`Server-Timing: app;dur=<ms>` on every response: how long the server took to answer, for
browser dev tools (W3C Server-Timing) and for bench/demo_pages.py.

A pure ASGI middleware, like SecurityHeaders, so answers that never reach a route (a 404, a 422,
a 503 from admission control) carry it too. It reads one clock when the request comes in and
one when the response's headers leave: nothing per body chunk. The duration is up to the
headers, which for a rendered page is the whole work (the body is rendered before they go).
"""

from __future__ import annotations

import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "Server-Timing"
# Where the start time is kept in the request's scope: the handler of unexpected errors, whose
# answer leaves past every middleware, reads it there to time its answer too.
STARTED = "tenure.started"


def server_timing(started: float) -> str:
    """The header's value for a request that started at `started` (time.perf_counter())."""
    return f"app;dur={(time.perf_counter() - started) * 1000:.1f}"


class ServerTiming:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = scope[STARTED] = time.perf_counter()

        async def send_timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if HEADER not in headers:
                    headers[HEADER] = server_timing(started)
            await send(message)

        await self.app(scope, receive, send_timed)
