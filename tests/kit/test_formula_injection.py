"""CSV and XLSX exports never hand a spreadsheet a formula from client data."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tenure.kit.output import csv_text
from tenure.plans.export import write_workbook

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1"]


def test_csv_cells_that_would_run_as_formulas_are_kept_as_text():
    records = [{"name": text, "arr": -5.0, "note": "plain"} for text in HOSTILE]
    rows = list(csv.DictReader(io.StringIO(csv_text(records))))
    assert [r["name"] for r in rows] == ["'" + text for text in HOSTILE]
    # Numbers are numbers, not text: a negative ARR keeps its sign.
    assert {r["arr"] for r in rows} == {"-5.0"}
    assert {r["note"] for r in rows} == {"plain"}


def test_xlsx_cells_that_would_run_as_formulas_are_kept_as_text(tmp_path):
    path = tmp_path / "plan.xlsx"
    rows = [{"client": text, "duration_hours": -1.5} for text in HOSTILE]
    health = [{"external_id": text, "name": text, "health": 40} for text in HOSTILE]
    write_workbook(path, [("Plan", ["client", "duration_hours"], rows)], health)
    book = load_workbook(path)
    cells = [c for sheet in book for row in sheet.iter_rows(min_row=2) for c in row]
    texts = [c for c in cells if isinstance(c.value, str)]
    assert len(texts) == 3 * len(HOSTILE)
    for cell in texts:
        assert cell.data_type == "s", cell.value
        assert cell.value.startswith("'"), cell.value
    assert book["Plan"]["B2"].value == pytest.approx(-1.5)


def test_an_imported_name_is_neutral_in_the_cli_csv(initialised, files):
    path = files.csv(
        "accounts.csv", [{"external_id": "evil", "name": "=cmd|' /C calc'!A0", "tier": "paid"}]
    )
    initialised("import", "accounts", str(path))
    out = initialised("accounts", "list", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["name"] == "'=cmd|' /C calc'!A0"
