"""How every page route behaves: a clear HTML page for a TenureError (and a rollback of
whatever the request had written), a redirect to the login page when nobody is signed in, and
the security headers every page carries (kit/headers.py)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from tenure.kit.errors import TenureError
from tenure.web.templating import render


class LoginRequired(Exception):
    """Nobody is signed in (or the session ended)."""


class PasswordChangeRequired(Exception):
    """Signed in with a password someone else chose: the user chooses their own first."""


def login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/login?next={quote(target, safe='')}"
    if request.headers.get("HX-Request") == "true":
        # htmx would swap the login page into a fragment; make it load the whole page instead.
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def error_page(request: Request, error: TenureError) -> Response:
    titles = {401: "Please log in", 403: "Not allowed", 404: "Not found", 409: "Conflict"}
    return render(
        request,
        "error.html",
        {
            "status": error.status,
            "title": titles.get(error.status, "That did not work"),
            "message": error.message,
            "problems": error.problems,
        },
        status=error.status,
    )


class WebRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired:
                response = login_redirect(request)
            except PasswordChangeRequired:
                response = RedirectResponse("/password", status_code=303)
            except (TenureError, RequestValidationError) as error:
                # The page's session dependency would commit on the way out: undo first.
                db = getattr(request.state, "db", None)
                if db is not None:
                    db.rollback()
                if isinstance(error, RequestValidationError):
                    error = TenureError(
                        "the request is not valid",
                        status=422,
                        problems=[
                            f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}"
                            for e in error.errors()
                        ],
                    )
                response = error_page(request, error)
            return response

        return run
