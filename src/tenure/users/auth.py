"""Who is calling the API, and what their role lets them do."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tenure.db import SessionDep
from tenure.kit.errors import Forbidden, TenureError
from tenure.models import Account, Role, User
from tenure.users.service import user_for_token

# Declared as a security scheme (not a plain header) so the OpenAPI tells clients how to
# authenticate; its own 403 for a missing header is off: the message below says what to send.
_bearer = HTTPBearer(auto_error=False, description="An API token: `tenure tokens create`.")


def current_user(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    token = credentials.credentials if credentials else ""
    if not token:
        raise TenureError(
            "missing API token: send 'Authorization: Bearer <token>' "
            "(create one with `tenure tokens create --email EMAIL`)",
            status=401,
        )
    user = user_for_token(session, token.strip())
    if user is None:
        raise TenureError("invalid or revoked API token", status=401)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_manager(user: User) -> None:
    if user.role not in (Role.admin, Role.manager):
        raise Forbidden(
            f"{user.email} ({user.role.value}) may not do this: managers and admins only"
        )


def require_can_write(user: User, account: Account) -> None:
    """Viewers read only; a CSM writes on their own accounts; managers and admins on all."""
    if user.role in (Role.admin, Role.manager):
        return
    if user.role is Role.csm and account.owner_id == user.id:
        return
    raise Forbidden(
        f"{user.email} ({user.role.value}) may not change account {account.external_id!r}"
    )


def require_may_plan_for(user: User, csm: str) -> None:
    """A CSM plans and marks tasks for themself; managers and admins for anyone. Viewers and
    other CSMs read only (the API and the plan page share this rule)."""
    if user.role in (Role.admin, Role.manager):
        return
    if user.role is Role.csm and user.email == csm.lower():
        return
    raise Forbidden(f"{user.email} ({user.role.value}) may not change {csm}'s plan")
