"""Where a key sits in a TOML text, so that a mistake found after parsing can name its line.

`tomllib` gives line numbers for syntax errors only. This scanner follows table headers
(`[a]`, `[[a.b]]`) and `key = value` lines well enough for hand-written configuration files,
and maps each key path, e.g. ("components", 1, "measures", 0, "method"), to its line (1-based).
"""

from __future__ import annotations

import re

Path = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def _split_key(dotted: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", dotted)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


def _depth_change(value: str) -> int:
    """Open minus closed brackets and braces outside strings and comments on one line."""
    depth = 0
    quote: str | None = None
    for char in value:
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
    return depth


def key_lines(text: str) -> dict[Path, int]:
    """Line of every table and key in `text`, by key path (array items by index)."""
    return _scan(text)[0]


def first_repeat(text: str) -> tuple[Path, int] | None:
    """The first key or table defined twice, and the line of its second definition
    (tomllib reports that mistake without a line)."""
    repeats = _scan(text)[1]
    return repeats[0] if repeats else None


def _scan(text: str) -> tuple[dict[Path, int], list[tuple[Path, int]]]:
    lines: dict[Path, int] = {}
    repeats: list[tuple[Path, int]] = []
    counts: dict[Path, int] = {}
    table: Path = ()
    depth = 0
    in_multiline_string: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline_string:
            if line.count(in_multiline_string) % 2 == 1:
                in_multiline_string = None
            continue
        if depth > 0:  # inside a value that spans lines
            depth += _depth_change(line)
            continue
        header = _HEADER.match(line)
        if header:
            parts = _split_key(header.group(2))
            if header.group(1) == "[[":
                array = (*_resolve(parts[:-1], counts), parts[-1])
                index = counts.get(array, 0)
                counts[array] = index + 1
                table = (*array, index)
            else:
                table = _resolve(parts, counts)
                if table in lines:
                    repeats.append((table, number))
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            path = (*table, *_split_key(key.group(1)))
            if path in lines:
                repeats.append((path, number))
            lines.setdefault(path, number)
            value = line[key.end() :]
            for marker in ('"""', "'''"):
                if value.count(marker) == 1:
                    in_multiline_string = marker
            if not in_multiline_string:
                depth = max(0, _depth_change(value))
    return lines, repeats


def _resolve(parts: list[str], counts: dict[Path, int]) -> Path:
    """A header's path, with the current index of every array of tables along it."""
    path: Path = ()
    for part in parts:
        path = (*path, part)
        if path in counts:
            path = (*path, counts[path] - 1)
    return path


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of `path`, or of its closest enclosing table or key."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None
