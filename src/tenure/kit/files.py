"""Reading import files: CSV or JSON Lines, row by row, with the line each row came from."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from tenure.kit.errors import TenureError

CSV_SUFFIXES = {".csv"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}


@dataclass(frozen=True)
class SourceRow:
    line: int  # the line in the file, as an editor shows it (a CSV header is line 1)
    values: dict[str, Any]


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    raise TenureError(f"{path}: unknown file type {suffix!r}: use .csv or .jsonl (JSON Lines)")


def require_file(path: Path) -> None:
    if not path.is_file():
        raise TenureError(f"{path}: no such file")


def read_header(path: Path) -> list[str]:
    """Column names of a CSV, or the union of keys of a JSON Lines file."""
    if file_format(path) == "csv":
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return [name.strip() for name in next(csv.reader(handle), [])]
    names: dict[str, None] = {}
    for row in read_rows(path):
        names.update(dict.fromkeys(row.values))
    return list(names)


def read_rows(path: Path) -> Iterator[SourceRow]:
    """Rows as dicts: CSV cells are strings with empty cells as None; JSON values as given."""
    require_file(path)
    if file_format(path) == "csv":
        yield from _csv_rows(path)
    else:
        yield from _jsonl_rows(path)


def _csv_rows(path: Path) -> Iterator[SourceRow]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError) as error:
            raise TenureError(f"{path}:1: cannot read the header: {error}") from None
        line = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as error:
                raise TenureError(f"{path}:{reader.line_num}: not valid CSV: {error}") from None
            line = reader.line_num
            if not cells:
                continue
            if len(cells) != len(header):
                raise TenureError(
                    f"{path}:{line}: has {len(cells)} cells where the header has {len(header)}"
                )
            yield SourceRow(
                line,
                {k: (v if v.strip() != "" else None) for k, v in zip(header, cells, strict=True)},
            )


def _jsonl_rows(path: Path) -> Iterator[SourceRow]:
    with open(path, "rb") as handle:
        for line, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError as error:
                raise TenureError(f"{path}:{line}: not valid JSON: {error}") from None
            if not isinstance(value, dict):
                raise TenureError(f"{path}:{line}: expected a JSON object on each line")
            yield SourceRow(line, value)
