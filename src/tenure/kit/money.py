"""Adding up money: figures in one currency, or converted by configured rates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from tenure.kit.errors import TenureError


def total(
    amounts: Iterable[tuple[Decimal, str]], rates: Mapping[str, float], base: str
) -> tuple[Decimal, str | None]:
    """The sum and its currency. Mixed currencies are converted to `base` with `rates`
    (units of base per unit of currency), and refused when a rate is missing."""
    items = list(amounts)
    currencies = {currency for _, currency in items}
    if not items:
        return Decimal(0), None
    if len(currencies) == 1:
        return sum((amount for amount, _ in items), Decimal(0)), currencies.pop()
    missing = sorted(c for c in currencies if c != base and c not in rates)
    if missing:
        raise TenureError(
            f"cannot add up {', '.join(sorted(currencies))}: no rate to {base} for "
            f"{', '.join(missing)} (set TENURE_CURRENCY_RATES, e.g. '{{\"EUR\": 1.08}}')"
        )
    converted = sum(
        (
            amount if currency == base else amount * Decimal(str(rates[currency]))
            for amount, currency in items
        ),
        Decimal(0),
    )
    return converted.quantize(Decimal("0.01")), base
