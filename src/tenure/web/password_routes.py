"""Choosing one's own password: at the first login after an admin chose it (created or
reset), and whenever one wants to change it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from tenure.audit.service import record_change
from tenure.kit.errors import TenureError
from tenure.users import service as users
from tenure.users.service import verify_password
from tenure.web.auth import safe_next
from tenure.web.deps import DbDep, IdentityDep, WriterDep
from tenure.web.routing import WebRoute
from tenure.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/password")
def password_form(request: Request, identity: IdentityDep, next: str = "/") -> Response:  # noqa: A002
    return render(
        request,
        "password.html",
        {"next": safe_next(next), "first": identity.user.must_change_password, "error": None},
    )


@router.post("/password")
def change_password(
    request: Request,
    db: DbDep,
    identity: WriterDep,
    new: Annotated[str, Form(max_length=200)],
    again: Annotated[str, Form(max_length=200)],
    current: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=400)] = "/",  # noqa: A002
) -> Response:
    user = identity.user
    first = user.must_change_password
    target = safe_next(next)

    def refuse(error: str) -> Response:
        context = {"next": target, "first": first, "error": error}
        return render(request, "password.html", context, status=400)

    if not first and not (user.password_hash and verify_password(user.password_hash, current)):
        return refuse("The current password is not right.")
    if new != again:
        return refuse("The two new passwords differ.")
    if user.password_hash and verify_password(user.password_hash, new):
        return refuse("Choose a password other than the one you have.")
    try:
        users.set_password(db, user, new)
    except TenureError as error:
        return refuse(error.message)
    record_change(
        db,
        user,
        "user.password_change",
        f"user:{user.email}",
        {"must_change_password": first},
        {"must_change_password": False},
        via="web",
    )
    return RedirectResponse(target, status_code=303)
