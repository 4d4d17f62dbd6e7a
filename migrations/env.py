"""Alembic environment: runs migrations on the connection Tenure hands over, or on the URL
from Tenure's settings when called from the `alembic` command line."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from tenure.config import Settings
from tenure.db import make_engine
from tenure.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    engine = make_engine(
        context.config.get_main_option("sqlalchemy.url") or Settings().resolved_database_url
    )
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()
