"""`tenure import KIND FILE`: idempotent, all-or-nothing imports of CSV and JSON Lines.

A file is read and checked whole before anything is written; any bad row refuses the whole
file with every problem listed as `FILE:ROW: column: value: why`. Rows are upserted on their
external ids (metrics on account + metric + date), so importing a file twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from tenure.accounts.schemas import (
    ROW_CHECK_COLUMNS,
    AccountRow,
    ChildRow,
    ContactRow,
    ContractRow,
    ImportRow,
    SurveyRow,
    TicketRow,
)
from tenure.kit.errors import TenureError
from tenure.kit.files import SourceRow, read_header, read_rows, require_file
from tenure.kit.progress import progress_bar
from tenure.models import Account, Base, Contact, Contract, SurveyResponse, Ticket
from tenure.users.service import ensure_csms
from tenure.warehouse import Warehouse

CHUNK = 500


class ImportKind(StrEnum):
    accounts = "accounts"
    contracts = "contracts"
    contacts = "contacts"
    metrics = "metrics"
    tickets = "tickets"
    surveys = "surveys"


@dataclass(frozen=True)
class ImportResult:
    kind: str
    file: str
    rows: int
    created: int
    updated: int
    unchanged: int

    def summary(self) -> str:
        return (
            f"{self.file}: {self.rows} {self.kind} rows: {self.created} created, "
            f"{self.updated} updated, {self.unchanged} unchanged"
        )


@dataclass(frozen=True)
class EntitySpec:
    model: type[Base]
    row: type[ImportRow]


SPECS: dict[ImportKind, EntitySpec] = {
    ImportKind.accounts: EntitySpec(Account, AccountRow),
    ImportKind.contracts: EntitySpec(Contract, ContractRow),
    ImportKind.contacts: EntitySpec(Contact, ContactRow),
    ImportKind.tickets: EntitySpec(Ticket, TicketRow),
    ImportKind.surveys: EntitySpec(SurveyResponse, SurveyRow),
}


def show(value: Any) -> str:
    """A cell value as it appears in a problem message."""
    if value is None:
        return "(empty)"
    text = value if isinstance(value, str) else repr(value)
    return repr(text[:80] + "…") if len(text) > 80 else repr(text)


def problem(path: Path, line: int, column: str, value: Any, why: str) -> str:
    return f"{path}:{line}: {column}: {show(value)}: {why}"


def refuse(path: Path, problems: list[str]) -> TenureError:
    count = f"{len(problems)} problem" + ("" if len(problems) == 1 else "s")
    return TenureError(f"{path}: refused, nothing imported ({count}):", problems=problems)


def import_file(
    session: Session, warehouse: Warehouse, kind: ImportKind | str, path: Path
) -> ImportResult:
    """Import one file of `kind`. Raises TenureError listing every problem, having written
    nothing, when any row is bad. Does not commit: the caller owns the unit of work."""
    kind = ImportKind(kind)
    require_file(path)
    if kind is ImportKind.metrics:
        # Imported here: it brings PyArrow, which the other accounts commands (loaded with
        # this module) never need.
        from tenure.accounts.metrics_import import import_metrics

        stats = import_metrics(session, warehouse, path)
        return ImportResult(kind.value, str(path), *stats)
    return _import_entities(session, SPECS[kind], kind, path)


def _import_entities(
    session: Session, spec: EntitySpec, kind: ImportKind, path: Path
) -> ImportResult:
    problems: list[str] = []
    columns = read_header(path)
    _check_columns(path, spec.row, columns, problems)
    rows, references = _validate(path, spec.row, problems)
    account_ids = _account_ids(session, path, references, problems)
    if problems:
        raise refuse(path, sorted(problems, key=_line_of))
    to_values = (
        _account_values(session, rows)
        if kind is ImportKind.accounts
        else _child_values(account_ids)
    )
    created, updated = _upsert(session, spec.model, [(r, to_values(r)) for _, r in rows])
    return ImportResult(
        kind.value, str(path), len(rows), created, updated, len(rows) - created - updated
    )


def _check_columns(
    path: Path, row_model: type[BaseModel], columns: Sequence[str], problems: list[str]
) -> None:
    fields = row_model.model_fields
    missing = [name for name, f in fields.items() if f.is_required() and name not in columns]
    for name in missing:
        problems.append(f"{path}:1: {name}: missing column (required)")
    if row_model.model_config.get("extra") == "forbid":
        for name in columns:
            if name not in fields:
                problems.append(f"{path}:1: {name}: unknown column (expected: {', '.join(fields)})")


def _line_of(message: str) -> int:
    """The row number of a `FILE:ROW: ...` problem, to list problems in file order."""
    parts = message.split(":")
    return next((int(p) for p in parts[1:] if p.isdigit()), 0)


def _validate(
    path: Path, row_model: type[ImportRow], problems: list[str]
) -> tuple[list[tuple[int, ImportRow]], list[tuple[int, str]]]:
    """Every row checked, problems appended; returns the good rows, and the account each
    row refers to (bad rows included, so that every problem is found in one pass)."""
    good: list[tuple[int, ImportRow]] = []
    references: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    with progress_bar(f"checking {path.name}", total=None) as bar:
        for source in read_rows(path):
            bar.advance()
            reference = source.values.get("account_external_id")
            if reference is not None and issubclass(row_model, ChildRow):
                references.append((source.line, str(reference).strip()))
            raw_id = source.values.get("external_id")
            if raw_id is not None:
                key = str(raw_id).strip()
                first = seen.setdefault(key, source.line)
                if first != source.line:
                    problems.append(
                        problem(path, source.line, "external_id", key, f"also on row {first}")
                    )
                    continue
            row = _parse(path, row_model, source, problems)
            if row is None:
                continue
            good.append((source.line, row))
    return good, references


def _parse(
    path: Path, row_model: type[ImportRow], source: SourceRow, problems: list[str]
) -> ImportRow | None:
    values = {k: v for k, v in source.values.items() if v is not None}
    try:
        return row_model.model_validate(values)
    except ValidationError as error:
        for detail in error.errors():
            column = (
                str(detail["loc"][0]) if detail["loc"] else ROW_CHECK_COLUMNS.get(row_model, "row")
            )
            why = detail["msg"].removeprefix("Value error, ")
            if detail["type"] == "missing":
                why = "required"
            elif detail["type"] == "extra_forbidden":
                continue  # reported once for the file by _check_columns
            problems.append(problem(path, source.line, column, source.values.get(column), why))
        return None


def _account_ids(
    session: Session, path: Path, references: list[tuple[int, str]], problems: list[str]
) -> dict[str, int]:
    found = _ids_by_external_id(session, Account.__table__, {ref for _, ref in references})
    for line, reference in references:
        if reference and reference not in found:
            problems.append(
                problem(
                    path,
                    line,
                    "account_external_id",
                    reference,
                    "no such account (import accounts first)",
                )
            )
    return found


def _ids_by_external_id(
    session: Session, table: Any, external_ids: Iterable[str]
) -> dict[str, int]:
    ids = sorted(external_ids)
    found: dict[str, int] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        query = select(table.c.external_id, table.c.id).where(table.c.external_id.in_(chunk))
        found.update((row.external_id, row.id) for row in session.execute(query))
    return found


RowValues = Callable[[ImportRow], dict[str, Any]]


def _child_values(account_ids: dict[str, int]) -> RowValues:
    def values(row: ImportRow) -> dict[str, Any]:
        assert isinstance(row, ChildRow)
        data = row.model_dump(exclude={"account_external_id"})
        data["account_id"] = account_ids[row.account_external_id]
        return data

    return values


def _account_values(session: Session, rows: list[tuple[int, ImportRow]]) -> RowValues:
    emails = {r.csm_email for _, r in rows if isinstance(r, AccountRow) and r.csm_email}
    owners = ensure_csms(session, emails)

    def values(row: ImportRow) -> dict[str, Any]:
        assert isinstance(row, AccountRow)
        data = row.model_dump(exclude={"csm_email", "attributes"}, exclude_unset=False)
        for extra in row.model_extra or {}:
            data.pop(extra, None)
        data["owner_id"] = owners[row.csm_email].id if row.csm_email else None
        # Extra columns become free-form attributes; an empty cell removes the attribute.
        data["attributes"] = {**(row.attributes or {}), **(row.model_extra or {})}
        return data

    return values


def _fields_to_write(row: ImportRow) -> set[str]:
    """Columns the file gave for this row: columns it left out stay as they are."""
    given = set(row.model_fields_set)
    renames = {"csm_email": "owner_id", "account_external_id": "account_id"}
    written = {renames.get(name, name) for name in given}
    if isinstance(row, AccountRow):
        written.discard("attributes")
        written -= set(row.model_extra or {})
        if row.model_extra or row.attributes:
            written.add("attributes")
    return written


def _upsert(
    session: Session, model: type[Base], rows: list[tuple[ImportRow, dict[str, Any]]]
) -> tuple[int, int]:
    table: Table = model.__table__  # type: ignore[assignment]
    existing = _existing(session, table, [r.external_id for r, _ in rows])
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row, values in rows:
        current = existing.get(row.external_id)
        if current is None:
            inserts.append(_without_empty_attributes(values))
            continue
        fields = _fields_to_write(row)
        if "attributes" in fields:
            merged = {**(current.get("attributes") or {}), **values["attributes"]}
            values["attributes"] = {k: v for k, v in merged.items() if v is not None}
        changes = {k: v for k, v in values.items() if k in fields and current.get(k) != v}
        if changes:
            updates.append({"id": current["id"], **changes})
    for start in range(0, len(inserts), CHUNK):
        session.execute(insert(model), inserts[start : start + CHUNK])
    if updates:
        session.execute(update(model), updates)
    session.flush()
    return len(inserts), len(updates)


def _without_empty_attributes(values: dict[str, Any]) -> dict[str, Any]:
    if "attributes" not in values:
        return values
    attributes = {k: v for k, v in (values["attributes"] or {}).items() if v is not None}
    return {**values, "attributes": attributes}


def _existing(session: Session, table: Table, external_ids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(external_ids), CHUNK):
        chunk = external_ids[start : start + CHUNK]
        for row in session.execute(select(table).where(table.c.external_id.in_(chunk))).mappings():
            found[row["external_id"]] = dict(row)
    return found
