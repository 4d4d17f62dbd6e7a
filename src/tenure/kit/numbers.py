"""Numbers written for people: three significant figures, thousands separated, never in
scientific notation ("70,000", not "7e+04")."""

from __future__ import annotations

import math


def human(value: float, significant: int = 3) -> str:
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    decimals = significant - 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, decimals)
    if decimals <= 0:
        return f"{rounded:,.0f}"
    text = f"{rounded:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
