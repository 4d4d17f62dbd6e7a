"""Templates: the shipped library checks and renders; unknown variables are refused when
loaded (FILE:LINE: name: why); HTML in data is escaped in every template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tenure.kit.errors import TenureError
from tenure.messaging import templates
from tenure.messaging.service import shipped, shipped_sources
from tests.conftest import Cli

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
NAMES = sorted(shipped_sources())


def _variables(template: templates.TemplateDef) -> dict[str, Any]:
    person = {"name": EVIL, "first_name": EVIL, "email": "a@example.com"}
    row = {"period": EVIL, "count": 3, "link": EVIL, "campaign": EVIL, "share_clicked": 0.5}
    values: dict[str, Any] = {
        "account": dict.fromkeys(templates.STANDARD["account"] or (), EVIL),
        "contact": {
            **person,
            "title": EVIL,
            "seniority": EVIL,
            "is_sponsor": True,
            "external_id": EVIL,
        },
        "csm": person,
        "sender": person,
        "health": {"score": 80, "band": EVIL, "trend": EVIL, "date": EVIL},
        "usage": {"events_28d": 12},
        "signal": {"name": EVIL, "reason": EVIL},
        "today": "2026-11-23",
        "unsubscribe_url": "http://t.example/unsubscribe/x",
    }
    extra = {
        "survey_url": EVIL,
        "subject": EVIL,
        "body": EVIL,
        "report": {
            "total": 3,
            "start": EVIL,
            "end": EVIL,
            "interval": "week",
            "periods": [row],
            "top_links": [row],
            "campaigns": [row],
            "paid_adds": EVIL,
            "url": EVIL,
            "chart_cid": EVIL,
        },
        "incident": dict.fromkeys(("start", "end", "day", "what", "summary", "detail"), EVIL)
        | {"count": 5},
        "pilot": {"what": EVIL, "result": EVIL, "why": EVIL},
        "brief": {"markdown": EVIL, "clients": 2, "arr_text": EVIL},
        "handoff": {"lane_title": EVIL, "summary": EVIL, "evidence": [EVIL]},
    }
    return values | {name: extra[name] for name in template.variables}


def test_the_library_has_the_templates_the_team_needs() -> None:
    assert set(NAMES) >= {
        "renewal_reminder",
        "qbr_invitation",
        "case_study_request",
        "survey_invitation",
        "value_report",
        "incident_notice",
        "recovery_follow_up",
        "generic_note",
    }


@pytest.mark.parametrize("name", NAMES)
def test_html_in_data_is_escaped_in_every_template(name: str) -> None:
    found = shipped(name)
    assert found is not None
    rendered = templates.render(found.template, _variables(found.template))
    assert "<script" not in rendered.html
    assert "<img src=x" not in rendered.html
    assert "&lt;script&gt;" in rendered.html
    # Plain text and the subject are text: shown as written, never interpreted.
    assert "\n" not in rendered.subject


def test_an_unknown_variable_is_refused_when_loaded_with_its_file_and_line(
    initialised: Cli, files: Any
) -> None:
    path: Path = files.text(
        "nudge.toml",
        'name = "nudge"\naudience = "client"\nsubject = "Hi {{ contact.first_name }}"\n'
        'text = """\nHello,\nyour plan: {{ plan_name }}\n"""\n'
        'html = "<p>{{ account.nmae }}</p>"\n',
    )
    result = initialised("template", "load", str(path), ok=False)
    assert result.code == 1
    assert f"{path}:6: plan_name: unknown variable" in result.stderr
    assert f"{path}:8: account.nmae: unknown field" in result.stderr
    listed = initialised("template", "list", "--format", "json").json()
    assert "nudge" not in {t["name"] for t in listed}  # type: ignore[union-attr]


def test_a_loaded_template_becomes_a_new_version(initialised: Cli, files: Any) -> None:
    source = shipped_sources()["qbr_invitation"][1]
    first = files.text("qbr.toml", source.replace("quarterly business review", "QBR"))
    initialised("template", "load", str(first))
    initialised("template", "load", str(first))  # same text: no new version
    second = files.text("qbr2.toml", source.replace("quarterly business review", "review"))
    initialised("template", "load", str(second))
    listed = initialised("template", "list", "--format", "json").json()
    [row] = [t for t in listed if t["name"] == "qbr_invitation"]  # type: ignore[union-attr]
    assert row["version"] == 2
    shown = initialised("template", "show", "qbr_invitation", "--version", "1")
    assert "our QBR" in shown.stdout


def test_the_sandbox_refuses_python_internals() -> None:
    evil = templates.TemplateDef(
        name="x",
        audience="internal",
        description="",
        subject="s",
        text="{{ account.__class__.__mro__ }}",
        html="",
        variables=(),
    )
    with pytest.raises(TenureError, match="cannot render"):
        templates.render(evil, {"account": {}})
