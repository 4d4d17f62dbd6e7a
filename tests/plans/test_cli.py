"""From imported files to `tenure plan`, `tenure signals`, `tenure tasks` and
`tenure playbook`: the planner's reference book end to end."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tenure.models import AuditEntry
from tests.plans.enterprise import (
    BY_ID,
    CSM,
    HAPPY,
    QUARTER_START,
    RED,
    SCORECARD,
    check_plan,
    check_priorities,
    import_rows,
)

QS = QUARTER_START.isoformat()
ACTIVITY_KEYS = [
    "reference",
    "client",
    "category",
    "signals",
    "description",
    "purpose",
    "results",
    "measurement",
    "duration_hours",
    "deadline",
    "start",
    "dependencies",
    "notes",
    "why",
]


@pytest.fixture
def book(initialised, files):
    cli = initialised
    for kind, rows in import_rows().items():
        cli("import", kind, str(files.csv(f"{kind}.csv", rows)))
    cli("scorecard", "load", str(files.text("enterprise.toml", SCORECARD)))
    return cli


def plan(cli, *extra: str, ok: bool = True):
    return cli("plan", "--csm", CSM, "--quarter-start", QS, *extra, ok=ok)


def test_count_25_as_json_is_what_the_issue_checks(book):
    result = plan(book, "--count", "25", "--format", "json")
    parts = result.json()
    assert list(parts) == ["activities", "onboarding", "left_out", "weeks"]
    assert len(parts["activities"]) == 25
    assert all(list(a) == ACTIVITY_KEYS for a in parts["activities"] + parts["onboarding"])
    check_plan(parts)
    check_priorities(parts)
    assert "plan: 25 activities for existing clients" in result.stderr
    assert "solver: optimal" in result.stderr
    for left in parts["left_out"]:
        assert left["why"] in ("capacity", "lower priority", "dependency", "timing")
    # The same inputs give the same plan.
    assert plan(book, "--count", "25", "--format", "json").json() == parts


def test_without_a_count_the_plan_fills_the_hours(book):
    parts = plan(book, "--format", "json").json()
    check_plan(parts)
    advocacy = {a["client"] for a in parts["activities"] if a["category"] == "advocacy"}
    assert advocacy
    assert advocacy <= HAPPY


def test_table_csv_and_a_file(book, tmp_path):
    table = plan(book, "--count", "25")
    assert "activities" in table.stdout
    assert "RNW-alpha" in table.stdout
    csv_text = plan(book, "--count", "25", "--format", "csv").stdout
    assert csv_text.startswith("# activities\nreference,client,category,signals,description")
    target = tmp_path / "out" / "plan.json"
    written = plan(book, "--count", "25", "--format", "json", "--output", str(target))
    assert written.stdout == ""
    assert f"wrote {target}" in written.stderr
    assert target.read_text().startswith("{")


def test_xlsx_has_the_plan_and_the_health_sheets(book, tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "plan.xlsx"
    plan(book, "--count", "25", "--format", "xlsx", "--output", str(target))
    workbook = load_workbook(target)
    assert workbook.sheetnames[0] == "Plan"
    assert "Health" in workbook.sheetnames
    rows = list(workbook["Plan"].iter_rows(values_only=True))
    assert list(rows[0]) == ACTIVITY_KEYS
    assert len(rows) == 26
    health = list(workbook["Health"].iter_rows(values_only=True))
    header = list(health[0])
    assert header[:3] == ["external_id", "name", "csm_email"]
    assert {"product", "satisfaction", "support", "sponsorship"} <= set(header)
    assert len(health) == 16
    delta = next(r for r in health if r[0] == "delta")
    assert delta[header.index("satisfaction")] is None
    failed = plan(book, "--format", "xlsx", ok=False)
    assert failed.code == 1
    assert "--format xlsx: give --output FILE.xlsx" in failed.stderr


def test_save_mark_done_and_replan_mid_quarter(book):
    plan(book, "--count", "25", "--save")
    tasks = book("tasks", "list", "--csm", CSM, "--format", "json").json()
    assert len(tasks) == 50  # 25 activities and 25 onboarding activities
    assert {t["status"] for t in tasks} == {"open"}
    first_week = [t for t in tasks if t["start"] == QS]
    assert first_week
    by_id = first_week[0]
    book("tasks", "done", str(by_id["id"]), "--on", QS)
    by_reference = first_week[1]
    book("tasks", "done", by_reference["reference"], "--csm", CSM, "--on", QS)
    done = {by_id["reference"], by_reference["reference"]}

    as_of = QUARTER_START + timedelta(days=14)
    replanned = plan(
        book, "--count", "25", "--as-of", as_of.isoformat(), "--save", "--format", "json"
    )
    parts = replanned.json()
    references = [a["reference"] for a in parts["activities"] + parts["onboarding"]]
    for reference in done:
        assert references.count(reference) == 1
    for a in parts["activities"] + parts["onboarding"]:
        if a["reference"] not in done:
            assert date.fromisoformat(a["start"]) >= as_of
    after = book("tasks", "list", "--csm", CSM, "--format", "json").json()
    kept = [t for t in after if t["status"] == "done"]
    assert {t["reference"] for t in kept} == done
    assert {t["id"] for t in kept} == {by_id["id"], by_reference["id"]}
    assert len(after) == len(parts["activities"]) + len(parts["onboarding"])
    reopened = book("tasks", "reopen", str(by_id["id"]))
    assert "open again" in reopened.stderr
    only_done = book("tasks", "list", "--status", "done", "--format", "json").json()
    assert [t["reference"] for t in only_done] == [by_reference["reference"]]


def test_save_leaves_the_audit_entry_the_api_and_the_web_leave(book, database):
    """`tenure plan --save` saves through the same flow as the API and the page: one
    `plan.save` entry, by nobody (the CLI has no user), with the options it planned with."""
    plan(book, "--count", "25", "--save")
    with database.sessions() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "plan.save")).all()
    assert (entry.target, entry.via, entry.actor) == (f"plan:{CSM}:{QS}", "cli", None)
    assert entry.before == {"open_tasks": []}
    tasks = book("tasks", "list", "--csm", CSM, "--format", "json").json()
    assert sorted(entry.after["tasks"]) == sorted(t["reference"] for t in tasks)
    assert entry.after["options"] == {
        "csm": CSM,
        "quarter_start": QS,
        "as_of": None,
        "count": 25,
        "hours_per_week": 40.0,
        "existing_share": 0.5,
        "new_clients": 5,
        "save": True,
    }
    # Planning without --save changes nothing, so it leaves no entry.
    plan(book, "--count", "25")
    with database.sessions() as s:
        assert len(s.scalars(select(AuditEntry)).all()) == 1


def test_signals_with_evidence_and_lookalikes(book):
    records = book("signals", "--csm", CSM, "--as-of", QS, "--format", "json").json()
    kinds = {(r["account_external_id"], r["kind"]) for r in records}
    for client in RED:
        assert (client, "red_health") in kinds
    assert ("delta", "data_gap") in kinds
    assert ("alpha", "renewal_in_quarter") in kinds
    assert ("mike", "advocate_candidate") in kinds
    assert ("echo", "expansion_candidate") in kinds
    assert all(r["evidence"] for r in records)
    alpha = next(
        r
        for r in records
        if r["account_external_id"] == "alpha" and r["kind"] == "renewal_in_quarter"
    )
    assert (
        alpha["evidence"] == f"renewal on {BY_ID['alpha'].renewal.isoformat()}, inside the quarter"
    )
    like = book("signals", "--as-of", QS, "--like", "mike", "--format", "json").json()
    lookalikes = [r for r in like if r["kind"] == "lookalike"]
    assert lookalikes
    assert all(r["subject"] == "mike" and r["account_external_id"] != "mike" for r in lookalikes)
    missing = book("signals", "--like", "nobody", ok=False)
    assert missing.code == 1
    assert "--like: no account with external_id 'nobody'" in missing.stderr


def test_clear_messages(book, files):
    book("users", "create", "--email", "idle@example.com", "--name", "Idle")
    idle = book("plan", "--csm", "idle@example.com", "--quarter-start", QS, ok=False)
    assert idle.code == 1
    assert "idle@example.com owns no accounts: nothing to plan" in idle.stderr
    nobody = book("plan", "--csm", "who@example.com", "--quarter-start", QS, ok=False)
    assert "no user with email 'who@example.com'" in nobody.stderr
    too_much = plan(book, "--existing-share", "0.95", ok=False)
    assert too_much.code == 1
    assert "more required work than hours" in too_much.stderr
    bad = files.text(
        "bad.toml",
        '[[playbooks]]\nkey = "p"\nwhen = ["red_health"]\nactivities = ["nope"]\n',
    )
    refused = plan(book, "--playbooks", str(bad), ok=False)
    assert refused.code == 1
    assert f"{bad}:4: playbooks[0].activities: 'nope': no such activity" in refused.stderr
    checked = book("playbook", "check", str(bad), ok=False)
    assert "no such activity" in checked.stderr
    date_error = book("plan", "--csm", CSM, "--quarter-start", "soon", ok=False)
    assert "--quarter-start: 'soon': not a date" in date_error.stderr


def test_a_plan_that_leaves_candidates_out_still_succeeds(book):
    small = plan(
        book,
        "--hours-per-week",
        "10",
        "--existing-share",
        "0.5",
        "--new-clients",
        "0",
        "--format",
        "json",
    )
    parts = small.json()
    assert small.code == 0
    assert parts["left_out"]
    assert {x["why"] for x in parts["left_out"]} & {"capacity", "dependency"}
    assert parts["onboarding"] == []


def test_playbooks_load_show_and_export(book, files):
    exported = book("playbook", "export").stdout
    assert "[[playbooks]]" in exported
    changed = exported.replace(
        'hours = 6\ndeadline = "60 days before renewal"',
        'hours = 5\ndeadline = "60 days before renewal"',
    )
    assert changed != exported
    path = files.text("mine.toml", changed)
    book("playbook", "check", str(path))
    loaded = book("playbook", "load", str(path))
    assert "loaded playbook library version 1" in loaded.stderr
    again = book("playbook", "load", str(path))
    assert "unchanged: still version 1" in again.stderr
    shown = book("playbook", "show", "--format", "json").json()
    review = next(r for r in shown if r["activity"] == "renewal_review")
    assert review["hours"] == 5
    parts = plan(book, "--count", "25", "--format", "json").json()
    rnw = next(a for a in parts["activities"] if a["reference"] == "RNW-alpha")
    assert rnw["duration_hours"] == 5
