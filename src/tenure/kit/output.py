"""Printing data: `--format table|json|csv` on stdout; messages go to stderr.

JSON output is an array of records, or one object of named arrays for commands that return
several parts (docs/architecture.md, "JSON output").
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

Record = Mapping[str, Any]
# Given a column and a value, the Rich style of its cell (e.g. red/amber/green bands).
Styler = Callable[[str, Any], str | None]

# Messages are never wrapped: a `FILE:ROW: column: value: why` line with a long path stays one
# line in a log or a pipe (Rich would break it at 80 columns there).
stderr = Console(stderr=True, soft_wrap=True)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def to_json(value: Any) -> bytes:
    return orjson.dumps(
        value, default=_default, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:g}"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, dict | list):
        return orjson.dumps(value, default=_default).decode()
    return str(value)


def _columns(records: Sequence[Record], columns: Sequence[str] | None) -> list[str]:
    if columns is not None:
        return list(columns)
    seen: dict[str, None] = {}
    for record in records:
        seen.update(dict.fromkeys(record))
    return list(seen)


def render_table(
    records: Sequence[Record],
    columns: Sequence[str] | None = None,
    title: str | None = None,
    styler: Styler | None = None,
) -> Table:
    names = _columns(records, columns)
    table = Table(title=title, title_justify="left", header_style="bold")
    for name in names:
        table.add_column(name)
    for record in records:
        cells = []
        for name in names:
            value = record.get(name)
            style = styler(name, value) if styler else None
            text = _cell(value)
            cells.append(f"[{style}]{text}[/]" if style and text else text)
        table.add_row(*cells)
    return table


def neutralise(value: Any) -> Any:
    """Text as a spreadsheet shows it but never runs it; anything else unchanged."""
    return spreadsheet_safe(value) if isinstance(value, str) else value


def csv_text(records: Sequence[Record], columns: Sequence[str] | None = None) -> str:
    """Records as CSV. Every CSV may end up in a spreadsheet (a download, a `--format csv` piped to
    a file): text that a spreadsheet would run as a formula is made plain text."""
    names = _columns(records, columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for record in records:
        writer.writerow(
            [
                orjson.dumps(v, default=_default).decode()
                if isinstance(v, dict | list)
                else _csv(neutralise(v))
                for v in (record.get(n) for n in names)
            ]
        )
    return buffer.getvalue()


# What makes a spreadsheet read a cell as a formula (OWASP "CSV injection"): = + - @, and a tab
# or carriage return in front of them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """`text` with a leading quote when a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _stdout_console() -> Console:
    # Piped into a file or `less`, a table keeps its columns whole instead of 80 wide.
    console = Console(soft_wrap=False)
    if not console.is_terminal:
        console = Console(soft_wrap=False, width=200)
    return console


def _vertical(record: Record, title: str) -> Table:
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for name, value in record.items():
        table.add_row(name, _cell(value))
    return table


def emit(
    records: Sequence[Record],
    fmt: OutputFormat,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    styler: Styler | None = None,
) -> None:
    """Print records to stdout in the chosen format."""
    if fmt is OutputFormat.json:
        sys.stdout.buffer.write(to_json(list(records)) + b"\n")
    elif fmt is OutputFormat.csv:
        sys.stdout.write(csv_text(records, columns))
    else:
        _stdout_console().print(render_table(records, columns, title, styler))
    sys.stdout.flush()


def emit_parts(
    parts: Mapping[str, Sequence[Record]],
    fmt: OutputFormat,
    columns: Mapping[str, Sequence[str]] | None = None,
    styler: Styler | None = None,
) -> None:
    """Print several named parts: one JSON object of arrays, titled tables, or CSV blocks
    each headed by a `# part` line."""
    columns = columns or {}
    if fmt is OutputFormat.json:
        sys.stdout.buffer.write(to_json({k: list(v) for k, v in parts.items()}) + b"\n")
    elif fmt is OutputFormat.csv:
        blocks = [f"# {name}\n{csv_text(rows, columns.get(name))}" for name, rows in parts.items()]
        sys.stdout.write("\n".join(blocks))
    else:
        console = _stdout_console()
        for name, rows in parts.items():
            if not rows:
                console.print(f"[bold]{name}[/]: none")
            elif len(rows) == 1 and name not in columns:
                console.print(_vertical(rows[0], name))
            else:
                console.print(render_table(rows, columns.get(name), name, styler))
    sys.stdout.flush()
