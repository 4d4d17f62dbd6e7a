"""What every CLI command shares: the settings, database and warehouse of one invocation,
the `--format` and `--as-of` options, and turning TenureError into a clear message."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic_core import ValidationError
from typer.core import TyperGroup

from tenure.kit.bounds import DAY_RANGE, MAX_DAY, MIN_DAY
from tenure.kit.dates import utc_today
from tenure.kit.errors import TenureError, from_validation
from tenure.kit.output import OutputFormat, stderr

# Settings, the database and the warehouse are imported when a command first uses them, not
# when the command line is parsed: `tenure --help` never loads SQLAlchemy, Alembic or Ibis.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tenure.config import Settings
    from tenure.database import Database
    from tenure.warehouse import Warehouse


class TenureGroup(TyperGroup):
    """Turns a TenureError raised anywhere below into `Error: message` and exit code 1."""

    # Typer types this with its vendored click's Context, which it does not export.
    def invoke(self, ctx: Any) -> Any:
        try:
            try:
                return super().invoke(ctx)
            except ValidationError as invalid:
                raise from_validation(invalid) from None
        except TenureError as error:
            stderr.print(f"Error: {error}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None


def typer_app(help_text: str, cls: type[TyperGroup] = TenureGroup) -> typer.Typer:
    return typer.Typer(cls=cls, help=help_text, no_args_is_help=True, rich_markup_mode=None)


def _settings() -> Settings:
    from tenure.config import Settings

    return Settings()


@dataclass
class CliContext:
    settings: Settings = field(default_factory=_settings)

    @cached_property
    def database(self) -> Database:
        from tenure.database import Database
        from tenure.migrate import ensure_current

        database = Database(self.settings)
        ensure_current(database)
        return database

    @cached_property
    def warehouse(self) -> Warehouse:
        from tenure.warehouse import Warehouse

        return Warehouse(self.settings)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        with self.database.unit_of_work() as session:
            yield session

    def close(self) -> None:
        if "database" in self.__dict__:
            self.database.dispose()


def context(ctx: typer.Context) -> CliContext:
    root = ctx.find_root()
    if root.obj is None:
        root.obj = CliContext()
        root.call_on_close(root.obj.close)
    obj: CliContext = root.obj
    return obj


FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Output format: table, json or csv.")
]


def parse_date(value: str | None, name: str = "--as-of") -> date:
    """An ISO date from the command line; today (UTC) when not given."""
    if value is None:
        return utc_today()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise TenureError(f"{name}: {value!r}: not a date, use YYYY-MM-DD") from None
    if not MIN_DAY <= day <= MAX_DAY:
        raise TenureError(f"{name}: {value!r}: must be {DAY_RANGE}")
    return day


AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Compute as of this day (YYYY-MM-DD); default today.")
]
