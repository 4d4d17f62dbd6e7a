"""The plan page: a CSM's saved quarter week by week, marking tasks done and open again, the
XLSX download, and making the plan from the page; who may change what; bad input."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tenure.models import AuditEntry, Task
from tenure.plans.export import ACTIVITY_COLUMNS, TASK_COLUMNS
from tests.conftest import BOOK_ACCOUNTS
from tests.web.helpers import AS_OF, PEOPLE, csrf_of

CSM = PEOPLE["csm"]
QUARTER = date(2026, 10, 1)  # the calendar quarter holding AS_OF (2026-11-23)
EVIL = "<script>alert('plan')</script>"


def _week(day: str) -> int:
    return (date.fromisoformat(day) - QUARTER).days // 7 + 1


def _tasks(cli) -> list[dict]:
    found = cli("tasks", "list", "--csm", CSM, "--quarter-start", str(QUARTER), "--format", "json")
    return found.json()


@pytest.fixture
def planned(people, initialised, files) -> list[dict]:
    """Ana's quarter planned and saved through the CLI, re-planned from AS_OF, one new client;
    one of her accounts has HTML in its name."""
    assert people
    evil = {**BOOK_ACCOUNTS[2], "external_id": "evil", "name": EVIL, "customer_since": ""}
    initialised("import", "accounts", str(files.csv("evil.csv", [evil])))
    initialised(
        "plan",
        "--csm",
        CSM,
        "--quarter-start",
        str(QUARTER),
        "--as-of",
        str(AS_OF),
        "--new-clients",
        "1",
        "--save",
    )
    tasks = _tasks(initialised)
    assert tasks
    return tasks


def _weeks(html: str) -> dict[int, str]:
    sections = re.findall(
        r'<section class="card week[^"]*" id="week-(\d+)">(.*?)</section>', html, re.S
    )
    return {int(n): body for n, body in sections}


def _audit(database, action: str) -> list[AuditEntry]:
    with database.sessions() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _audit_count(database) -> int:
    with database.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def _task(database, task_id: int) -> Task:
    with database.sessions() as s:
        task = s.get(Task, task_id)
        assert task is not None
        s.expunge(task)
        return task


def test_the_saved_plan_week_by_week(browser, planned):
    page = browser("csm").get("/plan")
    assert page.status_code == 200
    html = page.text
    assert "<h1>My plan</h1>" in html
    assert "Quarter 2026-10-01 to 2026-12-30 (13 weeks)" in html
    weeks = _weeks(html)
    assert sorted(weeks) == list(range(1, 14))
    hours: dict[int, float] = defaultdict(float)
    for task in planned:
        hours[_week(task["start"])] += task["duration_hours"]
        if task["category"] == "onboarding":
            # Onboarding is listed apart, not among the week's client tasks.
            assert f'id="task-{task["id"]}"' not in "".join(weeks.values())
        else:
            assert f'id="task-{task["id"]}"' in weeks[_week(task["start"])]
    for number, body in weeks.items():
        shown = re.search(r"([\d.]+) / 40 h", body)
        assert shown, number
        assert float(shown.group(1)) == pytest.approx(hours[number]), number
        start = QUARTER + timedelta(days=7 * (number - 1))
        assert f"{start} – {start + timedelta(days=6)}" in body
    assert hours[_week(str(AS_OF))] > 0
    assert "this week" in weeks[_week(str(AS_OF))]
    onboarding = html[html.index('id="onboarding"') :]
    assert "OKO-NEW-1" in onboarding
    assert "new client" in onboarding
    total = sum(t["duration_hours"] for t in planned)
    assert f"{total:.1f} h" in html
    assert f"0 of {len(planned)} tasks done" in html
    # Each task opens to its purpose, results, measurement and notes; clients link to accounts.
    assert html.count('<details class="task-details">') == len(planned)
    assert "<dt>Measurement</dt>" in html
    assert '<a href="/accounts/acme">Acme Corp</a>' in html
    assert html.count(">Mark done</button>") == len(planned)


def test_managers_choose_a_csm_and_viewers_only_read(browser, planned):
    manager = browser("manager").get("/plan").text
    assert "Choose a CSM to see their plan." in manager
    assert f'<option value="{CSM}">' in manager
    chosen = browser("manager").get("/plan", params={"csm": CSM}).text
    assert chosen.count(">Mark done</button>") == len(planned)
    viewer = browser("viewer").get("/plan", params={"csm": CSM}).text
    assert len(_weeks(viewer)) == 13
    assert "Mark done" not in viewer
    assert "/plan/tasks/" not in viewer
    other = browser("other_csm").get("/plan", params={"csm": CSM}).text
    assert "Mark done" not in other
    assert "No plan saved for this quarter" in browser("other_csm").get("/plan").text


def test_the_xlsx_download(browser, planned):
    response = browser("viewer").get(
        "/plan.xlsx", params={"csm": CSM, "quarter_start": str(QUARTER)}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["content-disposition"] == (
        f'attachment; filename="plan-{CSM}-{QUARTER}.xlsx"'
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Plan", "Onboarding", "Weeks", "Health"]
    rows = list(book["Plan"].iter_rows(values_only=True))
    assert rows[0] == TASK_COLUMNS
    assert rows[0][: len(ACTIVITY_COLUMNS)] == ACTIVITY_COLUMNS  # the documented columns first
    clients = [t for t in planned if t["category"] != "onboarding"]
    assert [r[0] for r in rows[1:]] == [t["reference"] for t in clients]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["duration_hours"] == clients[0]["duration_hours"]
    assert first["status"] == "open"
    assert first["start"].date() == date.fromisoformat(clients[0]["start"])
    onboarding = list(book["Onboarding"].iter_rows(values_only=True))
    assert len(onboarding) - 1 == len(planned) - len(clients)
    weeks = list(book["Weeks"].iter_rows(values_only=True))
    assert len(weeks) == 14
    health = list(book["Health"].iter_rows(values_only=True))
    assert health[0][:3] == ("external_id", "name", "csm_email")
    assert {r[0] for r in health[1:]} >= {"acme", "initech"}


def test_nothing_saved_says_so_and_offers_the_plan(browser, people):
    assert people
    csm = browser("csm")
    page = csm.get("/plan", params={"quarter_start": "2027-01-01"})
    assert page.status_code == 200
    assert "No plan saved for this quarter" in page.text
    assert 'href="#make-plan"' in page.text
    assert 'action="/plan/preview"' in page.text
    assert "Download XLSX" not in page.text
    download = csm.get("/plan.xlsx", params={"csm": CSM, "quarter_start": "2027-01-01"})
    assert download.status_code == 404
    assert "No plan saved for this quarter" in download.text


def test_mark_done_and_reopen(browser, planned, database):
    csm = browser("csm")
    task = planned[0]
    done = csm.post(f"/plan/tasks/{task['id']}/done")
    assert done.status_code == 303
    assert done.headers["location"] == (
        f"/plan?csm={CSM.replace('@', '%40')}&quarter_start={QUARTER}#task-{task['id']}"
    )
    stored = _task(database, task["id"])
    assert (stored.status, stored.done_on) == ("done", AS_OF)
    [entry] = _audit(database, "task.done")
    assert (entry.target, entry.via, entry.actor) == (f"task:{task['id']}", "web", CSM)
    assert entry.before["status"] == "open"
    assert entry.after["status"] == "done"
    assert entry.after["done_on"] == str(AS_OF)
    page = csm.get("/plan").text
    assert f"done {AS_OF}" in page
    assert f"1 of {len(planned)} tasks done" in page

    # htmx gets only the task's section back (and the tiles, out of band), so the rest of the
    # page, and where it is scrolled to, stays as it was.
    reopened = csm.post(f"/plan/tasks/{task['id']}/reopen", headers={"HX-Request": "true"})
    assert reopened.status_code == 200
    section = "onboarding" if task["category"] == "onboarding" else f"week-{_week(task['start'])}"
    assert re.match(rf'<section class="card[^"]*" id="{section}">', reopened.text.lstrip())
    assert f'hx-target="#{section}"' in reopened.text
    assert 'id="plan-tiles" hx-swap-oob="true"' in reopened.text
    assert 'id="plan-body"' not in reopened.text
    assert "<html" not in reopened.text
    assert f"0 of {len(planned)} tasks done" in reopened.text
    assert _task(database, task["id"]).status == "open"
    [entry] = _audit(database, "task.reopen")
    assert (entry.before["status"], entry.after["status"]) == ("done", "open")


def test_a_manager_marks_a_csms_task_done(browser, planned, database):
    response = browser("manager").post(f"/plan/tasks/{planned[0]['id']}/done")
    assert response.status_code == 303
    assert _task(database, planned[0]["id"]).status == "done"
    assert _audit(database, "task.done")[0].actor == PEOPLE["manager"]


@pytest.mark.parametrize("who", ["viewer", "other_csm"])
def test_a_viewer_and_another_csm_change_nothing(browser, planned, database, who):
    person = browser(who)
    task = planned[0]
    before = _audit_count(database)
    for verb in ("done", "reopen"):
        refused = person.post(f"/plan/tasks/{task['id']}/{verb}")
        assert refused.status_code == 403
        assert "may not change" in refused.text
    save = person.post(
        "/plan/save", {"csm": CSM, "quarter_start": str(QUARTER), "new_clients": "0"}
    )
    assert save.status_code == 403
    assert _task(database, task["id"]).status == "open"
    assert _audit_count(database) == before
    preview = person.get("/plan/preview", params={"csm": CSM, "quarter_start": str(QUARTER)})
    assert preview.status_code == 200
    assert "Save as" not in preview.text
    assert 'action="/plan/save"' not in preview.text


def test_saving_from_the_page_keeps_done_tasks(browser, planned, database, initialised):
    csm = browser("csm")
    kept = next(t for t in planned if t["category"] != "onboarding")
    assert csm.post(f"/plan/tasks/{kept['id']}/done").status_code == 303
    params = {
        "quarter_start": str(QUARTER),
        "as_of": str(AS_OF),
        "hours_per_week": "40",
        "existing_share": "0.5",
        "new_clients": "0",
        "count": "",
    }
    preview = csm.get("/plan/preview", params=params)
    assert preview.status_code == 200, preview.text
    html = preview.text
    assert "Plan preview" in html
    assert "Saving replaces the" in html
    assert "keeps the 1 done" in html
    assert 'id="left-out"' in html
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    assert fields["csm"] == CSM
    assert fields["new_clients"] == "0"
    assert fields["previewed"]
    fields["csrf_token"] = csrf_of(html)
    saved = csm.client.post("/plan/save", data=fields, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"].startswith(f"/plan?csm={CSM.replace('@', '%40')}")
    assert "saved=" in saved.headers["location"]
    after = _tasks(initialised)
    kept_now = next(t for t in after if t["reference"] == kept["reference"])
    assert (kept_now["id"], kept_now["status"]) == (kept["id"], "done")
    assert not any(t["category"] == "onboarding" for t in after)  # no new client this time
    # The fixture's `tenure plan --save` left the first entry, the page's save the second:
    # one flow saves for both, so the entries have one shape.
    by_cli, entry = sorted(_audit(database, "plan.save"), key=lambda e: e.id)
    assert (by_cli.target, by_cli.via, by_cli.actor) == (f"plan:{CSM}:{QUARTER}", "cli", None)
    assert set(by_cli.after["options"]) == set(entry.after["options"])
    assert (entry.target, entry.via) == (f"plan:{CSM}:{QUARTER}", "web")
    assert entry.after["options"]["new_clients"] == 0
    assert kept["reference"] in entry.after["tasks"]
    page = csm.get(saved.headers["location"]).text
    assert "tasks already done were kept" in page


def test_a_plan_that_changed_since_the_preview_is_not_saved(browser, planned, database):
    csm = browser("csm")
    before = _audit_count(database)
    response = csm.post(
        "/plan/save",
        {
            "quarter_start": str(QUARTER),
            "as_of": str(AS_OF),
            "new_clients": "1",
            "previewed": "not-this-plan",
        },
    )
    assert response.status_code == 409
    assert "nothing was saved" in response.text
    assert _audit_count(database) == before
    assert {t["id"] for t in planned} <= {t.id for t in _all_tasks(database)}


def _all_tasks(database) -> list[Task]:
    with database.sessions() as s:
        return list(s.scalars(select(Task)))


def test_html_in_a_client_name_is_shown_as_text(browser, planned):
    assert any(t["client"] == "evil" for t in planned)
    html = browser("csm").get("/plan").text
    assert "&lt;script&gt;alert(&#39;plan&#39;)&lt;/script&gt;" in html
    assert EVIL not in html


@pytest.mark.parametrize(
    ("method", "url", "data", "status", "message"),
    [
        ("get", "/plan?quarter_start=2026-13-01", None, 400, "quarter_start: &#39;2026-13-01&#39;"),
        ("get", "/plan?csm=nobody@example.com", None, 404, "no user with email"),
        ("get", "/plan.xlsx?csm=nobody@example.com", None, 404, "no user with email"),
        ("get", "/plan.xlsx?quarter_start=soon", None, 400, "not a date, use YYYY-MM-DD"),
        ("post", "/plan/tasks/999999/done", {}, 404, "no task with id 999999"),
        ("post", "/plan/tasks/abc/reopen", {}, 422, "task_id"),
        ("post", "/plan/tasks/0/done", {}, 422, "task_id"),
        (
            "get",
            "/plan/preview?quarter_start=2026-10-01&hours_per_week=-3",
            None,
            400,
            "hours_per_week",
        ),
        (
            "get",
            "/plan/preview?quarter_start=2026-10-01&existing_share=half",
            None,
            400,
            "existing_share",
        ),
        ("get", "/plan/preview?as_of=2026-11-23", None, 400, "quarter_start: give"),
        ("get", "/plan/preview?quarter_start=2026-10-01&as_of=2027-05-01", None, 400, "as-of"),
        ("post", "/plan/save", {"quarter_start": "yesterday"}, 400, "quarter_start"),
    ],
)
def test_bad_input_gets_a_page_naming_it(browser, planned, method, url, data, status, message):
    assert planned  # a task exists, so "no task with id" is about the id asked for
    csm = browser("csm")
    response = csm.post(url, data) if method == "post" else csm.get(url)
    assert response.status_code == status, response.text[:500]
    assert message in response.text
    assert "Traceback" not in response.text


def test_the_page_starts_at_this_week_and_says_why(browser, planned):
    page = browser("csm").get("/plan").text
    this_week = _week(str(AS_OF))
    assert this_week > 1
    # The weeks before this one are folded away above it; this week comes first.
    folded, _, rest = page.partition("</details>")
    assert 'id="earlier-weeks"' in folded
    assert f"Weeks 1–{this_week - 1}, before this week" in folded
    shown = re.findall(r'<section class="card week[^"]*" id="week-(\d+)">', rest)
    assert shown[0] == str(this_week)
    assert [int(n) for n in shown] == list(range(this_week, 14))
    assert 'pill amber">this week' in rest
    # Each task says why it was chosen, in its account's figures.
    assert "Why: " in page
    assert any(t["why"] for t in planned)


def test_accounts_in_onboarding_are_onboarded_before_placeholders(
    browser, people, initialised, files
):
    assert people
    fresh = {
        **BOOK_ACCOUNTS[0],
        "external_id": "newco",
        "name": "NewCo",
        "customer_since": str(QUARTER + timedelta(days=20)),
        "lifecycle_stage": "onboarding",
    }
    initialised("import", "accounts", str(files.csv("newco.csv", [fresh])))
    initialised(
        "plan",
        "--csm",
        CSM,
        "--quarter-start",
        str(QUARTER),
        "--as-of",
        str(AS_OF),
        "--new-clients",
        "2",
        "--save",
    )
    onboarding = [t for t in _tasks(initialised) if t["category"] == "onboarding"]
    clients = {t["client"] for t in onboarding}
    assert clients == {"newco", "NEW-2"}
    newco = [t for t in onboarding if t["client"] == "newco"]
    assert all("onboarding" in t["why"] for t in newco)
    page = browser("csm").get("/plan").text
    section = page[page.index('id="onboarding"') :]
    assert '<a href="/accounts/newco">NewCo</a>' in section
