"""`tenure import metrics FILE`: a metrics series (account_external_id, metric, date, value)
checked and upserted in bulk. Millions of rows, so the checks run as DuckDB queries over the
whole file rather than row by row in Python."""

from __future__ import annotations

from pathlib import Path

import duckdb
import orjson
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.kit.bounds import DAY_RANGE, MAX_DAY, MIN_DAY
from tenure.kit.errors import TenureError
from tenure.kit.files import check_utf8, file_format
from tenure.kit.metric_names import METRIC_NAME
from tenure.kit.progress import progress_bar
from tenure.models import Account
from tenure.warehouse import Warehouse

COLUMNS = ("account_external_id", "metric", "date", "value")
# Each check: the column it names, a DuckDB condition that is true for a bad row, and why.
CHECKS = (
    ("account_external_id", "account_external_id IS NULL", "required"),
    ("account_external_id", "NOT known", "no such account (import accounts first)"),
    ("metric", "metric IS NULL", "required"),
    (
        "metric",
        f"NOT regexp_full_match(metric, '{METRIC_NAME.pattern.strip('^$')}') "
        "OR length(metric) > 100",
        "a metric name is snake_case: lower-case letters, digits and _ (e.g. logins_28d)",
    ),
    ("date", "date IS NULL", "required"),
    ("date", "date IS NOT NULL AND TRY_CAST(date AS DATE) IS NULL", "not a date (YYYY-MM-DD)"),
    (
        "date",
        f"TRY_CAST(date AS DATE) NOT BETWEEN DATE '{MIN_DAY}' AND DATE '{MAX_DAY}'",
        f"not {DAY_RANGE}",
    ),
    (
        "value",
        "value IS NOT NULL AND (TRY_CAST(value AS DOUBLE) IS NULL "
        "OR NOT isfinite(TRY_CAST(value AS DOUBLE)))",
        "not a number",
    ),
)


def import_metrics(session: Session, warehouse: Warehouse, path: Path) -> tuple[int, int, int, int]:
    """Returns (rows, created, updated, unchanged); raises listing every bad row."""
    with progress_bar(f"importing {path.name}", total=4) as bar, duckdb.connect() as con:
        bar.describe(f"reading {path.name}")
        _load_raw(con, path)
        bar.advance()
        bar.describe(f"checking {path.name}")
        known = session.execute(select(Account.external_id)).scalars().all()
        con.register("known_accounts", pa.table({"external_id": pa.array(known, pa.string())}))
        problems = _problems(con, path)
        if problems:
            raise TenureError(
                f"{path}: refused, nothing imported ({len(problems)} problems):", problems=problems
            )
        bar.advance()
        rows = con.sql(
            "SELECT account_external_id, metric, CAST(date AS DATE) AS date, "
            "CAST(value AS DOUBLE) AS value FROM raw"
        ).to_arrow_table()
        bar.advance()
        bar.describe(f"writing {path.name}")
        result = warehouse.metrics.write(rows)
        bar.advance()
    return rows.num_rows, result.created, result.updated, result.unchanged


def _load_raw(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A table `raw(line, account_external_id, metric, date, value)` of trimmed text."""
    if file_format(path) == "csv":
        check_utf8(path)
        try:
            header = con.sql(
                "SELECT * FROM read_csv(?, all_varchar = true, header = true) LIMIT 0",
                params=[str(path)],
            ).columns
        except duckdb.Error as error:
            raise TenureError(f"{path}: not a readable CSV file: {_first_line(error)}") from None
        _check_header(path, header)
        # A CSV header is line 1, so data row n sits on line n + 1 (quoted cells holding
        # line breaks aside, which metrics never have).
        source = (
            "SELECT row_number() OVER () + 1 AS line, * FROM "
            "read_csv(?, all_varchar = true, header = true, quote = '\"')"
        )
        params: list[object] = [str(path)]
    else:
        con.register("jsonl", _jsonl_table(path))
        source = "SELECT * FROM jsonl"
        params = []
    try:
        con.execute(
            "CREATE TABLE raw AS SELECT line, "
            + ", ".join(f"nullif(trim({c}), '') AS {c}" for c in COLUMNS)
            + f" FROM ({source})",
            params,
        )
    except duckdb.Error as error:
        raise TenureError(f"{path}: not a readable CSV file: {_first_line(error)}") from None


def _first_line(error: Exception) -> str:
    # DuckDB's message goes on for a page of reader options after the line that matters.
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _check_header(path: Path, header: list[str]) -> None:
    names = [h.strip() for h in header]
    problems = [f"{path}:1: {c}: missing column (required)" for c in COLUMNS if c not in names]
    problems += [
        f"{path}:1: {c}: unknown column (expected: {', '.join(COLUMNS)})"
        for c in names
        if c not in COLUMNS
    ]
    if problems:
        raise TenureError(f"{path}: refused, nothing imported:", problems=problems)


def _jsonl_table(path: Path) -> pa.Table:
    columns: dict[str, list[object]] = {c: [] for c in ("line", *COLUMNS)}
    problems: list[str] = []
    with open(path, "rb") as handle:
        for line, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = orjson.loads(raw)
            except orjson.JSONDecodeError as error:
                problems.append(f"{path}:{line}: not valid JSON: {error}")
                continue
            if not isinstance(record, dict):
                problems.append(f"{path}:{line}: expected a JSON object")
                continue
            for key in record.keys() - set(COLUMNS):
                problems.append(
                    f"{path}:{line}: {key}: unknown field (expected: {', '.join(COLUMNS)})"
                )
            columns["line"].append(line)
            for c in COLUMNS:
                value = record.get(c)
                columns[c].append(None if value is None else str(value))
    if problems:
        raise TenureError(
            f"{path}: refused, nothing imported ({len(problems)} problems):", problems=problems
        )
    return pa.table(
        {"line": pa.array(columns["line"], pa.int64())}
        | {c: pa.array(columns[c], pa.string()) for c in COLUMNS}
    )


def _problems(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    con.execute(
        "CREATE TABLE checked AS SELECT raw.*, k.external_id IS NOT NULL AS known FROM raw "
        "LEFT JOIN known_accounts k ON raw.account_external_id = k.external_id"
    )
    checks = " UNION ALL ".join(
        f"SELECT line, {i} AS check_no, {column} AS value FROM checked WHERE {condition}"
        for i, (column, condition, _why) in enumerate(CHECKS)
    )
    found = con.sql(f"SELECT * FROM ({checks}) ORDER BY line, check_no").fetchall()
    problems: list[str] = []
    for line, check_no, value in found:
        column, _condition, why = CHECKS[check_no]
        shown = "(empty)" if value is None else repr(value)
        problems.append(f"{path}:{line}: {column}: {shown}: {why}")
    duplicates = con.sql(
        "SELECT min(line), max(line), account_external_id, metric, date FROM checked "
        "WHERE account_external_id IS NOT NULL AND metric IS NOT NULL AND date IS NOT NULL "
        "GROUP BY account_external_id, metric, TRY_CAST(date AS DATE), date "
        "HAVING count(*) > 1 ORDER BY 1"
    ).fetchall()
    for first, last, account, metric, day in duplicates:
        problems.append(
            f"{path}:{last}: date: {day!r}: {metric} of {account} for this day also on row {first}"
        )
    return problems
