"""The `tenure` command: a sub-command per domain."""

from __future__ import annotations

import gc
from typing import Annotated

import typer

from tenure.accounts.cli import accounts_app, contacts_app, import_app, note_app
from tenure.agent.brief_cli import brief_command
from tenure.agent.cli import agent_app
from tenure.db import Database
from tenure.demo.cli import demo_app
from tenure.goals.cli import goals_app
from tenure.health.cli import health_app, scorecard_app
from tenure.kit.cli import context, typer_app
from tenure.kit.errors import TenureError
from tenure.kit.output import stderr
from tenure.messaging.cli import (
    add_consent_commands,
    announce_command,
    handoff_app,
    mail_app,
    template_app,
)
from tenure.messaging.incident_cli import incident_app
from tenure.migrate import upgrade
from tenure.ops.cli import backup_command, restore_command
from tenure.plans.cli import plan, playbook_app, signals, tasks_app
from tenure.reports.cli import report_app
from tenure.reports.qbr_cli import qbr_command, qbr_meeting_command
from tenure.retention.churn_cli import churn_app, health_backtest
from tenure.retention.cli import kpis_command, retention_app
from tenure.surveys.cli import survey_app
from tenure.usage.cli import daily, import_events, keys_app, metrics_app, usage_app
from tenure.users.cli import tokens_app, users_app

app = typer_app("Tenure: customer success on data you already own.")
app.add_typer(import_app, name="import")
app.add_typer(accounts_app, name="accounts")
app.add_typer(note_app, name="note")
app.add_typer(contacts_app, name="contacts")
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
app.command("backup")(backup_command)
app.command("restore")(restore_command)
app.add_typer(goals_app, name="goals")
app.add_typer(survey_app, name="survey")
app.command("qbr")(qbr_command)
app.command("qbr-meeting")(qbr_meeting_command)
app.add_typer(agent_app, name="agent")
accounts_app.command("brief")(brief_command)
app.add_typer(template_app, name="template")
app.add_typer(mail_app, name="mail")
add_consent_commands(contacts_app)
app.add_typer(incident_app, name="incident")
app.add_typer(report_app, name="report")
app.add_typer(handoff_app, name="handoff")
app.command("announce")(announce_command)


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
    workers: Annotated[
        int, typer.Option(min=1, max=32, help="Server processes (more than one: PostgreSQL).")
    ] = 1,
) -> None:
    """Serve the REST API (OpenAPI at /docs) and the web app."""
    import uvicorn

    from tenure.app import create_app

    cli = context(ctx)
    if workers > 1 and cli.settings.resolved_database_url.startswith("sqlite"):
        raise TenureError(
            "--workers needs PostgreSQL (TENURE_DATABASE_URL): SQLite takes one writer process"
        )
    database = Database(cli.settings)
    upgrade(database.engine)
    database.dispose()
    cli.warehouse.init()
    stderr.print(f"Tenure on http://{host}:{port} (API docs at http://{host}:{port}/docs)")
    if workers > 1:
        # Each process builds its own app from the same TENURE_* settings; the intake log is
        # one segment per process and its loader takes a lock, so they share the data dir.
        uvicorn.run(
            "tenure.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            # A worker imports the whole app before it answers the supervisor's health check:
            # seconds on a busy machine. Uvicorn's 5 s default kills it and restarts it forever.
            timeout_worker_healthcheck=120,
        )
        return
    application = create_app(cli.settings)
    # A full garbage collection walks every object the process holds: after start-up, the
    # quarter of a million objects of the libraries loaded (SQLAlchemy, Ibis, pandas, ...),
    # 100-250 ms of pause that the requests in flight wait out (the book page's p99 in
    # docs/benchmarks.md). Frozen, they are left out of every collection from now on.
    gc.collect()
    gc.freeze()
    uvicorn.run(application, host=host, port=port, log_level="warning")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
