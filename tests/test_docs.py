"""Docs cannot drift: every CLI command, option and setting is documented as it is, the TOML
examples are accepted, the paths named exist, and nothing points outside the repository."""

from __future__ import annotations

import re
import tomllib
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer

from tenure.cli import app
from tenure.config import Settings
from tenure.kit.errors import TenureError

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


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


# -- options: docs/cli.md against each command's --help ---------------------------------------

# The intro of docs/cli.md says it once for all: every command that prints data takes these.
COMMON_FORMATS = {"table", "json", "csv"}


def commands() -> dict[str, Any]:
    found: dict[str, Any] = {}

    def walk(group: Any, prefix: tuple[str, ...]) -> None:
        for name, command in group.commands.items():
            if getattr(command, "hidden", False):
                continue
            if getattr(command, "commands", None):
                walk(command, (*prefix, name))
            else:
                found[" ".join(("tenure", *prefix, name))] = command

    walk(typer.main.get_command(app), ())
    return found


def documented_usages() -> dict[str, list[str]]:
    """Each command's usage spans in docs/cli.md (`tenure x y [--opt V]`), by command."""
    known = commands()
    usages: dict[str, list[str]] = {}
    for span in re.findall(r"`(tenure [^`]*)`", (DOCS / "cli.md").read_text()):
        words = span.split()
        for end in range(len(words), 1, -1):
            name = " ".join(words[:end])
            if name in known:
                usages.setdefault(name, []).append(span)
                break
    return usages


def options(command: Any) -> list[Any]:
    return [p for p in command.params if p.param_type_name == "option" and not p.hidden]


def needs_its_own_mention(option: Any) -> bool:
    """Every option but a `--format` that offers only the common formats."""
    if "--format" not in option.opts:
        return True
    annotation = getattr(getattr(option, "type_descriptor", None), "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return not {m.value for m in annotation} <= COMMON_FORMATS
    choices = getattr(getattr(option, "type", None), "choices", None)
    return choices is None or not set(choices) <= COMMON_FORMATS


def test_every_option_of_every_command_is_in_docs_cli_md():
    usages = documented_usages()
    missing = {
        name: missing_options
        for name, command in commands().items()
        if (
            missing_options := [
                flag
                for option in options(command)
                if needs_its_own_mention(option)
                for flag in option.opts
                if flag.startswith("--") and flag not in " ".join(usages.get(name, []))
            ]
        )
    }
    assert missing == {}, f"document these options in docs/cli.md: {missing}"


def test_every_option_in_docs_cli_md_exists():
    known = commands()
    wrong = {}
    for name, spans in documented_usages().items():
        flags = {"--help"} | {
            flag for p in known[name].params for flag in (*p.opts, *p.secondary_opts)
        }
        if bad := sorted(set(re.findall(r"--[a-z][a-z0-9-]*", " ".join(spans))) - flags):
            wrong[name] = bad
    assert wrong == {}, f"docs/cli.md names options these commands do not have: {wrong}"


# -- settings: docs/configuration.md against Settings -----------------------------------------


def configuration_rows() -> dict[str, str]:
    """`TENURE_X` -> its default cell, from the tables of docs/configuration.md."""
    rows = {}
    for line in (DOCS / "configuration.md").read_text().splitlines():
        found = re.match(r"\|\s*`(TENURE_[A-Z0-9_]+)`\s*\|([^|]*)\|", line)
        if found:
            rows[found.group(1)] = found.group(2).strip()
    return rows


def test_every_documented_setting_exists_with_its_default():
    rows = configuration_rows()
    fields = {f"TENURE_{name.upper()}": field for name, field in Settings.model_fields.items()}
    assert sorted(set(rows) - set(fields)) == [], "docs/configuration.md names unknown settings"
    assert sorted(set(fields) - set(rows)) == [], "give these settings a row with their default"
    wrong = {}
    for variable, field in fields.items():
        default = field.default
        # Plain values must be shown as they are; None, paths and collections are described.
        if isinstance(default, bool):  # as the environment variable is written
            shown = "true" if default else "false"
        else:
            shown = f"{default:g}" if isinstance(default, float) else str(default)
        if isinstance(default, bool | int | float | str) and shown not in rows[variable]:
            wrong[variable] = (default, rows[variable])
    assert wrong == {}, f"docs/configuration.md shows other defaults than Settings: {wrong}"


# -- TOML examples ------------------------------------------------------------------------------

MARKDOWN = sorted(DOCS.glob("*.md")) + [ROOT / "README.md", ROOT / "CONTRIBUTING.md"]


def toml_examples() -> list[tuple[str, int, str]]:
    examples = []
    for path in MARKDOWN:
        text = path.read_text()
        for found in re.finditer(r"^```toml\n(.*?)^```", text, re.DOTALL | re.MULTILINE):
            line = text[: found.start()].count("\n") + 2
            examples.append((path.name, line, found.group(1)))
    return examples


def test_the_docs_have_toml_examples_of_each_kind():
    kinds = {kind_of(tomllib.loads(text)) for _, _, text in toml_examples()}
    assert {"scorecard", "catalogue", "playbooks"} <= kinds


def kind_of(data: dict[str, Any]) -> str:
    if "components" in data:
        return "scorecard"
    if "metrics" in data:
        return "catalogue"
    if "activities" in data or "playbooks" in data:
        return "playbooks"
    return "other"


@pytest.mark.parametrize(("file", "line", "text"), toml_examples())
def test_toml_examples_in_the_docs_are_accepted(file: str, line: int, text: str):
    from tenure.health.scorecards import parse_scorecard
    from tenure.plans.playbooks import parse_library
    from tenure.usage.catalogue import parse_catalogue

    where = f"{file}:{line}"
    data = tomllib.loads(text)  # a syntax error fails here, naming the line
    kind = kind_of(data)
    if kind == "scorecard":
        parse_scorecard(text, where)
    elif kind == "catalogue":
        parse_catalogue(text, where)
    elif kind == "playbooks":
        # The library example shows one activity of each kind and playbooks that name the
        # shipped library's other activities: only those references may be missing.
        with pytest.raises(TenureError) as caught:
            parse_library(text, where)
        others = [p for p in caught.value.problems if "no such activity" not in p]
        assert others == [], others
        shipped = set(parse_library(default_playbooks(), "default").activities)
        named = {a for p in data.get("playbooks", []) for a in p.get("activities", [])}
        assert named - set(data.get("activities", {})) <= shipped


def default_playbooks() -> str:
    return (ROOT / "src" / "tenure" / "plans" / "default_playbooks.toml").read_text()


# -- module paths ----------------------------------------------------------------------------------

PATH = re.compile(r"(?<![\w/.])((?:src/tenure|tests|bench|migrations|scripts)/[\w./-]*\w)")
DOTTED = re.compile(r"`(tenure(?:\.\w+)+)`")


def test_module_paths_named_in_the_docs_exist():
    missing = []
    for doc in MARKDOWN:
        text = doc.read_text()
        for name in PATH.findall(text):
            if re.search(r"\b[A-Z]{2,}\b", name):  # a placeholder: bench/NAME.py
                continue
            if not (ROOT / name).exists():
                missing.append(f"{doc.name}: {name}")
        for dotted in DOTTED.findall(text):
            if not dotted_exists(dotted):
                missing.append(f"{doc.name}: {dotted}")
    assert missing == [], f"the docs name paths that do not exist: {missing}"


def dotted_exists(dotted: str) -> bool:
    """A module, or a name inside one (`tenure.kit.errors.TenureError`)."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        base = ROOT / "src" / Path(*parts[:end])
        if base.with_suffix(".py").exists() or (base / "__init__.py").exists():
            return True
    return False


# -- nothing outside the repository ----------------------------------------------------------

OUTSIDE = re.compile(r"DESIGN\.md|\.\./shared|/work/shared|\bissues? #?\d+|\bthe issue'?s?\b", re.I)
# Files another change owns for now; their wording is fixed there.
NOT_YET: set[str] = set()


def test_nothing_refers_to_documents_or_tickets_outside_the_repository():
    found = []
    for folder in ("src", "docs", "tests", "bench", "migrations"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in {".py", ".md", ".html", ".toml", ".txt", ".css", ".js"}:
                continue
            relative = str(path.relative_to(ROOT))
            if relative in NOT_YET or path == Path(__file__).resolve():
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if OUTSIDE.search(line):
                    found.append(f"{relative}:{number}: {line.strip()}")
    for name in ("README.md", "CONTRIBUTING.md", "pyproject.toml", "Makefile"):
        text = (ROOT / name).read_text()
        found += [f"{name}: {m}" for m in OUTSIDE.findall(text)]
    assert found == [], "\n".join(found)
