"""Checking a TOML configuration file whole: every problem reported as `FILE:LINE: name: why`.

Scorecards, the metric catalogue and playbook libraries are TOML files a person writes by hand.
Each reader parses with `parse_toml`, walks the data with one `TomlChecker` (which finds the line
of any key path through `tenure.kit.toml_lines`), and calls `refuse` at the end: the user sees
every mistake of the file at once, in one format, and nothing is loaded from a file with a
mistake in it.

`name` is what the user reads for a key: by default the key path as TOML writes it
(`metrics[2].window_days`); a reader may name items by their own key instead
(`components[support].weight`), which reads better than an index.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

from tenure.kit.errors import TenureError
from tenure.kit.toml_lines import Path, first_repeat, key_lines, line_of


def path_name(path: Path) -> str:
    """A key path as TOML writes it: ("metrics", 0, "name") -> metrics[0].name (indexes as
    written in the path)."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def join(name: str, key: str) -> str:
    return f"{name}.{key}" if name else key


def syntax_problem(error: tomllib.TOMLDecodeError, text: str, file: str) -> str:
    """A TOML syntax error as one problem line, with the line and the key it is on."""
    found = re.search(r"line (\d+)", str(error))
    line = int(found.group(1)) if found else None
    repeat = first_repeat(text) if line is None else None
    if repeat is not None:
        path, line = repeat
        return f"{file}:{line}: {path_name(path)}: defined twice (bad TOML)"
    key = ""
    lines = text.splitlines()
    if line is not None and 0 < line <= len(lines):
        found = re.match(r"\s*([A-Za-z0-9_.\"'-]+)\s*=", lines[line - 1])
        key = found.group(1) if found else lines[line - 1].strip()[:40]
    where = f"{file}:{line}" if line else file
    message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error)) or "invalid TOML"
    return f"{where}: {key or 'TOML'}: {message} (bad TOML)"


def parse_toml(text: str, file: str, refused: str) -> tuple[dict[str, Any], TomlChecker]:
    """The parsed file and a checker for it; bad TOML raises TenureError(`FILE: refused`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise TenureError(
            f"{file}: {refused}", problems=[syntax_problem(error, text, file)]
        ) from None
    return data, TomlChecker(text, file, refused)


class TomlChecker:
    """Collects every problem in one file, each as `FILE:LINE: name: why`."""

    def __init__(self, text: str, file: str, refused: str = "refused"):
        self.file = file
        self.refused = refused
        self.lines = key_lines(text)
        self.problems: list[str] = []

    def problem(self, path: Path, name: str | None, why: str) -> None:
        """Record a problem at `path` (its line, or its closest enclosing key's); `name` None
        shows the path itself."""
        line = line_of(self.lines, path)
        where = f"{self.file}:{line}" if line else self.file
        self.problems.append(f"{where}: {path_name(path) if name is None else name}: {why}")

    def refuse(self) -> None:
        """Raise TenureError listing every problem found, if any."""
        if self.problems:
            raise TenureError(f"{self.file}: {self.refused}", problems=self.problems)

    def keys(
        self, data: Mapping[str, Any], allowed: Sequence[str], path: Path, name: str | None = None
    ) -> None:
        for key in data:
            if key not in allowed:
                self.problem(
                    (*path, key),
                    None if name is None else join(name, key),
                    f"unknown key; expected one of {', '.join(allowed)}",
                )

    def number(
        self,
        data: Mapping[str, Any],
        key: str,
        path: Path,
        name: str | None = None,
        default: float | None = None,
        minimum: float | None = None,
        maximum: float | None = None,
        above: float | None = None,
    ) -> float | None:
        """A number (an int is taken as a float); missing is a problem unless there is a
        default. `minimum` and `maximum` are inclusive, `above` is not."""
        where = (*path, key)
        shown = None if name is None else join(name, key)
        if key not in data:
            if default is None:
                self.problem(where, shown, "missing")
            return default
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(where, shown, f"{value!r} is not a number")
            return default
        if minimum is not None and value < minimum:
            self.problem(where, shown, f"{value} is below {minimum:g}")
            return default
        if maximum is not None and value > maximum:
            self.problem(where, shown, f"{value} is above {maximum:g}")
            return default
        if above is not None and value <= above:
            self.problem(where, shown, f"{value} must be above {above:g}")
            return default
        return float(value)

    def integer(
        self,
        data: Mapping[str, Any],
        key: str,
        path: Path,
        name: str | None,
        default: int,
        minimum: int,
        maximum: int | None = None,
    ) -> int:
        value = data.get(key, default)
        where = (*path, key)
        shown = None if name is None else join(name, key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(where, shown, f"{value!r} is not a whole number")
            return default
        if value < minimum:
            self.problem(where, shown, f"{value} is below {minimum}")
            return default
        if maximum is not None and value > maximum:
            self.problem(where, shown, f"{value} is above {maximum}")
            return default
        return value

    def text(self, data: Mapping[str, Any], key: str, path: Path, name: str | None = None) -> str:
        value = data.get(key, "")
        if not isinstance(value, str):
            self.problem(
                (*path, key),
                None if name is None else join(name, key),
                (f"{value!r} is not a string"),
            )
            return ""
        return value

    def boolean(
        self, data: Mapping[str, Any], key: str, path: Path, name: str | None, default: bool
    ) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            shown = None if name is None else join(name, key)
            self.problem((*path, key), shown, f"{value!r} is not true or false")
            return default
        return value

    def table(self, data: Mapping[str, Any], key: str, path: Path) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.problem((*path, key), key, "should be a table, e.g. [" + key + "]")
            return {}
        return value

    def strings(
        self, data: Mapping[str, Any], key: str, path: Path, name: str | None = None
    ) -> tuple[str, ...]:
        value = data.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            shown = None if name is None else join(name, key)
            self.problem((*path, key), shown, "should be a string or a list of them")
            return ()
        return tuple(value)
