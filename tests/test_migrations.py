"""The migrations are the schema: the ORM models agree with them on SQLite and PostgreSQL, and
every migration goes down and up again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tenure.db import make_engine
from tenure.migrate import alembic_config, upgrade
from tenure.models import Base


def differences(engine: sa.Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            # As migrations/env.py compares: types, not server defaults (SQLite reflects a
            # default as the SQL text it was written with, so equal defaults would differ).
            opts={
                "compare_type": True,
                "render_as_batch": connection.dialect.name == "sqlite",
            },
        )
        return list(compare_metadata(context, Base.metadata))


def downgrade(engine: sa.Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_the_models_match_the_migrations(database_url: str):
    engine = make_engine(database_url)
    try:
        assert differences(engine) == [], "the models and the migrations disagree: add a migration"
    finally:
        engine.dispose()


@pytest.mark.slow
def test_every_migration_goes_down_and_up_again(database_url: str):
    engine = make_engine(database_url)
    try:
        downgrade(engine, "base")
        left = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
        assert left == set(), f"downgrade to base left tables behind: {sorted(left)}"
        upgrade(engine)
        assert differences(engine) == []
        tables = set(sa.inspect(engine).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= tables
    finally:
        upgrade(engine)  # whatever happened, leave the session's database at the head
        engine.dispose()
