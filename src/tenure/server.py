"""Running the web app and API: shared by `tenure serve` and `tenure demo up`."""

from __future__ import annotations

import gc

from tenure.kit.cli import CliContext
from tenure.kit.errors import TenureError
from tenure.kit.output import stderr


def serve(cli: CliContext, host: str, port: int, workers: int = 1) -> None:
    """Migrate, make sure the warehouse exists, then serve until interrupted (in `workers`
    processes on PostgreSQL)."""
    import uvicorn

    from tenure.app import create_app
    from tenure.database import Database
    from tenure.migrate import upgrade

    if workers > 1 and cli.settings.resolved_database_url.startswith("sqlite"):
        raise TenureError(
            "--workers needs PostgreSQL (TENURE_DATABASE_URL): SQLite takes one writer process"
        )
    database = Database(cli.settings)
    upgrade(database.engine)
    database.dispose()
    cli.warehouse.init()
    if workers > 1:
        stderr.print(f"Tenure on http://{host}:{port} (API docs at http://{host}:{port}/docs)")
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
    stderr.print(f"Tenure on http://{host}:{port} (API docs at http://{host}:{port}/docs)")
    uvicorn.run(application, host=host, port=port, log_level="warning")
