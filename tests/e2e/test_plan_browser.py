"""The plan page in a real browser: a CSM marks a task of their saved plan done and sees it
done (htmx swaps its week in place, the page stays where it was, and it stays done after a
reload); a viewer reads the same plan without any button."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from typer.testing import CliRunner

from tenure.kit.dates import quarter_bounds, utc_today
from tenure.plans.signals import quarter_end
from tests.e2e.conftest import USERS, Server

CSM = USERS["csm"][0]


@pytest.fixture(scope="module")
def saved_plan(server: Server) -> None:
    """The CSM's plan for the quarter the page opens on, saved through the CLI (as a CSM
    would with `tenure plan --save`), re-planned from today."""
    from tenure.cli import app

    start = quarter_bounds(utc_today())[0]
    as_of = min(utc_today(), quarter_end(start))  # a calendar quarter can have a 92nd day
    args = ["plan", "--csm", CSM, "--quarter-start", str(start), "--as-of", str(as_of)]
    result = CliRunner().invoke(
        app,
        [*args, "--new-clients", "0", "--save"],
        env={"TENURE_DATA_DIR": str(server.data_dir)},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, f"{result.stdout}{result.stderr}"


@pytest.mark.usefixtures("saved_plan")
def test_a_csm_marks_a_task_done_and_a_viewer_sees_no_button(login, server):
    page = login("csm")
    page.get_by_role("link", name="Plan", exact=True).click()
    expect(page.locator("h1")).to_have_text("My plan")
    # The page starts at this week: earlier weeks are folded away above it.
    first = page.locator("#plan-body > section.week tr.task").last
    row_id = first.get_attribute("id")
    assert row_id is not None
    assert row_id.startswith("task-")
    row = page.locator(f"#{row_id}")
    button = row.get_by_role("button", name="Mark done")
    button.hover()  # scrolled to where the click happens, before measuring
    before = page.evaluate("window.scrollY")
    assert before > 0
    button.click()
    expect(row.locator(".pill.green")).to_contain_text("done")
    # Marking it done keeps the page where it was: no jump back to the top, the task still in
    # view (the browser may shift by the row's own change of height to hold what is below).
    assert page.evaluate("window.scrollY") >= before - 2
    expect(row).to_be_in_viewport()
    expect(row.get_by_role("button", name="Reopen")).to_be_visible()
    expect(page.locator(".tiles")).to_contain_text("1 of")
    page.reload()
    expect(row.locator(".pill.green")).to_contain_text("done")
    assert page.dialogs == []  # client names with HTML in them stay text

    viewer = login("viewer")
    viewer.goto(f"{server.url}/plan?csm={CSM}")
    expect(viewer.locator("tr.task").first).to_be_visible()
    expect(viewer.locator(f"#{row_id} .pill.green")).to_contain_text("done")
    expect(viewer.get_by_role("button", name="Mark done")).to_have_count(0)
    expect(viewer.get_by_role("button", name="Reopen")).to_have_count(0)
