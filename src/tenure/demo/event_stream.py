"""The whole event stream of a simulated company: each (month, block of accounts) drawn by its
scenario's generator (pure: no I/O).

Kept apart from `events`, whose building blocks both scenario generators use, so that the
generators and the stream import in one direction only.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from tenure.demo import enterprise_events, shortener_events
from tenure.demo.company import Company
from tenure.demo.events import EVENT_SCHEMA, Block, BlockEvents, EventState
from tenure.demo.scenarios import ScenarioName
from tenure.demo.simulation import STREAM_EVENTS


def iter_event_tables(company: Company) -> Iterator[pa.Table]:
    """Every event of the company, one table per (month, block of accounts), in month order
    (empty for blocks with nobody live: one table per unit of `block_count`)."""
    generate: BlockEvents = (
        enterprise_events.block_events
        if company.scenario.name is ScenarioName.enterprise
        else shortener_events.block_events
    )
    usage = company.usage
    state = EventState(
        seen=[np.zeros(len(p), dtype=bool) for p in usage.user_propensity],
        links=np.zeros(len(company.accounts), dtype=np.int64),
        blocks={},
        campaigns={},
    )
    for campaign in usage.campaigns:
        state.campaigns.setdefault(campaign.step, []).append(campaign)
    size = company.scenario.event_block
    count = len(company.accounts)
    for step in company.steps:
        for number, first in enumerate(range(0, count, size)):
            accounts = np.arange(first, min(first + size, count), dtype=np.int64)
            live = usage.live_to[accounts, step.index] > usage.live_from[accounts, step.index]
            if not live.any():
                yield EVENT_SCHEMA.empty_table()
                continue
            rng = np.random.default_rng([company.seed, STREAM_EVENTS, step.index, number])
            block = state.blocks.get(number)
            if block is None:
                block = state.blocks[number] = Block(company, accounts)
            yield generate(company, step.index, block, rng, state)


def block_count(company: Company) -> int:
    """How many (month, block) units `iter_event_tables` walks through, for progress bars."""
    size = company.scenario.event_block
    return len(company.steps) * -(-len(company.accounts) // size)
