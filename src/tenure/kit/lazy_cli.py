"""Sub-commands imported only when they run.

Each domain's CLI module pulls in its services (SQLAlchemy models, Ibis, pandas, scikit-learn,
OR-Tools ...): importing them all to print `tenure --help` or to run one command took seconds.
The root group knows each sub-command by name, the module that defines it and its one-line
help, and imports the module only when that sub-command is looked up to run (or documented).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, ClassVar

import typer
from typer._click.exceptions import UsageError
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class Lazy:
    """`path` is the sub-command's words below `tenure` ("health backtest" adds `backtest` to
    the `health` group); `target` is "module:attribute", a Typer app or a command function;
    `help` is a top-level entry's one-line help, shown by `tenure --help` without importing
    the module (a test checks that it matches the command's own)."""

    path: str
    target: str
    help: str = ""
    # "module:function"s called with the Typer app before it is used, for a module that adds
    # its commands to another domain's group (e.g. consent commands under `contacts`).
    extend: tuple[str, ...] = ()

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.path.split())

    def load(self) -> Any:
        found = _resolve(self.target)
        if isinstance(found, typer.Typer):
            for extender in self.extend:
                _resolve(extender)(found)
            return typer.main.get_group(found)
        single = typer.Typer(rich_markup_mode=None)
        single.command(self.words[-1])(found)
        return typer.main.get_command(single)


def _resolve(target: str) -> Any:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


class LazyGroup(TyperGroup):
    """A group whose `entries` load on first use; `tenure --help` lists them from their help."""

    entries: ClassVar[tuple[Lazy, ...]] = ()
    _listing: bool = False

    def _top(self) -> dict[str, Lazy]:
        return {e.words[0]: e for e in self.entries if len(e.words) == 1}

    def list_commands(self, ctx: Any) -> list[str]:
        names = list(self._top())
        return names + [name for name in super().list_commands(ctx) if name not in names]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:  # noqa: ARG002 (click signature)
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        entry = self._top().get(cmd_name)
        if entry is None:
            return None
        if self._listing:
            # Help listing only: the help line without importing the module.
            return TyperCommand(name=cmd_name, help=entry.help, rich_markup_mode=None)
        command = entry.load()
        for child in self.entries:
            if len(child.words) == 2 and child.words[0] == cmd_name:
                command.add_command(child.load(), child.words[1])
        self.commands[cmd_name] = command
        return command

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except UsageError as error:
            # Typer suggests from the commands loaded so far; suggest from every name.
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if matches and "Did you mean" not in error.message:
                names = ", ".join(repr(m) for m in matches)
                error.message = f"{error.message.rstrip('.')}. Did you mean {names}?"
            raise

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def load_all(self, ctx: Any) -> None:
        """Import every sub-command (for tools that walk the whole tree, e.g. the docs check)."""
        for name in self.list_commands(ctx):
            self.get_command(ctx, name)


def lazy_group(*entries: Lazy, base: type[TyperGroup] = TyperGroup) -> type[LazyGroup]:
    """A LazyGroup class over these entries, on top of `base` (e.g. the error-handling group)."""
    return type("TenureRootGroup", (LazyGroup, base), {"entries": entries})
