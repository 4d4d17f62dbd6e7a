"""Out-of-range ids, dates and windows get a 4xx naming the parameter, never a 500; what is
stored is bounded the same way, so one bad value never breaks a computation for everyone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tenure.app import create_app
from tenure.kit.headers import SECURITY_HEADERS
from tests.accounts.test_api import token

TOO_BIG = "9223372036854775808"  # 2**63: past a signed 64-bit integer


@pytest.fixture
def client(initialised, book, settings) -> Iterator[TestClient]:
    book.load(initialised)
    initialised(
        "users", "create", "--email", "boss@example.com", "--name", "Boss", "--role", "manager"
    )
    app = create_app(settings)
    # raise_server_exceptions off: a 500 must show up as a 500 here, as a client would see it.
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    app.state.database.dispose()


@pytest.mark.parametrize(
    ("method", "url", "parameter"),
    [
        ("get", f"/api/v1/accounts?offset={TOO_BIG}", "offset"),
        ("get", f"/api/v1/scorecards/enterprise?version={TOO_BIG}", "version"),
        ("post", f"/api/v1/tasks/{TOO_BIG}/done", "task_id"),
        ("post", f"/api/v1/tasks/{TOO_BIG}/reopen", "task_id"),
        ("get", "/api/v1/retention/renewals?as_of=0002-01-01", "as_of"),
        ("get", "/api/v1/churn/backtest?step_days=9999999999", "step_days"),
        ("get", "/api/v1/churn/backtest?as_of=0001-01-02", "as_of"),
        ("get", "/api/v1/churn/backtest?from=9999-12-31", "from"),
        ("get", "/api/v1/churn/backtest?horizon_days=100000", "horizon_days"),
        ("get", "/api/v1/health?as_of=9999-12-31", "as_of"),
        ("get", "/api/v1/kpis?from=0001-01-01", "from"),
        ("get", "/api/v1/usage/stats?event=x&to=9999-12-31", "to"),
        ("get", "/api/v1/plan?csm=a@b.c&quarter_start=0001-01-01", "quarter_start"),
        ("get", f"/api/v1/plan?csm=a@b.c&quarter_start=2027-01-01&count={TOO_BIG}", "count"),
        ("get", f"/api/v1/audit?offset={TOO_BIG}", "offset"),
        ("get", "/api/v1/audit?since=0001-01-01T00:00:00", "since"),
    ],
)
def test_out_of_range_parameters_are_refused_by_name(client, initialised, method, url, parameter):
    headers = token(initialised, "boss@example.com")
    response = client.request(method.upper(), url, headers=headers)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"] == "invalid request"
    assert any(parameter in p for p in body["problems"]), body


@pytest.mark.parametrize(
    "body",
    [
        {"start": "0015-06-01"},
        {"start": "2026-01-01", "end": "9999-12-31"},
    ],
)
def test_out_of_range_body_fields_are_refused(client, initialised, body):
    headers = token(initialised, "boss@example.com")
    response = client.post("/api/v1/health/compute", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert any("1970-01-01" in p or "2199-12-31" in p for p in response.json()["problems"])


def test_a_timeline_entry_dated_year_15_is_refused_and_the_backtest_still_answers(
    client, initialised
):
    headers = token(initialised, "boss@example.com")
    entry = {"kind": "note", "text": "dated long ago", "at": "0015-03-01T00:00:00Z"}
    refused = client.post("/api/v1/accounts/acme/timeline", json=entry, headers=headers)
    assert refused.status_code == 422, refused.text
    assert any(p.startswith("body.at") for p in refused.json()["problems"])
    entry["at"] = "2026-03-01T00:00:00Z"
    assert client.post("/api/v1/accounts/acme/timeline", json=entry, headers=headers).is_success
    backtest = client.get("/api/v1/churn/backtest", headers=headers)
    # A small book may be too small to backtest: that is a 400 saying so, never a 500.
    assert backtest.status_code in (200, 400), backtest.text


def test_every_answer_has_one_error_shape_and_the_security_headers(client, initialised):
    headers = token(initialised, "boss@example.com")
    answers = [
        client.get("/api/v1/accounts"),  # 401
        client.get("/api/v1/accounts/nope", headers=headers),  # 404
        client.get("/api/v1/accounts?limit=0", headers=headers),  # 422
        client.get("/api/v1/no-such-thing"),  # 404 from routing
        client.post("/v1/track", content=b"{}"),  # 401 at the intake
    ]
    for answer in answers:
        assert set(answer.json()) == {"detail", "problems"}, answer.text
    for answer in [*answers, client.get("/docs"), client.get("/openapi.json"), client.get("/")]:
        for name in SECURITY_HEADERS:
            assert name in answer.headers, (answer.url, name)
    docs_policy = client.get("/docs").headers["content-security-policy"]
    assert "'unsafe-inline'" not in docs_policy
    assert "'sha256-" in docs_policy


def test_every_operation_declares_its_response_model_and_error_responses(client):
    spec = client.get("/openapi.json").json()
    operations = [(path, op) for path, ops in spec["paths"].items() for op in ops.values()]
    assert len(operations) >= 37
    for path, op in operations:
        success = [code for code in op["responses"] if code.startswith("2")]
        assert success, path
        for code in success:
            assert op["responses"][code]["content"]["application/json"]["schema"], (path, code)
        for code in ("400", "401", "403", "404", "422"):
            schema = op["responses"][code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorRead"}, (path, code)
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_the_command_line_bounds_dates_the_same_way(initialised):
    refused = initialised("accounts", "list", "--as-of", "0015-01-01", ok=False)
    assert refused.code != 0
    assert "--as-of: '0015-01-01': must be between 1970-01-01 and 2199-12-31" in refused.stderr
