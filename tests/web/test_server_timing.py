"""Every response says how long the server took, as a W3C Server-Timing header browsers' dev
tools show: pages, fragments, the API, errors, static files and even an unexpected error."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

# `app;dur=12.3`: one metric named app, its duration in milliseconds.
SERVER_TIMING = re.compile(r"^app;dur=(\d+(?:\.\d+)?)$")


def _duration(response) -> float:
    value = response.headers.get("server-timing")
    assert value is not None, (response.request.url, "no Server-Timing header")
    parsed = SERVER_TIMING.match(value)
    assert parsed, (response.request.url, value)
    return float(parsed.group(1))


def test_pages_fragments_api_and_errors_say_their_server_time(browser):
    csm = browser("csm")
    answers = [
        csm.get("/book"),
        csm.get("/accounts/acme"),
        csm.get("/accounts/acme/health"),  # an htmx fragment
        csm.get("/no-such-page", headers={"accept": "text/html"}),  # 404 page
        csm.get("/usage?page=0"),  # 422 from validation
        csm.get("/api/v1/accounts"),  # 401: the API wants a token
        csm.get("/static/app.css"),
        csm.get("/healthz"),
        csm.client.post("/v1/track", content=b"{}"),  # 401 at the intake
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 404, 422, 401, 200, 200, 401]
    for answer in answers:
        assert _duration(answer) >= 0


def test_an_unexpected_error_says_its_server_time_too(app):
    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/broken-for-the-test", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/broken-for-the-test")
    assert answer.status_code == 500
    assert answer.json()["detail"].startswith("internal error")
    assert _duration(answer) >= 0
