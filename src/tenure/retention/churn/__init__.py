"""The churn model: features of each renewal (`features`), the model learnt from them and its
backtest (`core`), the service that reads the book and the warehouse (`service`) and the
`tenure churn` commands (`cli`)."""

from tenure.retention.churn.core import ChurnModel

__all__ = ["ChurnModel"]
