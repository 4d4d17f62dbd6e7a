"""The plan as an XLSX workbook: "Plan" (the activities), "Onboarding", "Left out", "Weeks" and
"Health" (the book's health dashboard), for CSMs who live in spreadsheets. A saved plan (its
tasks, from the web app) is written with the same sheets and columns, plus each task's status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import IO, Any

from tenure.plans.planner import Plan

ACTIVITY_COLUMNS = (
    "reference",
    "client",
    "category",
    "signals",
    "description",
    "purpose",
    "results",
    "measurement",
    "duration_hours",
    "deadline",
    "start",
    "dependencies",
    "notes",
    "why",
)
# A saved task is a planned activity that can be done.
TASK_COLUMNS = (*ACTIVITY_COLUMNS, "status", "done_on")
HEALTH_COLUMNS = (
    "external_id",
    "name",
    "csm_email",
    "years",
    "arr",
    "renewal_months",
    "renewal_band",
    "trend",
    "health",
    "band",
)
WIDE = {"description": 60, "purpose": 45, "results": 45, "measurement": 45, "notes": 45, "why": 45}


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return value


def _sheet(
    book: Any, title: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> None:
    from openpyxl.styles import Alignment, Font

    sheet = book.create_sheet(title)
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(row.get(c)) for c in columns])
    for i, name in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=i).column_letter
        sheet.column_dimensions[letter].width = WIDE.get(name, max(12, len(name) + 2))
        if name in WIDE:
            for cell in sheet[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row_cells in sheet.iter_rows(min_row=2):
        for cell in row_cells:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "B2"


# A sheet: its title, its columns, its rows (records keyed by column).
Sheet = tuple[str, Sequence[str], Sequence[Mapping[str, Any]]]


def write_workbook(
    target: Path | IO[bytes], sheets: Sequence[Sheet], health: Sequence[Mapping[str, Any]]
) -> None:
    """Write the sheets, then "Health" from the dashboard's records (`tenure health` JSON), to
    a file or a binary stream (a download)."""
    from openpyxl import Workbook

    book = Workbook()
    default = book.active
    if default is not None:
        book.remove(default)
    for title, columns, rows in sheets:
        _sheet(book, title, columns, rows)
    components = list(dict.fromkeys(k for r in health for k in r.get("components", {})))
    flat = [{**r, **(r.get("components") or {})} for r in health]
    _sheet(book, "Health", [*HEALTH_COLUMNS, *components], flat)
    book.save(target)


def write_xlsx(path: Path, plan: Plan, health: Sequence[Mapping[str, Any]]) -> None:
    """Write the plan's workbook; `health` are the dashboard's records (`tenure health` JSON)."""
    parts = plan.parts()
    left_columns = list(parts["left_out"][0]) if parts["left_out"] else ["reference", "why"]
    week_columns = list(parts["weeks"][0]) if parts["weeks"] else ["week"]
    sheets: list[Sheet] = [
        ("Plan", ACTIVITY_COLUMNS, parts["activities"]),
        ("Onboarding", ACTIVITY_COLUMNS, parts["onboarding"]),
        ("Left out", left_columns, parts["left_out"]),
        ("Weeks", week_columns, parts["weeks"]),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_workbook(path, sheets, health)
