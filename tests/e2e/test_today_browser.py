"""The Today page in a real browser: a CSM logs in and lands on their day, adds a task by
hand for an account, marks it done in place (htmx swaps the row), and it stays done after a
reload; a viewer sees the team's day without any button."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import EVIL, PASSWORD, USERS, Server


def test_a_csm_starts_the_day_adds_a_task_and_marks_it_done(server: Server, chromium, login):
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"{server.url}/login")
        page.fill("input[name=email]", USERS["csm"][0])
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/today")
        expect(page.locator("h1")).to_contain_text("Today")
        expect(page.locator("#renewals h2")).to_contain_text("Renewals in the next 90 days")

        form = page.locator("form.today-add")
        form.locator("input[name=title]").fill(f"Call the sponsor {EVIL}")
        form.locator("select[name=account]").select_option(index=0)
        form.get_by_role("button", name="Add task").click()
        row = page.locator("li.today-task", has_text="Call the sponsor")
        expect(row).to_be_visible()
        expect(row).to_contain_text("added by hand")
        row.get_by_role("button", name="Mark done").click()
        expect(row.locator(".pill.green")).to_contain_text("done")
        expect(row.get_by_role("button", name="Reopen")).to_be_visible()
        page.reload()
        again = page.locator("li.today-task", has_text="Call the sponsor")
        expect(again.locator(".pill.green")).to_contain_text("done")
        assert dialogs == []  # the title with HTML in it stays text
    finally:
        context.close()

    viewer = login("viewer")
    viewer.goto(f"{server.url}/today")
    expect(viewer.locator("h1")).to_contain_text("the team")
    expect(viewer.locator("li.today-task", has_text="Call the sponsor")).to_be_visible()
    expect(viewer.get_by_role("button", name="Mark done")).to_have_count(0)
    expect(viewer.get_by_role("button", name="Reopen")).to_have_count(0)
