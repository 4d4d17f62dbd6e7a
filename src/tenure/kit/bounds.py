"""The bounds every date, id and window takes, at the API and in what is stored.

A value outside them is refused with a 4xx naming the field, instead of reaching a
computation (`date + timedelta` past year 9999, a 2**63 id on PostgreSQL) that would fail for
every later reader as well.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

MIN_DAY = date(1970, 1, 1)
MAX_DAY = date(2199, 12, 31)
MIN_MOMENT = datetime(1970, 1, 1, tzinfo=UTC)
MAX_MOMENT = datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)
# Primary keys are INTEGER columns: 32 bits on PostgreSQL, so anything larger names no row.
MAX_ROW_ID = 2**31 - 1
# Windows and steps in days: ten years covers every real backtest, report and metric window.
MAX_WINDOW_DAYS = 3660
# Rows skipped by a list; far beyond any table Tenure keeps, well inside a signed 64-bit int.
MAX_OFFSET = 1_000_000_000

DAY_RANGE = f"between {MIN_DAY} and {MAX_DAY}"
_DAY_NOTE = {"description": f"An ISO date {DAY_RANGE}."}


def _moment_in_range(value: datetime) -> datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not MIN_MOMENT <= aware <= MAX_MOMENT:
        raise ValueError(f"must be {DAY_RANGE}")
    return value


def day_in_range(value: date) -> date:
    """The same check for a date read from a file or a table rather than a request."""
    if not MIN_DAY <= value <= MAX_DAY:
        raise ValueError(f"{value.isoformat()} is not {DAY_RANGE}")
    return value


Day = Annotated[date, Field(ge=MIN_DAY, le=MAX_DAY, json_schema_extra=_DAY_NOTE)]
Moment = Annotated[
    datetime,
    AfterValidator(_moment_in_range),
    Field(json_schema_extra={"description": f"An ISO 8601 date-time {DAY_RANGE}."}),
]
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
Version = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
WindowDays = Annotated[int, Field(ge=1, le=MAX_WINDOW_DAYS)]
LeadDays = Annotated[int, Field(ge=0, le=MAX_WINDOW_DAYS)]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]
# Counts a client asks for (new clients in a plan, activities to plan): small by nature.
SmallCount = Annotated[int, Field(ge=0, le=10_000)]

# How many activities or new clients a plan may ask for: far above any quarter a CSM works.
MAX_PLAN_COUNT = 10_000

# A measured or target value (a goal's baseline, target, reading): finite, so every stored value
# can be charted and written as JSON.
Measure = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]
