"""Screenshots of the web app's pages for docs/ and the README.

Run against a data dir made by `make demo` (or any), as a user with a password:

    .venv/bin/python tests/e2e/screenshots.py DATA_DIR EMAIL PASSWORD [--account ID]
        [--plan-csm EMAIL --quarter-start DATE]

Starts `tenure serve` on a free loopback port, logs in with Debian's Chromium, and writes
docs/book.png, docs/account.png, docs/kpis.png, docs/renewals.png and docs/backtest.png, and
docs/plan.png when a CSM with a saved plan for that quarter is named.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from playwright.sync_api import Page, sync_playwright

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _serve(data: str) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "tenure.cli", "serve", "--port", str(port)],
        env={**os.environ, "TENURE_DATA_DIR": data},
    )
    for _ in range(300):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    return server, url


def _shoot(page: Page, url: str, name: str, ready: str, full_page: bool = True) -> Path:
    page.goto(url)
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    path = DOCS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("email")
    parser.add_argument("password")
    parser.add_argument("--account", help="the account page to show (default: the book's first)")
    parser.add_argument("--plan-csm", help="a CSM whose saved plan to show")
    parser.add_argument("--quarter-start", help="the saved plan's quarter start")
    args = parser.parse_args()
    server, url = _serve(args.data)
    written: list[Path] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{url}/login")
            page.fill("input[name=email]", args.email)
            page.fill("input[name=password]", args.password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{url}/book")
            written.append(_shoot(page, f"{url}/book", "book", "table.book", full_page=False))
            account = args.account or page.locator("table.book td.client .sub").first.inner_text()
            written.append(_shoot(page, f"{url}/accounts/{account}", "account", "#health svg"))
            written.append(_shoot(page, f"{url}/kpis", "kpis", "#movements svg"))
            written.append(_shoot(page, f"{url}/renewals", "renewals", "svg"))
            written.append(_shoot(page, f"{url}/backtest", "backtest", "#health-backtest svg"))
            if args.plan_csm and args.quarter_start:
                query = urlencode({"csm": args.plan_csm, "quarter_start": args.quarter_start})
                plan = _shoot(page, f"{url}/plan?{query}", "plan", "#plan-body .week", False)
                written.append(plan)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print("wrote " + ", ".join(str(p) for p in written))


if __name__ == "__main__":
    main()
