"""Every page of the demo, as its server times it: each page's first load, then the median and
max of later loads, against 300 ms; and the backtest page's first load just after
`tenure churn train`, against 3 s.

Run alone: `.venv/bin/python bench/demo_pages.py [--data DIR] [--runs N] [--limit MS]`.

1. The data dir: --data, reused if it holds a demo company (`tenure demo up` leaves one), else
   made there (default: a folder in the temp dir) by `tenure demo up`'s preparation (generate
   the enterprise company, load it, compute 90 days of metrics and health, plan each CSM's
   quarter, the demo logins). Then `tenure churn train` on it (a subprocess, timed).
2. Starts a real `tenure serve` on a free loopback port, logs in as the demo admin and at once
   loads the backtest page and its fragments (htmx loads them just after the page, the
   calibration after the churn model's): the first load after training, server time (the
   `Server-Timing` header) and wall time.
3. Logs in as a demo CSM too and finds the pages: every GET route of the page routers
   (`tenure.web.routers`), filled from what the pages themselves link to: the sidebar, each
   page's htmx fragments (`hx-get`), the account page and its fragments, the book's sort
   links and filters, the plan page and its preview form, the pages per CSM a manager opens
   (`?csm=`), the downloads, and the emailed links (signed here with the data dir's key). A
   route it found no address for (no data for it in the demo) is named at the end.
4. Each page: one first load, then --runs loads; prints server time of the first, the median
   and max of the others (ms), and flags every page whose later loads pass --limit.
Only GETs: nothing is changed but the sessions of the two logins.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
from serving import serve

CREDENTIALS = "demo-credentials.json"
TIMING = re.compile(r"(?:^|,)\s*app;dur=([0-9.]+)")


# -- the data and the server ------------------------------------------------------------------


def prepare(data: Path) -> None:
    """`tenure demo up` without serving: a subprocess, as the CLI runs it."""
    if (data / CREDENTIALS).is_file():
        return
    data.mkdir(parents=True, exist_ok=True)
    code = (
        "from tenure.kit.cli import CliContext\n"
        "from tenure.demo.cli import prepare\n"
        "cli = CliContext()\n"
        "prepare(cli, accounts=None, months=24, seed=1)\n"
        "cli.close()\n"
    )
    env = {**os.environ, "TENURE_DATA_DIR": str(data)}
    print(f"preparing the demo in {data} (several minutes) ...", flush=True)
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def train(data: Path) -> float:
    env = {**os.environ, "TENURE_DATA_DIR": str(data)}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tenure.cli", "churn", "train"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


# -- what a page links to ---------------------------------------------------------------------


@dataclass
class Links(HTMLParser):
    """A page's links (href), htmx loads (hx-get) and GET forms (action and field values)."""

    hrefs: list[str] = field(default_factory=list)
    fragments: list[str] = field(default_factory=list)
    forms: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "hx-get" in values and tag not in ("form", "a"):
            self.fragments.append(values["hx-get"])
        if tag == "a" and values.get("href", "").startswith("/"):
            self.hrefs.append(values["href"])
        if tag == "form" and values.get("method", "get").lower() == "get" and "action" in values:
            self.forms.append((values["action"], {}))
        if tag == "input" and self.forms and values.get("name"):
            if values.get("type") not in ("checkbox", "radio") or "checked" in values:
                self.forms[-1][1][values["name"]] = values.get("value", "")


def links_of(html: str) -> Links:
    found = Links()
    found.feed(html)
    return found


# -- a signed-in browser ----------------------------------------------------------------------


@dataclass
class Load:
    status: int
    server_ms: float | None
    wall_ms: float
    body: str


class Browser:
    def __init__(self, url: str, email: str, password: str) -> None:
        self.email = email
        self.client = httpx.Client(base_url=url, timeout=120, follow_redirects=False)
        form = self.client.get("/login")
        nonce = re.search(r'name="nonce" value="([^"]+)"', form.text)
        assert nonce, "the login page has no nonce"
        answer = self.client.post(
            "/login", data={"email": email, "password": password, "nonce": nonce.group(1)}
        )
        assert answer.status_code == 303, (email, answer.status_code)
        assert not answer.headers["location"].startswith("/password"), f"{email}: new password"

    def get(self, path: str, htmx: bool = False) -> Load:
        headers = {"HX-Request": "true"} if htmx else {}
        started = time.perf_counter()
        answer = self.client.get(path, headers=headers)
        wall = (time.perf_counter() - started) * 1000
        timing = TIMING.search(answer.headers.get("server-timing", ""))
        server = float(timing.group(1)) if timing else None
        body = answer.text if "text/html" in answer.headers.get("content-type", "") else ""
        return Load(answer.status_code, server, wall, body)


@dataclass(frozen=True)
class Page:
    who: str  # which browser: "admin" or "csm"
    path: str
    htmx: bool = False  # loaded by htmx into another page (sent with HX-Request)


# -- the backtest page just after training ----------------------------------------------------


def backtest_first_load(admin: Browser) -> list[tuple[str, Load]]:
    loads = [("/backtest", admin.get("/backtest"))]
    pending = links_of(loads[0][1].body).fragments
    while pending:  # the churn fragment brings the calibration's
        path = pending.pop(0)
        load = admin.get(path, htmx=True)
        loads.append((path, load))
        pending.extend(links_of(load.body).fragments)
    return loads


# -- finding the pages ------------------------------------------------------------------------


def route_templates() -> list[str]:
    from fastapi.routing import APIRoute

    from tenure.web.routers import routers

    found = []
    for router in routers():
        for route in router.routes:
            if isinstance(route, APIRoute) and "GET" in route.methods:
                found.append(route.path)
    return found


def matches(template: str, path: str) -> bool:
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
    return re.fullmatch(pattern, urlsplit(path).path) is not None


def signed_links(data: Path, account: str) -> list[str]:
    """The emailed pages, whose links carry a signed token: signed here with the data dir's key."""
    from datetime import timedelta

    from tenure.config import Settings
    from tenure.kit.dates import utc_today
    from tenure.messaging.tokens import report_token, unsubscribe_token

    settings = Settings(data_dir=data)
    end = utc_today()
    start = end - timedelta(days=30)
    return [
        f"/unsubscribe/{unsubscribe_token(settings, 'someone@client.example', 'm1')}",
        f"/reports/value/{report_token(settings, account, start.isoformat(), end.isoformat())}",
    ]


def discover(browsers: dict[str, Browser], csms: list[str], data: Path) -> dict[Page, Load]:
    """Every page found, with its first load (the look that found what it links to)."""
    pages: dict[Page, Load] = {}

    def add(who: str, path: str, htmx: bool = False) -> None:
        page = Page(who, path, htmx)
        if page in pages:
            return
        load = pages[page] = browsers[who].get(path, htmx)
        for fragment in links_of(load.body).fragments:
            add(who, fragment, htmx=True)

    for who in ("admin", "csm"):
        today = browsers[who].get("/today")
        sidebar = re.search(r'<nav class="sidebar".*?</nav>', today.body, re.S)
        assert sidebar, "no sidebar on /today"
        for href in links_of(sidebar.group(0)).hrefs:
            add(who, href)
        book = browsers[who].get("/book")
        account = next(h for h in links_of(book.body).hrefs if h.startswith("/accounts/"))
        add(who, account)

    # The book: each sort column (as htmx asks for it), each filter, a later page, a CSM's.
    book = links_of(browsers["admin"].get("/book").body)
    for href in book.hrefs:
        if href.startswith("/book?") and "sort=" in href:
            add("admin", href, htmx=True)
    html = browsers["admin"].get("/book").body
    select = re.search(r'<select name="segment".*?</select>', html, re.S)
    segments = re.findall(r'<option value="([^"]+)"', select.group(0) if select else "")
    for view in (
        {"segment": segments[0]} if segments else {"segment": "Enterprise"},
        {"band": "red"},
        {"band": "amber", "sort": "arr", "dir": "desc"},
        {"tier": "paid", "sort": "renewal"},
        {"status": "all"},
        {"status": "former"},
        {"search": "a"},
        {"page": "2"},
        {"csm": csms[0], "sort": "arr", "dir": "desc"},
        {"band": "red", "sort": "health"},
    ):
        add("admin", "/book?" + urlencode(view))
    add("csm", "/book?" + urlencode({"band": "red", "sort": "arr", "dir": "desc"}))

    # Pages per CSM, as a manager opens them, and the downloads.
    for email in csms:
        for base in ("/today", "/plan", "/renewals", "/agent", "/book"):
            add("admin", f"{base}?{urlencode({'csm': email})}")
    add("admin", "/book.csv")
    add("admin", f"/plan.xlsx?{urlencode({'csm': csms[0]})}")
    add("csm", "/plan.xlsx")

    # What the pages link to: the KPI cohorts, the messages' wizards, the plan's preview.
    for who in ("admin", "csm"):
        for base in ("/kpis", "/messages", "/surveys", "/renewals", "/usage", "/plan"):
            found = links_of(browsers[who].get(base).body)
            for href in found.hrefs:
                if href.startswith(("/kpis/", "/messages/", "/renewals?", "/usage?")):
                    add(who, href)
                if href.startswith("/surveys?") or href.startswith("/plan?"):
                    add(who, href)
            for action, fields in found.forms:
                if action == "/plan/preview":
                    add(who, f"{action}?{urlencode(fields)}")
    plan = links_of(browsers["admin"].get(f"/plan?{urlencode({'csm': csms[0]})}").body)
    for action, fields in plan.forms:
        if action == "/plan/preview":
            add("admin", f"{action}?{urlencode(fields)}")

    account = next(p.path for p in pages if re.fullmatch(r"/accounts/[^/?]+", p.path))
    for path in signed_links(data, account.rsplit("/", 1)[1]):
        add("admin", path)
    add("admin", "/password")
    add("admin", "/login")
    return pages


# -- timing -----------------------------------------------------------------------------------


@dataclass
class Timed:
    page: Page
    status: int
    first: float
    later: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.later)

    @property
    def worst(self) -> float:
        return max(self.later)


def server_ms(load: Load) -> float:
    assert load.server_ms is not None, "no Server-Timing header: is the server this branch's?"
    return load.server_ms


def time_pages(browsers: dict[str, Browser], pages: dict[Page, Load], runs: int) -> list[Timed]:
    """Each page's first load (from discovery: work it shares with a page found before it may
    already be warm) and `runs` later loads, after every page's first."""
    timed = []
    for page, first in pages.items():
        browser = browsers[page.who]
        later = [server_ms(browser.get(page.path, page.htmx)) for _ in range(runs)]
        timed.append(Timed(page, first.status, server_ms(first), later))
    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--limit", type=float, default=300.0, help="ms, after the first load")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    data = args.data or Path(tempfile.gettempdir()) / "tenure-bench-demo-pages"
    prepare(data)
    credentials = json.loads((data / CREDENTIALS).read_text())
    csms = sorted(credentials["csms"])
    trained = train(data)
    print(f"tenure churn train: {trained:.1f} s")

    process, url = serve(data)
    try:
        admin = Browser(url, credentials["email"], credentials["password"])
        started = time.perf_counter()
        backtest = backtest_first_load(admin)
        wall = time.perf_counter() - started
        print("backtest page, first load after training (one after another):")
        for path, load in backtest:
            print(f"  {path:<60} {load.status}  server {server_ms(load):8.1f} ms")
        total = sum(server_ms(load) for _, load in backtest)
        print(f"  page and fragments: server {total / 1000:.2f} s, wall {wall:.2f} s")

        csm = Browser(url, csms[0], credentials["csms"][csms[0]])
        browsers = {"admin": admin, "csm": csm}
        pages = discover(browsers, csms, data)
        templates = route_templates()
        unreached = [t for t in templates if not any(matches(t, p.path) for p in pages)]
        timed = time_pages(browsers, pages, args.runs)
    finally:
        process.terminate()
        process.wait(timeout=30)

    print(f"\n{len(timed)} pages, {args.runs} later loads each; server time, ms")
    print(f"{'who':<6}{'page':<72}{'status':>7}{'first':>9}{'median':>9}{'max':>9}")
    slow = []
    for t in timed:
        flag = "  SLOW" if t.worst > args.limit else ""
        name = t.page.path + (" (htmx)" if t.page.htmx else "")
        if len(name) > 70:
            name = name[:67] + "..."
        print(
            f"{t.page.who:<6}{name:<72}{t.status:>7}{t.first:>9.1f}{t.median:>9.1f}"
            f"{t.worst:>9.1f}{flag}"
        )
        if flag:
            slow.append(t)
    medians = [t.median for t in timed]
    print(
        f"\nmedian of medians {statistics.median(medians):.1f} ms, slowest median "
        f"{max(medians):.1f} ms, slowest first load {max(t.first for t in timed):.1f} ms"
    )
    print(f"over {args.limit:.0f} ms after the first load: {len(slow)}")
    for t in slow:
        print(f"  {t.page.who} {t.page.path}: median {t.median:.1f}, max {t.worst:.1f}")
    if unreached:
        print("routes with no address in the demo (no data for them):", ", ".join(unreached))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "train_s": trained,
                    "backtest": [(p, server_ms(load), load.wall_ms) for p, load in backtest],
                    "backtest_wall_s": wall,
                    "pages": [
                        {
                            "who": t.page.who,
                            "path": t.page.path,
                            "htmx": t.page.htmx,
                            "status": t.status,
                            "first": t.first,
                            "later": t.later,
                        }
                        for t in timed
                    ],
                    "unreached": unreached,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
