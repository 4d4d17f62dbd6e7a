"""Screenshots of the book and of an account page for docs/ and the README.

Run against a data dir made by `make demo` (or any), as a user with a password:

    .venv/bin/python tests/e2e/screenshots.py DATA_DIR EMAIL PASSWORD [ACCOUNT_ID]

Starts `tenure serve` on a free loopback port, logs in with Debian's Chromium, and writes
docs/book.png and docs/account.png.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parents[2] / "docs"


def main() -> None:
    data, email, password = sys.argv[1:4]
    account = sys.argv[4] if len(sys.argv) > 4 else None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "tenure.cli", "serve", "--port", str(port)],
        env={**os.environ, "TENURE_DATA_DIR": data},
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{url}/login")
            page.fill("input[name=email]", email)
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{url}/book")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(DOCS / "book.png"))
            if account is None:
                account = page.locator("table.book td.client .sub").first.inner_text()
            page.goto(f"{url}/accounts/{account}")
            page.wait_for_selector("#health svg.chart")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(DOCS / "account.png"), full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"wrote {DOCS / 'book.png'} and {DOCS / 'account.png'}")


if __name__ == "__main__":
    main()
