from __future__ import annotations

import pytest

from tenure.kit.numbers import human


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (70_000.0, "70,000"),
        (71_234.5, "71,200"),
        (1_234_567.0, "1,230,000"),
        (0.000123, "0.000123"),
        (0.5, "0.5"),
        (12.345, "12.3"),
        (3.0, "3"),
        (-45_678.0, "-45,700"),
        (0.0, "0"),
    ],
)
def test_numbers_for_people(value, shown):
    assert human(value) == shown
    assert "e" not in human(value)
