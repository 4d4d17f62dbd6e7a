"""The root command: quick to start, and its help lines are the sub-commands' own."""

from __future__ import annotations

import os
import subprocess
import sys

import typer
from typer.testing import CliRunner

from tenure.cli import SUBCOMMANDS, app

HEAVY = ("pandas", "ibis", "sklearn", "ortools", "duckdb", "sqlalchemy", "alembic", "pyarrow")


def test_importing_the_cli_loads_no_heavy_library():
    code = "import sys, tenure.cli; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert [m for m in HEAVY if m in loaded] == []


def test_help_lists_every_sub_command_without_importing_it():
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom tenure.cli import app\n"
        "out = CliRunner().invoke(app, ['--help']).output\n"
        "print(out)\nprint('MODULES', ' '.join(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    help_text, modules = out.split("MODULES")
    for entry in SUBCOMMANDS:
        if " " not in entry.path:
            assert f" {entry.path} " in help_text
    assert "tenure.accounts.cli" not in modules.split()
    assert [m for m in HEAVY if m in modules.split()] == []


def test_the_help_lines_match_the_commands_own():
    runner = CliRunner()
    lazy = runner.invoke(app, ["--help"], terminal_width=200).output
    root = typer.main.get_command(app)
    ctx = typer.Context(root)
    root.load_all(ctx)  # type: ignore[attr-defined]
    loaded = {name: root.get_command(ctx, name) for name in root.list_commands(ctx)}
    for entry in SUBCOMMANDS:
        if " " in entry.path:
            continue
        real = loaded[entry.path]
        assert real is not None
        first_paragraph = " ".join((real.help or "").split("\n\n")[0].split())
        assert entry.help == first_paragraph, entry.path
    # The nested ones are attached to their group.
    assert "backtest" in loaded["health"].commands  # type: ignore[union-attr]
    assert "events" in loaded["import"].commands  # type: ignore[union-attr]
    assert "Commands" in lazy


def test_a_sub_command_runs_and_an_unknown_one_is_refused():
    runner = CliRunner()
    shown = runner.invoke(app, ["accounts", "--help"])
    assert shown.exit_code == 0
    assert "show" in shown.output
    wrong = runner.invoke(app, ["acounts"])
    assert wrong.exit_code != 0
    assert "accounts" in wrong.output


def test_a_module_can_add_commands_to_another_domains_group():
    from tenure.kit.lazy_cli import Lazy

    entry = Lazy("sandbox", "tests.test_cli:SANDBOX", extend=("tests.test_cli:_add_hello",))
    group = entry.load()
    assert sorted(group.commands) == ["hello", "list"]


# A group of its own (extending a real one would leave a command in it for later tests).
SANDBOX = typer.Typer()


@SANDBOX.command("list")
def _list() -> None:
    """List nothing (a test command)."""


def _add_hello(app: typer.Typer) -> None:
    @app.command("hello")
    def hello() -> None:
        """Say hello (a test command)."""


def test_accounts_show_loads_no_analytics_library(tmp_path):
    """`tenure accounts show` answers in under a second: it reads the database and a few
    metric values, so none of pandas, Ibis, scikit-learn, OR-Tools, PyArrow or NumPy loads."""
    (tmp_path / "accounts.csv").write_text("external_id,name\nacme,Acme\n")
    env = {**os.environ, "TENURE_DATA_DIR": str(tmp_path / "data")}
    tenure = [sys.executable, "-m", "tenure.cli"]
    subprocess.run([*tenure, "init"], env=env, capture_output=True, check=True)
    imported = [*tenure, "import", "accounts", str(tmp_path / "accounts.csv")]
    subprocess.run(imported, env=env, capture_output=True, check=True)
    code = (
        "import sys\nfrom tenure.cli import main\nsys.argv = ['tenure', 'accounts', 'show', "
        "'acme']\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    shown, modules = out.split("MODULES")
    assert "Acme" in shown
    heavy = ("pandas", "ibis", "sklearn", "ortools", "pyarrow", "numpy")
    assert [m for m in heavy if m in modules.split()] == []
