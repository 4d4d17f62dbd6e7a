"""The contract book as plain records: ARR and activity of each account on any day.

Pure: no database, no files. The date rules of docs/architecture.md hold everywhere: a
contract is active on day D when start_date <= D < end_date, whatever its status; overlapping
active contracts add up; a figure never mixes currencies unless rates to the base currency are
configured.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from tenure.kit.errors import TenureError

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class ContractRecord:
    account: str  # the account's external id
    start_date: date
    end_date: date
    arr: Decimal
    currency: str = "USD"
    status: str = "active"

    def is_active_on(self, day: date) -> bool:
        return self.start_date <= day < self.end_date


@dataclass(frozen=True, slots=True)
class AccountRecord:
    external_id: str
    tier: str = "paid"
    segment: str | None = None
    csm_email: str | None = None
    industry: str | None = None
    # Free-form attributes from the accounts import (region, company size, ...).
    attributes: Mapping[str, Any] = field(default_factory=dict, compare=False)


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later (or earlier), clamped to the month's end."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    last = (next_month - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def in_one_currency(
    contracts: Iterable[ContractRecord], base: str, rates: Mapping[str, float]
) -> tuple[list[ContractRecord], str | None]:
    """The contracts with every ARR in one currency, and that currency.

    One currency throughout: kept as it is. Several: converted to `base` with `rates` (units
    of base per unit of the currency, as `Settings.currency_rates`), refused when one is
    missing. Conversion multiplies exact decimals, so totals still reconcile to the cent.
    """
    items = list(contracts)
    currencies = {c.currency for c in items}
    if not items:
        return [], None
    if len(currencies) == 1:
        return items, currencies.pop()
    missing = sorted(c for c in currencies if c != base and c not in rates)
    if missing:
        raise TenureError(
            f"contracts are in {', '.join(sorted(currencies))}: cannot add them up without a "
            f"rate to {base} for {', '.join(missing)} (set TENURE_CURRENCY_RATES, "
            f"e.g. '{{\"{missing[0]}\": 1.08}}', and TENURE_BASE_CURRENCY)"
        )
    converted = [
        c
        if c.currency == base
        else replace(c, arr=c.arr * Decimal(str(rates[c.currency])), currency=base)
        for c in items
    ]
    return converted, base


class Book:
    """Contracts indexed by account, in one currency (see `in_one_currency`).

    Besides the per-account lists, the book keeps its contracts as numpy arrays (account
    code, start and end day numbers, ARR as exact integers in units of 10**-scale), so the
    state of every account on a day is a few vector operations however large the book.
    """

    def __init__(self, contracts: Iterable[ContractRecord]):
        self.by_account: dict[str, list[ContractRecord]] = defaultdict(list)
        for contract in contracts:
            if contract.end_date > contract.start_date:  # an empty contract is never active
                self.by_account[contract.account].append(contract)
        for items in self.by_account.values():
            items.sort(key=lambda c: (c.start_date, c.end_date))
        self.accounts: list[str] = sorted(self.by_account)
        self.codes = {account: code for code, account in enumerate(self.accounts)}
        flat = [c for account in self.accounts for c in self.by_account[account]]
        self.scale = max((_decimals(c.arr) for c in flat), default=0)
        units = [int(c.arr.scaleb(self.scale)) for c in flat]
        # Exact sums: int64 while every per-account total surely fits, Python ints beyond.
        wide = (
            max((abs(u) for u in units), default=0)
            * max((len(v) for v in self.by_account.values()), default=1)
            >= 2**62
        )
        self._account = np.fromiter((self.codes[c.account] for c in flat), np.int64, len(flat))
        self._start = np.fromiter((c.start_date.toordinal() for c in flat), np.int64, len(flat))
        self._end = np.fromiter((c.end_date.toordinal() for c in flat), np.int64, len(flat))
        self._units = np.array(units, dtype=object if wide else np.int64)

    def __len__(self) -> int:
        return len(self.accounts)

    def subset(self, accounts: Iterable[str]) -> Book:
        wanted = set(accounts)
        return Book(c for a, cs in self.by_account.items() if a in wanted for c in cs)

    def amount(self, units: int) -> Decimal:
        """Integer units back to the exact decimal amount."""
        return Decimal(int(units)).scaleb(-self.scale)

    def state_on(self, day: date) -> tuple[npt.NDArray[Any], npt.NDArray[np.bool_]]:
        """Per account code: ARR on `day` in units, and whether any contract is active."""
        ordinal = day.toordinal()
        mask = (self._start <= ordinal) & (ordinal < self._end)
        codes = self._account[mask]
        units = np.zeros(len(self.accounts), dtype=self._units.dtype)
        np.add.at(units, codes, self._units[mask])
        active = np.zeros(len(self.accounts), dtype=bool)
        active[codes] = True
        return units, active

    def paid_before_mask(self, day: date) -> npt.NDArray[np.bool_]:
        """Per account code: had ARR above zero on some day before `day`."""
        mask = (self._start < day.toordinal()) & (self._units > 0)
        result = np.zeros(len(self.accounts), dtype=bool)
        result[self._account[mask]] = True
        return result

    def active_before_mask(self, day: date) -> npt.NDArray[np.bool_]:
        result = np.zeros(len(self.accounts), dtype=bool)
        result[self._account[self._start < day.toordinal()]] = True
        return result

    def arr_on(self, day: date) -> dict[str, Decimal]:
        """ARR of every account active on `day` (an active $0 contract gives 0)."""
        units, active = self.state_on(day)
        return {self.accounts[i]: self.amount(units[i]) for i in np.flatnonzero(active)}

    def account_arr_on(self, account: str, day: date) -> Decimal | None:
        """The account's ARR on `day`, or None when it has no active contract."""
        active = [c.arr for c in self.by_account.get(account, []) if c.is_active_on(day)]
        return sum(active, ZERO) if active else None

    def first_start(self, account: str) -> date | None:
        contracts = self.by_account.get(account)
        return contracts[0].start_date if contracts else None

    def paid_before(self, account: str, day: date) -> bool:
        """Whether the account had ARR above zero on any day before `day`."""
        return any(c.arr > 0 and c.start_date < day for c in self.by_account.get(account, []))

    def active_before(self, account: str, day: date) -> bool:
        return any(c.start_date < day for c in self.by_account.get(account, []))

    def end_dates_between(self, after: date, until: date) -> dict[str, list[date]]:
        """Each account's contract end dates in (after, until], sorted."""
        mask = (self._end > after.toordinal()) & (self._end <= until.toordinal())
        ends: dict[str, set[date]] = defaultdict(set)
        for code, end in zip(self._account[mask].tolist(), self._end[mask].tolist(), strict=True):
            ends[self.accounts[code]].add(date.fromordinal(end))
        return {account: sorted(days) for account, days in ends.items()}


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0
