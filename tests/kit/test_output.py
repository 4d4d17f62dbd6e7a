"""CSV for spreadsheets: text a spreadsheet would run as a formula is written as plain text."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from tenure.kit.output import csv_text, spreadsheet_safe


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+33 1 23", "'+33 1 23"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Acme = best", "Acme = best"),
        ("", ""),
    ],
)
def test_a_leading_formula_sign_gets_a_quote(text, safe):
    assert spreadsheet_safe(text) == safe


def test_only_text_cells_are_neutralised():
    records = [{"name": "=cmd", "delta": -5, "arr": Decimal("-1.50"), "day": date(2026, 1, 2)}]
    safe = list(csv.reader(io.StringIO(csv_text(records))))
    assert safe == [["name", "delta", "arr", "day"], ["'=cmd", "-5", "-1.50", "2026-01-02"]]
