"""Pydantic schemas of the usage API."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict


class UsageStatRead(BaseModel):
    """How often an event happened for one account in one period (and, with `by=user` or
    `by=property:NAME`, for one user or property value: the extra key names it)."""

    model_config = ConfigDict(extra="allow")

    account_external_id: str
    period: date
    count: int


class MetricRunRead(BaseModel):
    days: list[date]
    values: int
    event_days_read: int
    metrics: list[str]


def stat_records(rows: list[dict[str, Any]]) -> list[UsageStatRead]:
    return [UsageStatRead.model_validate(row) for row in rows]
