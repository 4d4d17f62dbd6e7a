"""Reading import files: CSV or JSON Lines, row by row, with the line each row came from."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from tenure.kit.errors import TenureError

CSV_SUFFIXES = {".csv"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
BOM = b"\xef\xbb\xbf"


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


def _text_lines(path: Path, handle: BinaryIO) -> Iterator[str]:
    """The file's lines decoded one by one, so a byte that is not UTF-8 (a file saved as
    latin-1 or Windows-1252) is reported on the line it is on, not as a decoder traceback."""
    for line, raw in enumerate(handle, start=1):
        if line == 1:
            raw = raw.removeprefix(BOM)
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as error:
            byte = raw[error.start]
            raise TenureError(
                f"{path}:{line}: byte 0x{byte:02x} (position {error.start + 1}) is not UTF-8: "
                "save the file as UTF-8 (e.g. from a spreadsheet: CSV UTF-8)"
            ) from None


def check_utf8(path: Path) -> None:
    """Raise a FILE:LINE error at the first byte that is not UTF-8 (for readers that are not
    Python's, such as DuckDB's, whose own message would be a page long)."""
    with open(path, "rb") as handle:
        for _ in _text_lines(path, handle):
            pass


def read_header(path: Path) -> list[str]:
    """Column names of a CSV, or the union of keys of a JSON Lines file."""
    if file_format(path) == "csv":
        with open(path, "rb") as handle:
            try:
                header = next(csv.reader(_text_lines(path, handle)), [])
            except csv.Error as error:
                raise TenureError(f"{path}:1: cannot read the header: {error}") from None
            return [name.strip() for name in header]
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
    with open(path, "rb") as handle:
        reader = csv.reader(_text_lines(path, handle))
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            return
        except csv.Error as error:
            raise TenureError(f"{path}:1: cannot read the header: {error}") from None
        line = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
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
