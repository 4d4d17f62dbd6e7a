"""Create or upgrade the app database by running the Alembic migrations."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from tenure.database import Database
from tenure.kit.errors import TenureError

# Alembic is imported only to migrate: every CLI command checks the schema is current, and
# importing Alembic for that cost 150 ms a call.
if TYPE_CHECKING:
    from alembic.config import Config

_PACKAGE = Path(__file__).resolve().parent


def _script_location() -> Path:
    # An installed wheel carries the migrations inside the package; a checkout keeps them at
    # the repository root (see docs/architecture.md).
    for candidate in (_PACKAGE / "_migrations", _PACKAGE.parent.parent / "migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise FileNotFoundError("Tenure's migrations folder is missing from this installation")


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_script_location()))
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def ensure_current(database: Database) -> None:
    """Refuse, with the command that fixes it, a database that is not at the latest schema."""
    with database.engine.connect() as connection:
        current: set[str] = set()
        if inspect(connection).has_table("alembic_version"):
            current = set(connection.scalars(text("SELECT version_num FROM alembic_version")))
    if current == _heads():
        return
    where = database.engine.url.render_as_string(hide_password=True)
    if not current:
        raise TenureError(f"no Tenure database at {where}: run `tenure init` first")
    raise TenureError(f"the database at {where} needs migrating: run `tenure init`")


def _heads() -> set[str]:
    """The latest revisions: read from the migration files' `revision` and `down_revision`
    literals, or by Alembic when a file does not spell them as literals."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (_script_location() / "versions").glob("*.py"):
        found = _literals(path)
        if found is None:
            from alembic.script import ScriptDirectory

            return set(ScriptDirectory.from_config(alembic_config()).get_heads())
        revision, down = found
        revisions.add(revision)
        parents.update(down)
    return revisions - parents


def _literals(path: Path) -> tuple[str, set[str]] | None:
    values: dict[str, object] = {}
    for node in ast.parse(path.read_text()).body:
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            try:
                values[target.id] = ast.literal_eval(value) if value is not None else None
            except ValueError:
                return None
    revision, down = values.get("revision"), values.get("down_revision", None)
    if not isinstance(revision, str):
        return None
    if down is None:
        return revision, set()
    if isinstance(down, str):
        return revision, {down}
    if isinstance(down, tuple | list) and all(isinstance(d, str) for d in down):
        return revision, set(down)
    return None
