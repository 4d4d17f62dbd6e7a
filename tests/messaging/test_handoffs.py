"""Hand-offs: an internal email on the real SMTP server and a signed webhook to a real HTTP
server on loopback, retried until it is taken, and on the account's timeline."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from tests.conftest import Book, Cli
from tests.messaging.smtp import SmtpServer


class Hook:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answers = [500]  # the first delivery fails, the next ones are taken
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append((dict(self.headers), body))
                code = hook.answers.pop(0) if hook.answers else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"busy" if code >= 400 else b"ok")

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_a_handoff_goes_by_email_and_signed_webhook_and_is_on_the_account(
    mail_env: dict[str, str], book: Book, smtp: SmtpServer, hook: Hook
) -> None:
    cli = Cli(
        {
            **mail_env,
            "TENURE_MAIL_SALES_TO": "sales@example.com",
            "TENURE_WEBHOOK_SALES_URL": hook.url,
            "TENURE_WEBHOOK_SECRET": "shared-secret",
            "TENURE_MAIL_RETRY_SECONDS": "0",
        }
    )
    cli("init")
    book.load(cli)
    created = cli(
        "handoff",
        "create",
        "--account",
        "acme",
        "--lane",
        "sales",
        "--summary",
        "Wants 50 more seats <b>now</b>",
        "--evidence",
        "active users +40% in 8 weeks",
        "--as",
        "ana.silva@example.com",
        "--format",
        "json",
    ).json()
    assert isinstance(created, list)
    assert created[0]["webhook_status"] == "pending"
    assert created[0]["message_status"] == "approved"  # internal: it goes out at once

    cli("mail", "send")  # the email, and the first webhook delivery (answered 500)
    [mail] = smtp.received
    assert mail.rcpt_tos == ["sales@example.com"]
    assert mail.email["Subject"] == (
        "A qualified expansion for Acme Corp: Wants 50 more seats <b>now</b>"
    )
    assert mail.email["List-Unsubscribe"] is None  # colleagues get no unsubscribe link
    html = mail.email.get_body(("html",))
    assert html is not None
    assert "&lt;b&gt;now&lt;/b&gt;" in html.get_content()
    assert "active users +40% in 8 weeks" in html.get_content()
    [after_first] = cli("handoff", "list", "--format", "json").json()  # type: ignore[misc]
    assert after_first["webhook_status"] == "pending"
    assert after_first["webhook_answer"] == "500 busy"

    cli("handoff", "deliver")  # retried, and taken
    assert len(hook.received) == 2
    for headers, body in hook.received:
        expected = hmac.new(b"shared-secret", body, hashlib.sha256).hexdigest()
        assert headers["X-Tenure-Signature"] == f"sha256={expected}"
        assert headers["X-Tenure-Delivery"] == str(created[0]["id"])
    payload = json.loads(hook.received[1][1])
    assert payload["lane"] == "sales"
    assert payload["account"]["external_id"] == "acme"
    assert payload["evidence"] == ["active users +40% in 8 weeks"]
    [done] = cli("handoff", "list", "--account", "acme", "--format", "json").json()  # type: ignore[misc]
    assert done["webhook_status"] == "delivered"
    assert done["webhook_attempts"] == 2
    assert done["webhook_answer"] == "200 ok"

    story = cli("accounts", "show", "acme", "--as-of", "2099-01-01", "--format", "json").json()
    assert isinstance(story, dict)
    texts = [e["text"] for e in story["timeline"]]
    assert any(t.startswith("Handed to sales (sales@example.com and webhook)") for t in texts)
    assert any(t.startswith("Sent 'A qualified expansion for Acme Corp") for t in texts)


def test_a_handoff_with_nowhere_to_go_is_refused(booked: Cli) -> None:
    refused = booked(
        "handoff",
        "create",
        "--account",
        "acme",
        "--lane",
        "product",
        "--summary",
        "dark mode",
        ok=False,
    )
    assert refused.code == 1
    assert "set TENURE_MAIL_PRODUCT_TO and/or TENURE_WEBHOOK_PRODUCT_URL" in refused.stderr
