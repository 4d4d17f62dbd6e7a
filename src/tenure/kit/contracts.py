"""What an account's contracts say on one day: its ARR, currency and renewal (the contract rules
of docs/architecture.md, "Data contracts"). One place for every reader of contracts: the book,
the account page, the health dashboard and the planner.

Pure: it takes anything shaped like a contract and anything that carries the currency settings,
so kit stays a leaf.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from tenure.kit.dates import whole_months_between
from tenure.kit.money import total


class CurrencySettings(Protocol):
    """The part of the settings that adds money up (`tenure.config.Settings` has it)."""

    @property
    def currency_rates(self) -> Mapping[str, float]: ...

    @property
    def base_currency(self) -> str: ...


class ContractShape(Protocol):
    @property
    def arr(self) -> Decimal: ...

    @property
    def currency(self) -> str: ...

    @property
    def end_date(self) -> date: ...

    def is_active_on(self, day: date) -> bool: ...


@dataclass(frozen=True)
class ContractFacts:
    """What an account's contracts say on one day."""

    arr: Decimal | None
    currency: str | None
    renewal_date: date | None
    renewal_months: int | None


def contract_facts(
    contracts: Sequence[ContractShape], as_of: date, settings: CurrencySettings
) -> ContractFacts:
    active = [(c.arr, c.currency, c.end_date) for c in contracts if c.is_active_on(as_of)]
    return active_contract_facts(active, as_of, settings)


def active_contract_facts(
    active: Sequence[tuple[Decimal, str, date]], as_of: date, settings: CurrencySettings
) -> ContractFacts:
    """The facts of the contracts active on `as_of`, given as (ARR, currency, end date): for
    pages that read those three columns rather than whole contracts."""
    if not active:
        return ContractFacts(None, None, None, None)
    arr, currency = total(
        ((amount, code) for amount, code, _ in active),
        settings.currency_rates,
        settings.base_currency,
    )
    renewal = max(end for _, _, end in active)
    return ContractFacts(arr, currency, renewal, whole_months_between(as_of, renewal))
