"""The `tenure` command: a sub-command per domain."""

from __future__ import annotations

from typing import Annotated

import typer

from tenure.accounts.cli import accounts_app, import_app, note_app
from tenure.kit.cli import context, typer_app
from tenure.kit.output import stderr
from tenure.db import Database
from tenure.migrate import upgrade
from tenure.users.cli import tokens_app, users_app

app = typer_app("Tenure: customer success on data you already own.")
app.add_typer(import_app, name="import")
app.add_typer(accounts_app, name="accounts")
app.add_typer(note_app, name="note")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")


@app.command()
def init(ctx: typer.Context) -> None:
    """Create or migrate the app database and the warehouse."""
    cli = context(ctx)
    database = Database(cli.settings)
    upgrade(database.engine)
    cli.warehouse.init()
    stderr.print(f"database ready: {database.engine.url.render_as_string(hide_password=True)}")
    stderr.print(f"warehouse ready: {cli.settings.resolved_warehouse_url}")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the REST API (OpenAPI at /docs) and the web app."""
    import uvicorn

    from tenure.app import create_app

    cli = context(ctx)
    upgrade(Database(cli.settings).engine)
    cli.warehouse.init()
    stderr.print(f"Tenure on http://{host}:{port} (API docs at http://{host}:{port}/docs)")
    uvicorn.run(create_app(cli.settings), host=host, port=port, log_level="warning")


def main() -> None:
    app()
