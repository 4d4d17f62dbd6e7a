"""Admin pages: users and roles (admins), scorecards (managers and admins), the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import func, select

from tenure.audit import service as audit
from tenure.audit.service import record_change
from tenure.health import service as health
from tenure.health.service import ScorecardDefinition
from tenure.kit.errors import TenureError, from_validation
from tenure.models import Account, Role, User
from tenure.users import service as users
from tenure.users.schemas import UserCreate
from tenure.web.deps import (
    DbDep,
    IdentityDep,
    WriterDep,
    require_role,
    settings_of,
    warehouse_of,
)
from tenure.web.routing import WebRoute
from tenure.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

AUDIT_PAGE = 50


def user_record(user: User) -> dict[str, str]:
    """What the audit log keeps of a user (never the password hash)."""
    return {"email": user.email, "name": user.name, "role": user.role.value}


# -- users -------------------------------------------------------------------------------------


def _users_page(request: Request, db: DbDep, message: str | None = None) -> Response:
    owned: dict[int | None, int] = dict(
        db.execute(
            select(Account.owner_id, func.count())
            .where(Account.owner_id.is_not(None))
            .group_by(Account.owner_id)
        )
        .tuples()
        .all()
    )
    return render(
        request,
        "users.html",
        {
            "users": users.list_users(db),
            "owned": owned,
            "roles": list(Role),
            "message": message,
        },
    )


@router.get("/users")
def users_page(request: Request, db: DbDep, identity: IdentityDep) -> Response:
    require_role(identity.user, Role.admin)
    return _users_page(request, db)


@router.post("/users")
def create_user(
    db: DbDep,
    identity: WriterDep,
    email: Annotated[str, Form()],
    name: Annotated[str, Form()],
    role: Annotated[str, Form()],
    password: Annotated[str, Form()] = "",
) -> Response:
    require_role(identity.user, Role.admin)
    try:
        data = UserCreate.model_validate(
            {
                "email": email.strip(),
                "name": name.strip(),
                "role": role,
                "password": password or None,
            }
        )
    except ValidationError as error:
        raise from_validation(error) from None
    user = users.create_user(db, data)
    # The admin chose this password: the user picks their own at the first login.
    user.must_change_password = bool(data.password)
    record_change(
        db, identity.user, "user.create", f"user:{user.email}", None, user_record(user), via="web"
    )
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{email}/role")
def change_role(
    db: DbDep,
    identity: WriterDep,
    email: str,
    role: Annotated[str, Form()],
) -> Response:
    require_role(identity.user, Role.admin)
    user = users.require_by_email(db, email)
    try:
        new_role = Role(role)
    except ValueError:
        raise TenureError(f"role {role!r}: use admin, manager, csm or viewer") from None
    if user.id == identity.user.id and new_role is not Role.admin:
        raise TenureError("you cannot take away your own admin role: ask another admin")
    before = user_record(user)
    user.role = new_role
    db.flush()
    record_change(
        db, identity.user, "user.role", f"user:{user.email}", before, user_record(user), via="web"
    )
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{email}/password")
def reset_password(request: Request, db: DbDep, identity: WriterDep, email: str) -> Response:
    """A new temporary password, shown once to the admin to pass on; the user must choose
    their own at the next login. The audit entry never holds the password."""
    require_role(identity.user, Role.admin)
    user = users.require_by_email(db, email)
    temporary = users.temporary_password()
    users.set_password(db, user, temporary, must_change=True)
    after = {**user_record(user), "must_change_password": True}
    record_change(
        db, identity.user, "user.password_reset", f"user:{user.email}", None, after, via="web"
    )
    return _users_page(
        request,
        db,
        f"Temporary password for {user.email} (shown once, pass it on): {temporary}",
    )


# -- scorecards ----------------------------------------------------------------------------------


@router.get("/scorecards")
def scorecards_page(request: Request, db: DbDep, identity: IdentityDep) -> Response:
    require_role(identity.user, Role.admin, Role.manager)
    current = {(r.name, r.version) for r in health.current_scorecards(db)}
    rows = health.all_scorecards(db)
    cards = [
        (row, ScorecardDefinition.from_dict(row.definition), (row.name, row.version) in current)
        for row in reversed(rows)
    ]
    return render(request, "scorecards.html", {"cards": cards, "outcome": None})


@router.post("/scorecards")
async def load_scorecard(
    request: Request,
    db: DbDep,
    identity: WriterDep,
) -> Response:
    """Load a scorecard's TOML; an existing name gets a new version (like `tenure scorecard
    load`)."""
    require_role(identity.user, Role.admin, Role.manager)
    form = await request.form()
    upload = form.get("file")
    text = form.get("source")
    file_name = "scorecard (web form)"
    if upload is not None and not isinstance(upload, str) and upload.filename:
        file_name = upload.filename
        text = (await upload.read()).decode("utf-8", errors="replace")
    if not isinstance(text, str) or not text.strip():
        raise TenureError("paste the scorecard's TOML or choose a .toml file")
    outcome = health.load_scorecard(
        db, warehouse_of(request), settings_of(request), text, file_name, identity.user.email
    )
    if outcome.created:
        after = {"name": outcome.row.name, "version": outcome.row.version, "file": file_name}
        before = (
            {"name": outcome.row.name, "version": outcome.row.version - 1}
            if outcome.row.version > 1
            else None
        )
        record_change(
            db,
            identity.user,
            "scorecard.load",
            f"scorecard:{outcome.row.name}",
            before,
            after,
            via="web",
        )
    current = {(r.name, r.version) for r in health.current_scorecards(db)}
    cards = [
        (row, ScorecardDefinition.from_dict(row.definition), (row.name, row.version) in current)
        for row in reversed(health.all_scorecards(db))
    ]
    return render(request, "scorecards.html", {"cards": cards, "outcome": outcome})


# -- audit log -----------------------------------------------------------------------------------


@router.get("/audit")
def audit_page(
    request: Request,
    db: DbDep,
    identity: IdentityDep,
    actor: Annotated[str | None, Query(max_length=320)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    target: Annotated[str | None, Query(max_length=500)] = None,
    since: datetime | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    require_role(identity.user, Role.admin, Role.manager)
    where = audit.AuditFilter(
        actor=actor or None, action=action or None, target=target or None, since=since
    )
    entries = audit.list_entries(db, where, AUDIT_PAGE, (page - 1) * AUDIT_PAGE)
    count = audit.count_entries(db, where)
    params = {"actor": actor, "action": action, "target": target}
    return render(
        request,
        "audit.html",
        {
            "entries": entries,
            "count": count,
            "page": page,
            "pages": max(1, -(-count // AUDIT_PAGE)),
            "params": params,
        },
    )
