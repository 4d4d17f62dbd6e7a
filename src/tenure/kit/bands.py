"""Red, amber and green cut points (a health score's, renewal months') and the one rule that
colours a value with them. Here rather than in health so the book read model, which health's
dashboard reads, can colour its rows without importing health."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bands:
    """Scores (or renewal months) up to `red` are red, up to `amber` amber, above green."""

    red: float
    amber: float


def band_of(value: float | None, bands: Bands) -> str | None:
    """The band of `value` (None when there is no value)."""
    if value is None:
        return None
    return "red" if value <= bands.red else "amber" if value <= bands.amber else "green"
