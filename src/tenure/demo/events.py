"""Usage events drawn from the hidden usage history, month by month and block by block of
accounts, as Arrow tables with the stored event columns of docs/architecture.md (pure: no I/O).

Each (month, block) has its own random stream, seeded from (seed, month, block), and the
blocks are a constant size per scenario: the events never depend on how a writer batches
them, so the same seed and as-of give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from tenure.demo.company import Campaign, Company, IntArray
from tenure.demo.names import domain_of

EVENT_SCHEMA = pa.schema(
    [
        pa.field("message_id", pa.string(), nullable=False),
        pa.field("type", pa.string(), nullable=False),
        pa.field("event", pa.string()),
        pa.field("user_id", pa.string()),
        pa.field("anonymous_id", pa.string()),
        pa.field("account_external_id", pa.string()),
        pa.field("timestamp", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("properties", pa.string()),
    ]
)
TYPES = ("track", "identify", "group")
TRACK, IDENTIFY, GROUP = 0, 1, 2
DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
SECOND_US = 1_000_000
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def json_text(value: object) -> str:
    return orjson.dumps(value).decode()


def message_ids(rng: np.random.Generator, count: int) -> pa.Array:
    """Random version-4 UUIDs as strings, built without a Python loop."""
    raw = rng.integers(0, 256, size=(count, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    digits = np.empty((count, 32), dtype=np.uint8)
    digits[:, 0::2] = _HEX[raw >> 4]
    digits[:, 1::2] = _HEX[raw & 0x0F]
    text = np.full((count, 36), ord("-"), dtype=np.uint8)
    for start, end, at in ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19), (20, 32, 24)):
        text[:, at : at + end - start] = digits[:, start:end]
    offsets = np.arange(0, 36 * (count + 1), 36, dtype=np.int32)
    return pa.StringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(text.tobytes()))


@dataclass
class Part:
    """Some events of one block, in numbers; strings come at the end, in one pass."""

    kind: npt.NDArray[np.int8]  # index into TYPES
    event: IntArray  # index into the scenario's event names, -1 for none
    user: IntArray  # index into the block's user ids, -1 for anonymous
    anonymous: IntArray  # visitor number, -1 for none
    account: IntArray  # index into the block's accounts
    ts: IntArray  # microseconds since 1970-01-01 UTC
    properties: pa.Array  # JSON text, one per event

    def __len__(self) -> int:
        return len(self.ts)

    def keep(self, mask: npt.NDArray[np.bool_]) -> Part:
        return Part(
            self.kind[mask],
            self.event[mask],
            self.user[mask],
            self.anonymous[mask],
            self.account[mask],
            self.ts[mask],
            self.properties.filter(pa.array(mask)),
        )


def track_part(
    event: IntArray,
    user: IntArray,
    account: IntArray,
    ts: IntArray,
    properties: pa.Array,
    anonymous: IntArray | None = None,
) -> Part:
    count = len(ts)
    return Part(
        np.zeros(count, dtype=np.int8),
        event,
        user,
        np.full(count, -1, dtype=np.int64) if anonymous is None else anonymous,
        account,
        ts,
        properties,
    )


@dataclass(frozen=True)
class Active:
    """A block's product users active in month `t`: each account's live days [lo, hi), the
    share of the month that is, and one entry per active user (its account in the block, its
    number within the account, its propensity to use the product)."""

    lo: IntArray
    hi: IntArray
    share: npt.NDArray[np.float64]
    user_account: IntArray
    user_number: IntArray
    propensity: npt.NDArray[np.float64]


class Block:
    """A fixed group of accounts and the ids of every product user they have; built once
    and reused every month."""

    def __init__(self, company: Company, accounts: IntArray):
        self.company = company
        self.accounts = accounts
        self.account_ids = pa.array([company.accounts[int(a)].external_id for a in accounts])
        pools = [len(company.usage.user_propensity[int(a)]) for a in accounts]
        self.offsets = np.concatenate([[0], np.cumsum(pools)[:-1]]).astype(np.int64)
        self.user_ids = pa.array(
            [
                company.user_id(int(a), u)
                for a, pool in zip(accounts, pools, strict=True)
                for u in range(pool)
            ],
            type=pa.string(),
        )

    def active(self, t: int) -> Active:
        usage = self.company.usage
        lo = usage.live_from[self.accounts, t]
        hi = usage.live_to[self.accounts, t]
        users = np.where(hi > lo, usage.active_users[self.accounts, t], 0)
        user_account = np.repeat(np.arange(len(self.accounts)), users)
        user_number = np.arange(len(user_account)) - np.repeat(np.cumsum(users) - users, users)
        propensity = np.concatenate(
            [usage.user_propensity[int(a)][:n] for a, n in zip(self.accounts, users, strict=True)]
            or [np.zeros(0)]
        )
        return Active(lo, hi, (hi - lo) / 30.4, user_account, user_number, propensity)

    def users(self, local_account: IntArray, user: IntArray) -> IntArray:
        """Indexes into `user_ids` of (account in block, user number) pairs."""
        return np.asarray(self.offsets[local_account] + user, dtype=np.int64)


def identify_and_group(
    company: Company,
    block: Block,
    seen: list[npt.NDArray[np.bool_]],
    local_account: IntArray,
    user: IntArray,
    ts: IntArray,
) -> Part | None:
    """An `identify` and a `group` call just before each user's first event ever."""
    if len(ts) == 0:
        return None
    order = np.lexsort((ts, user, local_account))
    a_sorted, u_sorted, ts_sorted = local_account[order], user[order], ts[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (a_sorted[1:] != a_sorted[:-1]) | (u_sorted[1:] != u_sorted[:-1])
    kinds: list[int] = []
    accounts: list[int] = []
    users: list[int] = []
    stamps: list[int] = []
    traits: list[str] = []
    for a, u, t in zip(
        a_sorted[first].tolist(), u_sorted[first].tolist(), ts_sorted[first].tolist(), strict=True
    ):
        account = int(block.accounts[a])
        if seen[account][u]:
            continue
        seen[account][u] = True
        record = company.accounts[account]
        person = company.usage.contact_traits[account].get(u)
        if person is None:
            person = {"email": f"user{u:04d}@{domain_of(record.name)}"}
        group = {"name": record.name, "industry": record.industry, "tier": record.tier}
        for kind, body, offset in ((IDENTIFY, person, 2), (GROUP, group, 1)):
            kinds.append(kind)
            accounts.append(a)
            users.append(u)
            stamps.append(t - offset * SECOND_US)
            traits.append(json_text(body))
    if not kinds:
        return None
    local = np.array(accounts, dtype=np.int64)
    return Part(
        np.array(kinds, dtype=np.int8),
        np.full(len(kinds), -1, dtype=np.int64),
        block.users(local, np.array(users, dtype=np.int64)),
        np.full(len(kinds), -1, dtype=np.int64),
        local,
        np.array(stamps, dtype=np.int64),
        pa.array(traits, type=pa.string()),
    )


def to_table(
    parts: Sequence[Part],
    block: Block,
    event_names: Sequence[str],
    rng: np.random.Generator,
) -> pa.Table:
    """The block's events sorted by time, in the stored event columns."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return EVENT_SCHEMA.empty_table()
    ts = np.concatenate([p.ts for p in parts])
    order = np.argsort(ts, kind="stable")
    take = pa.array(order)

    def column(name: str) -> npt.NDArray[np.int64]:
        return np.concatenate([getattr(p, name) for p in parts]).astype(np.int64)[order]

    kind, event, user, anonymous, account = (
        column(n) for n in ("kind", "event", "user", "anonymous", "account")
    )
    properties = pa.concat_arrays([p.properties for p in parts]).take(take)
    names = pa.array(list(event_names), type=pa.string())
    visitors = pa.array(anonymous, mask=anonymous < 0).cast(pa.string())
    visitors = pc.binary_join_element_wise("v-", visitors, "")
    return pa.table(
        [
            message_ids(rng, len(ts)),
            pa.array(TYPES).take(pa.array(kind)),
            names.take(pa.array(event, mask=event < 0)),
            block.user_ids.take(pa.array(user, mask=user < 0)),
            visitors,
            block.account_ids.take(pa.array(account)),
            pa.array(ts[order], type=pa.timestamp("us", tz="UTC")),
            properties,
        ],
        schema=EVENT_SCHEMA,
    )


BlockEvents = Callable[[Company, int, "Block", np.random.Generator, "EventState"], pa.Table]


@dataclass
class EventState:
    """What the stream remembers from one month to the next: users already identified,
    and (shortener) how many links each account has created."""

    seen: list[npt.NDArray[np.bool_]]
    links: IntArray
    blocks: dict[int, Block]
    campaigns: dict[int, list[Campaign]]  # by month
