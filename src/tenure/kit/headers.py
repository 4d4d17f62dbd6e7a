"""The security headers every response carries: pages, API, event intake, docs, errors.

A pure ASGI middleware rather than a route class, so responses that never reach a route (a 404,
a 422 from validation, a 503 from admission control) carry them too.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Everything a page needs is served by Tenure itself; nothing runs inline.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
# Static assets never change within a version and hold no one's data: they may be cached.
CACHEABLE_PREFIXES = ("/static/",)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, policies: dict[str, str] | None = None) -> None:
        self.app = app
        # A path that needs another Content-Security-Policy (the interactive API docs).
        self.policies = policies or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        cacheable = path.startswith(CACHEABLE_PREFIXES)
        policy = self.policies.get(path)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name == "Cache-Control" and cacheable:
                        continue
                    if name == "Content-Security-Policy" and policy:
                        value = policy
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
