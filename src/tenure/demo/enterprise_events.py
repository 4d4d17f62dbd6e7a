"""The enterprise platform's events: users sign in and use features in sessions.

Per active user and month, sessions ~ Poisson(2.2 e^(0.55 e + 0.5 z)) scaled to the live days,
where `e` is the account's engagement that month and `z` the user's lasting propensity;
each session is a `Signed In` followed by Poisson(1.3 e^(0.25 e + 0.2 z)) `Feature Used`
events minutes apart, on features the account has adopted so far (its breadth), the first
ones most often. Weekdays and office hours dominate.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tenure.demo.company import Company
from tenure.demo.events import (
    DAY_US,
    HOUR_US,
    Block,
    EventState,
    Part,
    identify_and_group,
    json_text,
    to_table,
    track_part,
)
from tenure.demo.scenarios import ENTERPRISE_FEATURES

EVENT_NAMES = ("Signed In", "Feature Used")
SIGNED_IN, FEATURE_USED = 0, 1
# Properties: index 0 is `{}` (Signed In), 1 + k is feature k.
PROPERTIES = pa.array(["{}", *(json_text({"feature": f}) for f in ENTERPRISE_FEATURES)])


def block_events(
    company: Company, t: int, block: Block, rng: np.random.Generator, state: EventState
) -> pa.Table:
    usage = company.usage
    accounts = block.accounts
    engagement = usage.engagement[accounts, t]
    active = block.active(t)
    lo, hi, share = active.lo, active.hi, active.share
    user_account, user_number, propensity = (
        active.user_account,
        active.user_number,
        active.propensity,
    )
    rate = 2.2 * np.exp(0.55 * engagement[user_account] + 0.5 * propensity)
    sessions = rng.poisson(rate * share[user_account])

    session_user = np.repeat(np.arange(len(user_account)), sessions)
    session_account = user_account[session_user]
    count = len(session_user)
    span = (hi - lo)[session_account]
    day = lo[session_account] + (rng.random(count) * span).astype(np.int64)
    weekend = ((day + 3) % 7 >= 5) & (rng.random(count) < 0.8)  # 1970-01-01 was a Thursday
    day[weekend] = (lo[session_account] + (rng.random(count) * span).astype(np.int64))[weekend]
    hour = np.clip(rng.normal(13.5, 2.8, size=count), 5.0, 22.5)
    start = day * DAY_US + (hour * HOUR_US).astype(np.int64)

    z = propensity[session_user]
    features = rng.poisson(1.3 * np.exp(0.25 * engagement[session_account] + 0.2 * z))
    per_session = 1 + features
    event_session = np.repeat(np.arange(count), per_session)
    first = np.cumsum(per_session) - per_session
    position = np.arange(len(event_session)) - first[event_session]
    gaps = rng.exponential(150.0, size=len(event_session)) * np.exp(0.2 * z[event_session])
    gaps = (gaps * 1_000_000).astype(np.int64)
    gaps[position == 0] = 0
    elapsed = np.cumsum(gaps)
    ts = start[event_session] + elapsed - elapsed[first][event_session]

    event_account = session_account[event_session]
    breadth = np.maximum(usage.breadth[accounts, t][event_account], 1)
    rank = np.minimum((breadth * rng.random(len(ts)) ** 1.6).astype(np.int64), breadth - 1)
    feature = usage.feature_order[accounts[event_account], rank]
    is_feature = position > 0
    event = np.where(is_feature, FEATURE_USED, SIGNED_IN).astype(np.int64)
    properties = PROPERTIES.take(pa.array(np.where(is_feature, feature + 1, 0)))
    event_user = user_number[session_user][event_session]

    part = track_part(event, block.users(event_account, event_user), event_account, ts, properties)
    inside = ts < hi[event_account] * DAY_US  # a late session must not outlive the account
    part = part.keep(inside)
    parts: list[Part] = [part]
    calls = identify_and_group(
        company, block, state.seen, event_account[inside], event_user[inside], ts[inside]
    )
    if calls is not None:
        parts.append(calls)
    return to_table(parts, block, EVENT_NAMES, rng)
