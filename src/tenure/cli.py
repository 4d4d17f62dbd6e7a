"""The `tenure` command: a sub-command per domain.

Sub-commands are registered by name, module and one-line help (`Lazy`), one line each, and
imported only when they run: `tenure --help` and a quick command do not pay for every
domain's libraries. A test checks that each help line matches its command's own.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tenure.kit.cli import TenureGroup, context, typer_app
from tenure.kit.lazy_cli import Lazy, lazy_group
from tenure.kit.output import stderr

SUBCOMMANDS = (
    Lazy(
        "import",
        "tenure.accounts.cli:import_app",
        "Import customer data from CSV or JSON Lines: all or nothing, idempotent on external ids.",
    ),
    Lazy("import events", "tenure.usage.cli:import_events"),
    Lazy(
        "accounts",
        "tenure.accounts.cli:accounts_app",
        "Look at accounts: the book and each account's whole story.",
    ),
    Lazy("note", "tenure.accounts.cli:note_app", "Write to an account's timeline."),
    Lazy("users", "tenure.users.cli:users_app", "Create and list the people who use Tenure."),
    Lazy("tokens", "tenure.users.cli:tokens_app", "API tokens for the REST API."),
    Lazy(
        "health",
        "tenure.health.cli:health_app",
        "Health scores: the dashboard (no sub-command), compute snapshots, explain a score.",
    ),
    Lazy("health backtest", "tenure.retention.churn.cli:health_backtest"),
    Lazy(
        "scorecard",
        "tenure.health.cli:scorecard_app",
        "Health scorecards: load TOML (same name = new version), list, show.",
    ),
    Lazy(
        "kpis",
        "tenure.retention.cli:kpis_command",
        "Logo and revenue churn, GRR/NRR, ARR movements, CLV, NPS/CSAT/CES and more for a "
        "period (both days included).",
    ),
    Lazy(
        "retention",
        "tenure.retention.cli:retention_app",
        "Retention analytics: cohorts, sBG forecasts and the renewal forecast.",
    ),
    Lazy(
        "churn",
        "tenure.retention.churn.cli:churn_app",
        "The churn model: learn from past renewals which accounts leave, test it on later "
        "ones, score today's accounts.",
    ),
    Lazy(
        "demo",
        "tenure.demo.cli:demo_app",
        "A simulated company to try Tenure on: generate it, load it, or run the demo.",
    ),
    Lazy(
        "usage",
        "tenure.usage.cli:usage_app",
        "Product usage: statistics from events, grouped by client over time.",
    ),
    Lazy(
        "keys",
        "tenure.usage.cli:keys_app",
        "Write keys for the event intake (/v1/track, /v1/batch, ...).",
    ),
    Lazy(
        "metrics",
        "tenure.usage.cli:metrics_app",
        "Usage metrics from the metric catalogue, per account per day.",
    ),
    Lazy(
        "daily",
        "tenure.ops.cli:daily",
        "The daily job: load the intake log, compute the usage metrics (and redo days late "
        "events touched), then score health for the day.",
    ),
    Lazy(
        "plan",
        "tenure.plans.cli:plan",
        "Plan a CSM's quarter: playbook activities fitted into 13 weeks of hours, retention "
        "first, expansion second, advocacy third; new clients' onboarding listed apart.",
    ),
    Lazy(
        "signals",
        "tenure.plans.cli:signals",
        "Signals per account, each with its evidence: renewals in the next 13 weeks, risk, "
        "weak components, data gaps, weak sponsors, expansion and advocacy candidates, "
        "lookalikes.",
    ),
    Lazy(
        "tasks",
        "tenure.plans.cli:tasks_app",
        "Tasks from saved quarterly plans: list them, mark them done.",
    ),
    Lazy(
        "playbook",
        "tenure.plans.cli:playbook_app",
        "Playbook libraries (TOML): check, load, show, export.",
    ),
    Lazy(
        "contacts",
        "tenure.accounts.cli:contacts_app",
        "The people at your accounts: consent (opt out, opt in, the suppression list) and erasure.",
        extend=(
            "tenure.messaging.cli:add_consent_commands",
            "tenure.ops.cli:add_erase_command",
        ),
    ),
    Lazy(
        "template",
        "tenure.messaging.cli:template_app",
        "Message templates: load a new version, list them, show one.",
    ),
    Lazy(
        "mail",
        "tenure.messaging.cli:mail_app",
        "The outbox: draft, review, approve and send messages over SMTP.",
    ),
    Lazy(
        "announce",
        "tenure.messaging.cli:announce_command",
        "Announce to a segment: the recipients and their count first, then one draft per "
        "contact (pending approval, one batch; approve it with `tenure mail approve --batch`).",
    ),
    Lazy(
        "incident",
        "tenure.messaging.incident_cli:incident_app",
        "Incident notices: who was affected, their notices, the internal brief.",
    ),
    Lazy(
        "handoff",
        "tenure.messaging.cli:handoff_app",
        "Hand-offs to support, sales and product: email and signed webhook.",
    ),
    Lazy(
        "report",
        "tenure.reports.cli:report_app",
        "Reports for clients: value reports for free clients.",
    ),
    Lazy(
        "survey",
        "tenure.surveys.cli:survey_app",
        "Survey campaigns Tenure sends itself (NPS, CSAT, CES): create, send, remind, sync, "
        "status, close.",
    ),
    Lazy(
        "goals",
        "tenure.goals.cli:goals_app",
        "Success goals per account: the client's outcomes, milestones and progress.",
    ),
    Lazy(
        "qbr",
        "tenure.reports.qbr_cli:qbr_command",
        "The QBR pack of an account for a quarter: goals, health and why, usage, adoption gaps, "
        "support, surveys, what was done, recommendations, next quarter's plan and the renewal, "
        "frozen in one snapshot and rendered as HTML or PDF.",
    ),
    Lazy(
        "qbr-meeting",
        "tenure.reports.qbr_cli:qbr_meeting_command",
        "Log a QBR meeting on the account's timeline; its agreed actions become tasks for the "
        "account's CSM.",
    ),
    Lazy(
        "agent",
        "tenure.agent.cli:agent_app",
        "The agent: the daily routine inside a mandate, and what it did.",
    ),
    Lazy("accounts brief", "tenure.agent.brief_cli:brief_command"),
    Lazy(
        "backup",
        "tenure.ops.cli:backup_command",
        "Write a consistent copy of the database and the warehouse to FILE, while `tenure serve` "
        "runs (SQLite online backup or pg_dump; warehouse tables through their manifests).",
    ),
    Lazy(
        "restore",
        "tenure.ops.cli:restore_command",
        "Restore a backup into an empty data dir (and an empty database for PostgreSQL).",
    ),
)

app = typer_app(
    "Tenure: customer success on data you already own.",
    cls=lazy_group(*SUBCOMMANDS, base=TenureGroup),
)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create or migrate the app database and the warehouse."""
    from tenure.database import Database
    from tenure.migrate import upgrade

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
    from tenure.server import serve as run

    run(context(ctx), host, port, workers)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
