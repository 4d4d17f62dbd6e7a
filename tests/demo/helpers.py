"""Running `tenure demo generate` in process and reading what it wrote."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

AS_OF = "2026-11-23"


def generate(out: Path, *args: str, as_of: str | None = AS_OF) -> Path:
    from tenure.cli import app

    command = ["demo", "generate", "--out", str(out), *args]
    if as_of is not None:
        command += ["--as-of", as_of]
    result = CliRunner().invoke(app, command, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return out


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def header(path: Path) -> list[str]:
    with open(path, newline="") as handle:
        return next(csv.reader(handle))
