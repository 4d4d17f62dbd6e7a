"""The URL shortener's events.

Team members sign in (sessions ~ Poisson(3 e^(0.5 e + 0.4 z)) a month), create links and,
on paid plans only, look at the click statistics. Visitors click the links of every client,
free ones included (`Link Clicked`, anonymous, ~ Poisson(the account's monthly traffic)),
mostly on recent links. Clients that run email campaigns create one unique link per
recipient in a burst; each is clicked about once, within a few days of the send.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from tenure.demo.company import Company, IntArray
from tenure.demo.events import (
    DAY_US,
    HOUR_US,
    SECOND_US,
    Block,
    EventState,
    Part,
    identify_and_group,
    json_text,
    to_table,
    track_part,
)

EVENT_NAMES = ("Signed In", "Link Created", "Link Clicked", "Stats Viewed")
SIGNED_IN, LINK_CREATED, LINK_CLICKED, STATS_VIEWED = 0, 1, 2, 3
RECURRING = ("social", "blog", "spring-sale", "product-launch", "podcast")
# `"campaign":<value>` JSON for each recurring label, and null.
_CAMPAIGN_JSON = pa.array([json_text(name) for name in RECURRING] + ["null"])
_STATS = pa.array([json_text({"view": v}) for v in ("dashboard", "link", "campaign")])
_SIGNED_IN = pa.array(["{}"])


def recurring_label(account: IntArray, link: IntArray, share: npt.NDArray[np.float64]) -> IntArray:
    """Which recurring campaign a regular link belongs to (len(RECURRING) for none): a fixed
    function of the link, so its clicks carry the label its creation did."""
    mix = (link * 0.6180339887 + account * 0.1234567) % 1.0
    label = (link // 5 + account) % len(RECURRING)
    return np.where(mix < share[account], label, len(RECURRING)).astype(np.int64)


def link_properties(block: Block, local: IntArray, link: IntArray, labels: IntArray) -> pa.Array:
    account = block.account_ids.take(pa.array(local))
    number = pa.array(link).cast(pa.string())
    campaign = _CAMPAIGN_JSON.take(pa.array(labels))
    return pc.binary_join_element_wise(
        '{"link_id":"', account, "-L", number, '","campaign":', campaign, "}", ""
    )


def block_events(
    company: Company, t: int, block: Block, rng: np.random.Generator, state: EventState
) -> pa.Table:
    usage = company.usage
    accounts = block.accounts
    engagement = usage.engagement[accounts, t]
    paid = usage.paid[accounts, t]
    active = block.active(t)
    lo, hi, share = active.lo, active.hi, active.share
    end_us = hi * DAY_US

    # Team sessions: Signed In, then links created, then (paid) statistics viewed.
    user_account, user_number, propensity = (
        active.user_account,
        active.user_number,
        active.propensity,
    )
    rate = 3.0 * np.exp(0.5 * engagement[user_account] + 0.4 * propensity)
    sessions = rng.poisson(rate * share[user_account])
    session_user = np.repeat(np.arange(len(user_account)), sessions)
    session_account = user_account[session_user]
    count = len(session_user)
    span = (hi - lo)[session_account]
    day = lo[session_account] + (rng.random(count) * span).astype(np.int64)
    hour = np.clip(rng.normal(14.0, 4.0, size=count), 0.0, 23.5)
    start = day * DAY_US + (hour * HOUR_US).astype(np.int64)
    eng = engagement[session_account]
    links = rng.poisson(1.2 * np.exp(0.3 * eng))
    stats = np.where(paid[session_account], rng.poisson(0.8 * np.exp(0.4 * eng)), 0)
    per_session = 1 + links + stats
    event_session = np.repeat(np.arange(count), per_session)
    first = np.cumsum(per_session) - per_session
    position = np.arange(len(event_session)) - first[event_session]
    gaps = (rng.exponential(90.0, size=len(event_session)) * SECOND_US).astype(np.int64)
    gaps[position == 0] = 0
    elapsed = np.cumsum(gaps)
    ts = start[event_session] + elapsed - elapsed[first][event_session]
    event = np.where(
        position == 0,
        SIGNED_IN,
        np.where(position <= links[event_session], LINK_CREATED, STATS_VIEWED),
    ).astype(np.int64)
    event_account = session_account[event_session]
    event_user = user_number[session_user][event_session]
    inside = ts < end_us[event_account]
    event, event_account, event_user, ts = (
        event[inside],
        event_account[inside],
        event_user[inside],
        ts[inside],
    )

    # Number this month's new links in creation order, after the account's earlier ones.
    before = state.links[accounts].copy()
    created = np.flatnonzero(event == LINK_CREATED)
    order = created[np.lexsort((ts[created], event_account[created]))]
    created_account = event_account[order]
    made = np.bincount(created_account, minlength=len(accounts))
    group_start = np.cumsum(made) - made
    rank = np.arange(len(order)) - group_start[created_account]
    link_number = np.zeros(len(ts), dtype=np.int64)
    link_number[order] = before[created_account] + rank
    state.links[accounts] = before + made
    created_ts = ts[order]  # sorted by account, then time: link k's creation moment

    share_of = usage.campaign_share
    labels = recurring_label(accounts[event_account], link_number, share_of)
    link_json = link_properties(block, event_account, link_number, labels)
    other = np.where(event == STATS_VIEWED, rng.integers(0, 3, size=len(ts)), -1)
    other_json = pc.if_else(
        pa.array(other >= 0), _STATS.take(pa.array(np.maximum(other, 0))), _SIGNED_IN[0]
    )
    properties = pc.if_else(pa.array(event == LINK_CREATED), link_json, other_json)
    parts: list[Part] = [
        track_part(event, block.users(event_account, event_user), event_account, ts, properties)
    ]
    last_day = company.usage.live_to[accounts].max(axis=1)  # clicks may come after the month
    sent, senders, sent_ts = _campaigns(t, block, rng, last_day * DAY_US, state)
    parts.extend(sent)
    calls = identify_and_group(
        company,
        block,
        state.seen,
        np.concatenate([event_account, senders]),
        np.concatenate([event_user, np.zeros(len(senders), dtype=np.int64)]),
        np.concatenate([ts, sent_ts]),
    )
    if calls is not None:
        parts.append(calls)

    # Visitors click the links of every client, free ones included, mostly recent links.
    total = state.links[accounts]
    clicks = np.where(total > 0, rng.poisson(usage.clicks[accounts, t] * share), 0)
    click_account = np.repeat(np.arange(len(accounts)), clicks)
    n = len(click_account)
    newest = total[click_account]
    floor = np.where(rng.random(n) < 0.6, np.maximum(newest - 20, 0), 0)
    link = floor + (rng.random(n) * (newest - floor)).astype(np.int64)
    click_ts = (lo[click_account] + rng.random(n) * (hi - lo)[click_account]) * DAY_US
    click_ts = click_ts.astype(np.int64)
    fresh = link >= before[click_account]
    if fresh.any():  # a link made this month is clicked only after it exists
        made_at = created_ts[
            group_start[click_account[fresh]] + link[fresh] - before[click_account[fresh]]
        ]
        click_ts[fresh] = np.maximum(click_ts[fresh], made_at + 60 * SECOND_US)
    keep = click_ts < end_us[click_account]
    click_account, link, click_ts = click_account[keep], link[keep], click_ts[keep]
    click_labels = recurring_label(accounts[click_account], link, share_of)
    parts.append(
        track_part(
            np.full(len(link), LINK_CLICKED, dtype=np.int64),
            np.full(len(link), -1, dtype=np.int64),
            click_account,
            click_ts,
            link_properties(block, click_account, link, click_labels),
            anonymous=rng.integers(0, 10**10, size=len(link)),
        )
    )
    return to_table(parts, block, EVENT_NAMES, rng)


def _campaigns(
    t: int, block: Block, rng: np.random.Generator, until_us: IntArray, state: EventState
) -> tuple[list[Part], IntArray, IntArray]:
    """Email campaigns sent this month: a unique link per recipient, created in one burst by
    the account's first user, each clicked about once over the following days. Also returns
    who sent them and when (account in block, time), to identify the sender."""
    where = {int(a): k for k, a in enumerate(block.accounts)}
    parts: list[Part] = []
    senders: list[int] = []
    times: list[int] = []
    for campaign in state.campaigns.get(t, []):
        local = where.get(campaign.account)
        if local is None:
            continue
        r = campaign.recipients
        sent = campaign.day * DAY_US + 10 * HOUR_US
        created = sent + np.arange(r, dtype=np.int64) * SECOND_US // 2
        ids = pc.binary_join_element_wise(
            block.account_ids[local].as_py() + "-" + campaign.name + "-",
            pa.array(np.arange(r)).cast(pa.string()),
            "",
        )
        props = pc.binary_join_element_wise(
            '{"link_id":"', ids, '","campaign":' + json_text(campaign.name) + "}", ""
        )
        mine = np.full(r, local, dtype=np.int64)
        senders.append(local)
        times.append(int(sent))
        parts.append(
            track_part(
                np.full(r, LINK_CREATED, dtype=np.int64),
                block.users(mine, np.zeros(r, dtype=np.int64)),
                mine,
                created,
                props,
            )
        )
        hits = rng.poisson(0.45, size=r)
        recipient = np.repeat(np.arange(r), hits)
        visitor = rng.integers(0, 10**10, size=r)[recipient]
        delay = (rng.exponential(1.5, size=len(recipient)) * DAY_US).astype(np.int64)
        when = created[recipient] + 10 * 60 * SECOND_US + delay
        keep = when < until_us[local]
        parts.append(
            track_part(
                np.full(int(keep.sum()), LINK_CLICKED, dtype=np.int64),
                np.full(int(keep.sum()), -1, dtype=np.int64),
                np.full(int(keep.sum()), local, dtype=np.int64),
                when[keep],
                props.take(pa.array(recipient[keep])),
                anonymous=visitor[keep],
            )
        )
    return parts, np.array(senders, dtype=np.int64), np.array(times, dtype=np.int64)
