"""The `tenure` command: a sub-command per domain."""

from __future__ import annotations

import gc
from typing import Annotated

import typer

from tenure.accounts.cli import accounts_app, import_app, note_app
from tenure.agent.brief_cli import brief_command
from tenure.agent.cli import agent_app
from tenure.db import Database
from tenure.demo.cli import demo_app
from tenure.health.cli import health_app, scorecard_app
from tenure.kit.cli import context, typer_app
from tenure.kit.output import stderr
from tenure.messaging.cli import contacts_app, mail_app, template_app
from tenure.messaging.incident_cli import incident_app
from tenure.migrate import upgrade
from tenure.plans.cli import plan, playbook_app, signals, tasks_app
from tenure.reports.cli import report_app
from tenure.retention.churn_cli import churn_app, health_backtest
from tenure.retention.cli import kpis_command, retention_app
from tenure.usage.cli import daily, import_events, keys_app, metrics_app, usage_app
from tenure.users.cli import tokens_app, users_app

app = typer_app("Tenure: customer success on data you already own.")
app.add_typer(import_app, name="import")
app.add_typer(accounts_app, name="accounts")
app.add_typer(note_app, name="note")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(health_app, name="health")
app.add_typer(scorecard_app, name="scorecard")
app.command("kpis")(kpis_command)
app.add_typer(retention_app, name="retention")
app.add_typer(churn_app, name="churn")
health_app.command("backtest")(health_backtest)
app.add_typer(demo_app, name="demo")
app.add_typer(usage_app, name="usage")
app.add_typer(keys_app, name="keys")
app.add_typer(metrics_app, name="metrics")
app.command("daily")(daily)
import_app.command("events")(import_events)
app.command("plan")(plan)
app.command("signals")(signals)
app.add_typer(tasks_app, name="tasks")
app.add_typer(playbook_app, name="playbook")
app.add_typer(agent_app, name="agent")
accounts_app.command("brief")(brief_command)
app.add_typer(template_app, name="template")
app.add_typer(mail_app, name="mail")
app.add_typer(contacts_app, name="contacts")
app.add_typer(incident_app, name="incident")
app.add_typer(report_app, name="report")


@app.command()
def init(ctx: typer.Context) -> None:
    """Create or migrate the app database and the warehouse."""
    cli = context(ctx)
    database = Database(cli.settings)
    try:
        upgrade(database.engine)
        where = database.engine.url.render_as_string(hide_password=True)
    finally:
        database.dispose()
    cli.warehouse.init()
    stderr.print(f"database ready: {where}")
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
    database = Database(cli.settings)
    upgrade(database.engine)
    database.dispose()
    cli.warehouse.init()
    application = create_app(cli.settings)
    # A full garbage collection walks every object the process holds: after start-up, the
    # quarter of a million objects of the libraries loaded (SQLAlchemy, Ibis, pandas, ...),
    # 100-250 ms of pause that the requests in flight wait out (the book page's p99 in
    # docs/benchmarks.md). Frozen, they are left out of every collection from now on.
    gc.collect()
    gc.freeze()
    stderr.print(f"Tenure on http://{host}:{port} (API docs at http://{host}:{port}/docs)")
    uvicorn.run(application, host=host, port=port, log_level="warning")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
