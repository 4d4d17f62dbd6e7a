"""Create or upgrade the app database by running the Alembic migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from tenure.db import Database
from tenure.kit.errors import TenureError

_PACKAGE = Path(__file__).resolve().parent


def _script_location() -> Path:
    # An installed wheel carries the migrations inside the package; a checkout keeps them at
    # the repository root (see docs/architecture.md).
    for candidate in (_PACKAGE / "_migrations", _PACKAGE.parent.parent / "migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise FileNotFoundError("Tenure's migrations folder is missing from this installation")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_script_location()))
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def ensure_current(database: Database) -> None:
    """Refuse, with the command that fixes it, a database that is not at the latest schema."""
    with database.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    if current == heads:
        return
    where = database.engine.url.render_as_string(hide_password=True)
    if not current:
        raise TenureError(f"no Tenure database at {where}: run `tenure init` first")
    raise TenureError(f"the database at {where} needs migrating: run `tenure init`")
