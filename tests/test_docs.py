"""Docs cannot drift: every CLI command and every setting is documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tenure.cli import app
from tenure.config import Settings

DOCS = Path(__file__).resolve().parent.parent / "docs"


def command_paths(group: Any, ctx: Any, prefix: tuple[str, ...] = ()) -> list[str]:
    # list_commands/get_command, not `.commands`: the root group imports its sub-commands
    # only when they are looked up.
    paths: list[str] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if getattr(command, "hidden", False):
            continue
        if getattr(command, "commands", None):
            paths += command_paths(command, ctx, (*prefix, name))
        else:
            paths.append(" ".join(("tenure", *prefix, name)))
    return paths


def test_every_command_is_in_docs_cli_md():
    text = (DOCS / "cli.md").read_text()
    root = typer.main.get_command(app)
    commands = command_paths(root, typer.Context(root))
    assert "tenure import accounts" in commands
    missing = [c for c in commands if f"`{c}" not in text]
    assert missing == [], f"add these commands to docs/cli.md: {missing}"


def test_every_setting_is_documented():
    text = (DOCS / "configuration.md").read_text()
    missing = [
        f"TENURE_{name.upper()}"
        for name in Settings.model_fields
        if f"TENURE_{name.upper()}" not in text
    ]
    assert missing == [], f"add these settings to docs/configuration.md: {missing}"
