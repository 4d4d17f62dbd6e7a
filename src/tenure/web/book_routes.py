"""The book page: the health dashboard a CSM opens first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse

from tenure.audit.service import record_change
from tenure.book import query as book
from tenure.kit.output import csv_text
from tenure.models import Role
from tenure.web import alerts, book_table
from tenure.web.csm_choices import csm_choices
from tenure.web.deps import DbDep, IdentityDep, WriterDep, settings_of, today
from tenure.web.routing import WebRoute
from tenure.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

ALL = "all"


@dataclass(frozen=True)
class View:
    """A book view as the page's query string gives it: the query and the CSM filter as shown
    ("all" or an email)."""

    query: book.BookQuery
    csm: str


def book_view(
    identity: IdentityDep,
    search: Annotated[str | None, Query(max_length=200)] = None,
    csm: Annotated[str | None, Query(max_length=320)] = None,
    band: str | None = None,
    tier: str | None = None,
    segment: Annotated[str | None, Query(max_length=100)] = None,
    status: str = "current",
    sort: str = "health",
    dir: str = "asc",  # noqa: A002
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=book.MAX_PER_PAGE)] = book.PER_PAGE,
) -> View:
    user = identity.user
    # A CSM opens on their own book; "all" shows everyone's.
    if not csm:
        csm = user.email if user.role is Role.csm else ALL
    query = book.BookQuery(
        search=search or None,
        csm=None if csm == ALL else csm,
        band=band or None,
        tier=tier or None,
        segment=segment or None,
        status=status,
        sort=sort,
        desc=dir == "desc",
        page=page,
        per_page=per_page,
    )
    return View(query, csm)


ViewDep = Annotated[View, Depends(book_view)]


@router.get("/book")
def book_page(request: Request, db: DbDep, identity: IdentityDep, view: ViewDep) -> Response:
    user = identity.user
    query, csm, page, per_page = view.query, view.csm, view.query.page, view.query.per_page
    as_of = today()
    result = book.book_page(db, settings_of(request), as_of, query)
    own = query.csm == user.email
    # Alerts are about the whole own book: shown on its first page.
    found = alerts.alerts_for(db, user, as_of) if own and page == 1 else None
    params = {
        "search": query.search,
        "csm": csm,
        "band": query.band,
        "tier": query.tier,
        "segment": query.segment,
        "status": query.status if query.status != "current" else None,
        "sort": query.sort,
        "dir": "desc" if query.desc else "asc",
        "per_page": per_page if per_page != book.PER_PAGE else None,
    }
    context = {
        "book": result,
        "book_rows": book_table.rows_html(result),
        "params": params,
        "csm": csm,
        "own": own,
        "alerts": found,
        "csms": csm_choices(db),
        "as_of": as_of,
    }
    if request.headers.get("HX-Target") == "book-results":
        # The header's count and export link follow the filters (swapped out of band).
        return render(request, "book_results.html", {**context, "partial": True})
    return render(request, "book.html", context)


@router.get("/book.csv")
def book_csv(request: Request, db: DbDep, view: ViewDep) -> Response:
    """The book view as filtered and sorted, every page of it, as a CSV file for a
    spreadsheet."""
    as_of = today()
    components, rows = book.all_rows(db, settings_of(request), as_of, view.query)
    text = csv_text(book.records(rows, components))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="book-{as_of.isoformat()}.csv"'},
    )


@router.post("/book/seen")
def mark_seen(db: DbDep, identity: WriterDep) -> Response:
    """Acknowledge the alerts: the book as it is now becomes what was last seen."""
    before, after = alerts.mark_seen(db, identity.user, today())
    record_change(
        db, identity.user, "book.seen", f"user:{identity.user.email}", before, after, via="web"
    )
    return RedirectResponse("/book", status_code=303)
