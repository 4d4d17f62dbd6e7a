"""A health snapshot's shape: the Arrow schema of its rows and the records read from them.

Pure (Arrow tables in, dataclasses out), so scoring and "why" use it without the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa

COMPONENT_TYPE = pa.struct(
    [
        pa.field("key", pa.string()),
        pa.field("label", pa.string()),
        pa.field("weight", pa.float64()),  # configured share of the score
        pa.field("effective_weight", pa.float64()),  # share after missing parts are left out
        pa.field("score", pa.float64()),  # exact, null = no data
        pa.field("contribution", pa.float64()),  # points of the exact score
    ]
)
MEASURE_TYPE = pa.struct(
    [
        pa.field("component", pa.string()),
        pa.field("metric", pa.string()),
        pa.field("label", pa.string()),
        pa.field("method", pa.string()),
        pa.field("window_days", pa.int32()),
        pa.field("value", pa.float64()),  # the metric's latest value in the window
        pa.field("score", pa.float64()),  # 0-100, null = no data
        pa.field("weight", pa.float64()),  # configured share of its component
        pa.field("contribution", pa.float64()),  # points of the exact score
    ]
)
SNAPSHOT_SCHEMA = pa.schema(
    [
        pa.field("account_external_id", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        pa.field("scorecard", pa.string()),
        pa.field("scorecard_version", pa.int32()),
        pa.field("health", pa.int32()),
        pa.field("health_exact", pa.float64()),
        pa.field("band", pa.string()),
        pa.field("components", pa.list_(COMPONENT_TYPE)),
        pa.field("measures", pa.list_(MEASURE_TYPE)),
    ]
)
SNAPSHOT_KEY = ("account_external_id", "date")
COLUMNS = ", ".join(SNAPSHOT_SCHEMA.names)
# Everything but the measures: what lists of many accounts need.
SUMMARY_COLUMNS = ", ".join(n for n in SNAPSHOT_SCHEMA.names if n != "measures")


@dataclass(frozen=True)
class ComponentPart:
    key: str
    label: str
    weight: float
    effective_weight: float
    score: float | None
    contribution: float


@dataclass(frozen=True)
class MeasurePart:
    component: str
    metric: str
    label: str
    method: str
    window_days: int
    value: float | None
    score: float | None
    weight: float
    contribution: float


@dataclass(frozen=True)
class Snapshot:
    account_external_id: str
    date: date
    scorecard: str | None
    scorecard_version: int | None
    health: int | None
    health_exact: float | None
    band: str | None
    components: tuple[ComponentPart, ...]
    measures: tuple[MeasurePart, ...]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Snapshot:
        return cls(
            **{
                **row,
                "components": tuple(ComponentPart(**c) for c in row["components"] or ()),
                "measures": tuple(MeasurePart(**m) for m in row["measures"] or ()),
            }
        )

    def component(self, key: str) -> ComponentPart | None:
        return next((c for c in self.components if c.key == key), None)

    def measure(self, component: str, metric: str) -> MeasurePart | None:
        return next(
            (m for m in self.measures if m.component == component and m.metric == metric), None
        )


def snapshots(table: pa.Table) -> list[Snapshot]:
    return [Snapshot.from_row(row) for row in table.to_pylist()]


def summaries(table: pa.Table) -> list[Snapshot]:
    """Snapshots without their measures: quicker when many accounts are listed."""
    index = table.schema.get_field_index("measures")
    light = table.set_column(index, "measures", pa.nulls(table.num_rows, table.field(index).type))
    return snapshots(light)
