"""`tenure users` and `tenure tokens`."""

from __future__ import annotations

from typing import Annotated

import typer

from tenure.kit.cli import FormatOption, context, typer_app
from tenure.kit.output import OutputFormat, emit, stderr
from tenure.models import Role
from tenure.users import service
from tenure.users.schemas import UserCreate

users_app = typer_app("Create and list the people who use Tenure.")
tokens_app = typer_app("API tokens for the REST API.")


@users_app.command("create")
def create_user(
    ctx: typer.Context,
    email: Annotated[str, typer.Option(help="The user's email, their login.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    role: Annotated[Role, typer.Option(help="admin, manager, csm or viewer.")] = Role.csm,
    password: Annotated[
        str | None, typer.Option(help="Password for the web app (at least 8 characters).")
    ] = None,
) -> None:
    """Create a user."""
    data = UserCreate(email=email, name=name, role=role, password=password)
    with context(ctx).unit_of_work() as session:
        user = service.create_user(session, data)
        stderr.print(f"created {user.role.value} {user.email}")


@users_app.command("set-password")
def set_password(
    ctx: typer.Context,
    email: Annotated[str, typer.Option(help="The user's email, their login.")],
    password: Annotated[
        str | None,
        typer.Option(help="The new password (8+ characters); asked for, hidden, when not given."),
    ] = None,
    temporary: Annotated[
        bool, typer.Option(help="The user must choose a new password at their next login.")
    ] = False,
) -> None:
    """Set a user's password for the web app (e.g. to give a created user a login)."""
    if password is None:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    with context(ctx).unit_of_work() as session:
        user = service.set_password(
            session, service.require_by_email(session, email), password, must_change=temporary
        )
        then = " (to change at the next login)" if temporary else ""
        stderr.print(f"password set for {user.email}{then}")


@users_app.command("list")
def list_users(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """List users."""
    with context(ctx).unit_of_work() as session:
        records = [
            {"email": u.email, "name": u.name, "role": u.role, "created_at": u.created_at}
            for u in service.list_users(session)
        ]
    emit(records, fmt, columns=["email", "name", "role", "created_at"])


@tokens_app.command("create")
def create_token(
    ctx: typer.Context,
    email: Annotated[str, typer.Option(help="The user the token acts as.")],
    name: Annotated[str | None, typer.Option(help="What the token is for.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Create an API token. It is shown once: Tenure keeps only its hash."""
    with context(ctx).unit_of_work() as session:
        token, plain = service.create_token(session, email, name)
        record = {"email": token.user.email, "prefix": token.prefix, "token": plain}
    if fmt is OutputFormat.table:
        stderr.print(f"API token for {record['email']} (shown once, keep it safe):")
        typer.echo(plain)
    else:
        emit([record], fmt)


@tokens_app.command("revoke")
def revoke_token(
    ctx: typer.Context,
    prefix: Annotated[str, typer.Argument(help="The token's first 12 characters.")],
) -> None:
    """Revoke an API token."""
    with context(ctx).unit_of_work() as session:
        token = service.revoke_token(session, prefix)
        stderr.print(f"revoked token {token.prefix}… of {token.user.email}")
