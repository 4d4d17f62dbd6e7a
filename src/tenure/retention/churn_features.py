"""The former name of `tenure.retention.churn.features`, kept only for the modules that still
import it under this name (the demo command); import `tenure.retention.churn.features` instead."""

from tenure.retention.churn.features import ChurnOptions

__all__ = ["ChurnOptions"]
