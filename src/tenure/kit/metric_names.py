"""What a metric may be called: the one naming rule of the metrics series, catalogue and
scorecards. Pure, so the TOML checkers can use it without reaching the warehouse."""

from __future__ import annotations

import re

METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def check_metric_name(name: str) -> str | None:
    """Why `name` cannot be a metric name, or None when it can."""
    if len(name) > 100:
        return "a metric name has at most 100 characters"
    if not METRIC_NAME.match(name):
        return "a metric name is snake_case: lower-case letters, digits and _ (e.g. logins_28d)"
    return None
