"""Running the web app and API: shared by `tenure serve` and `tenure demo up`."""

from __future__ import annotations

import gc

from tenure.kit.cli import CliContext
from tenure.kit.output import stderr


def serve(cli: CliContext, host: str, port: int) -> None:
    """Migrate, make sure the warehouse exists, then serve until interrupted."""
    import uvicorn

    from tenure.app import create_app
    from tenure.database import Database
    from tenure.migrate import upgrade

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
