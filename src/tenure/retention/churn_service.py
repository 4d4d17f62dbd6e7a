"""The former name of `tenure.retention.churn.service`, kept only for the modules that still
import it under this name (the KPI pages, the demo command); import
`tenure.retention.churn.service` instead."""

from tenure.retention.churn.service import (
    backtest,
    default_observation_dates,
    health_reader,
    history,
    load_model,
    model_path,
    score,
)

__all__ = [
    "backtest",
    "default_observation_dates",
    "health_reader",
    "history",
    "load_model",
    "model_path",
    "score",
]
