"""The mandate: what the agent may do on its own, what waits for a person, and its limits.

A TOML file (`default_mandate.toml` ships with Tenure; docs/agent.md describes it), checked
like scorecards and playbooks: every mistake at once, each as `FILE:LINE: key: why`. Pure.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from tenure.agent.boundaries import BOUNDARIES
from tenure.kit.errors import TenureError
from tenure.kit.toml_check import TomlChecker, syntax_problem
from tenure.kit.toml_lines import Path

DECISIONS = ("auto", "approve", "forbid")
MODES = ("shadow", "act")
ACTIONS = {
    "create_task": "task",
    "draft_message": "draft",
    "send_message": "send",
    "schedule_survey": "survey",
    "handoff_support": "handoff_support",
    "handoff_product": "handoff_product",
    "handoff_sales": "handoff_sales",
}
TRIGGERS = (
    "renewal_window",
    "band_drop",
    "trend_down",
    "usage_drop",
    "detractor",
    "sponsor_gone",
    "sponsor_idle",
    "first_value_missed",
    "paid_like_free",
    "lookalike",
    "survey_missing",
    "support_problems",
    "feature_requests",
)
DEFAULT_FILE = "default_mandate.toml (shipped with Tenure)"
# The playbook activity each trigger's task is made from, unless the mandate's [plays] says.
DEFAULT_PLAYS = {
    "renewal_window": "renewal_review",
    "band_drop": "risk_diagnosis",
    "trend_down": "risk_diagnosis",
    "usage_drop": "adoption_workshop",
    "detractor": "survey_follow_up",
    "sponsor_gone": "executive_alignment",
    "sponsor_idle": "executive_alignment",
    "first_value_missed": "onboarding_first_value",
    "paid_like_free": "expansion_discovery",
    "lookalike": "pilot_replication",
    "survey_missing": "satisfaction_survey",
    "support_problems": "support_review",
    "feature_requests": "feature_requests_to_product",
}


@dataclass(frozen=True)
class Limits:
    messages_per_account_per_week: int = 1
    messages_per_day: int = 25


@dataclass(frozen=True)
class Quiet:
    during_open_incident: bool = True
    days_after_last_touch: int = 3


@dataclass(frozen=True)
class Approvals:
    expire_after_days: int = 7
    on_expiry: str = "cancel"  # cancel | keep


@dataclass(frozen=True)
class TriggerRules:
    renewal_windows: tuple[int, ...] = (120, 90, 60, 30)
    usage_metric: str = "events_change_8w"
    usage_drop: float = 30.0  # percent, as the change metrics are
    sponsor_idle_days: int = 30
    first_value_days: int = 45
    first_value_metric: str = "features_used_28d"
    first_value_from: float = 3.0
    detractor_nps_below: int = 7
    detractor_csat_below: int = 3
    survey_missing_days: int = 180


@dataclass(frozen=True)
class Mandate:
    mode: str
    actions: Mapping[str, str]
    limits: Limits = field(default_factory=Limits)
    quiet: Quiet = field(default_factory=Quiet)
    approvals: Approvals = field(default_factory=Approvals)
    triggers: TriggerRules = field(default_factory=TriggerRules)
    plays: Mapping[str, str] = field(default_factory=dict)
    description: str = ""
    version: int = 0  # 0: the shipped mandate
    file: str = DEFAULT_FILE

    @property
    def shadow(self) -> bool:
        return self.mode == "shadow"

    def decision(self, action: str) -> str:
        """auto, approve or forbid for one of ACTIONS; an action not listed waits for a
        person, the safe side."""
        return self.actions.get(action, "approve")


def default_source() -> str:
    return resources.files("tenure.agent").joinpath("default_mandate.toml").read_text()


def default_mandate() -> Mandate:
    return parse_mandate(default_source(), DEFAULT_FILE)


class _Check(TomlChecker):
    """The shared checker (`FILE:LINE: name: why`) with the mandate's own value rules."""

    def at(self, path: Path, why: str) -> None:
        self.problem(path, None, why)

    def section(self, data: Mapping[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.at((key,), "should be a table")
            return {}
        return value

    def known(self, data: Mapping[str, Any], allowed: Sequence[str], path: Path) -> None:
        for key in data:
            if key not in allowed:
                self.at((*path, key), f"unknown key; expected one of {', '.join(allowed)}")

    def whole(self, data: Mapping[str, Any], key: str, path: Path, default: int) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.at((*path, key), f"{value!r} is not a whole number 0 or above")
            return default
        return value

    def amount(self, data: Mapping[str, Any], key: str, path: Path, default: float) -> float:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            self.at((*path, key), f"{value!r} is not a number 0 or above")
            return default
        return float(value)


def parse_mandate(text: str, file: str = "<mandate>", version: int = 0) -> Mandate:
    """Check a mandate written in TOML; raise TenureError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        problems = [syntax_problem(error, text, file)]
        raise TenureError(f"{file}: mandate refused", problems=problems) from None
    check = _Check(text, file, "mandate refused")
    sections = ("description", "mode", "actions", "limits", "quiet", "approvals", "triggers")
    check.known(data, (*sections, "plays"), ())
    mode = data.get("mode", "shadow")
    if mode not in MODES:
        check.at(("mode",), f"{mode!r}: one of {', '.join(MODES)}")
        mode = "shadow"
    actions = _actions(check, check.section(data, "actions"))
    limits_table = check.section(data, "limits")
    check.known(limits_table, ("messages_per_account_per_week", "messages_per_day"), ("limits",))
    limits = Limits(
        check.whole(limits_table, "messages_per_account_per_week", ("limits",), 1),
        check.whole(limits_table, "messages_per_day", ("limits",), 25),
    )
    quiet_table = check.section(data, "quiet")
    check.known(quiet_table, ("during_open_incident", "days_after_last_touch"), ("quiet",))
    incident = quiet_table.get("during_open_incident", True)
    if not isinstance(incident, bool):
        check.at(("quiet", "during_open_incident"), f"{incident!r} is not true or false")
        incident = True
    quiet = Quiet(incident, check.whole(quiet_table, "days_after_last_touch", ("quiet",), 3))
    approvals_table = check.section(data, "approvals")
    check.known(approvals_table, ("expire_after_days", "on_expiry"), ("approvals",))
    on_expiry = approvals_table.get("on_expiry", "cancel")
    if on_expiry not in ("cancel", "keep"):
        check.at(("approvals", "on_expiry"), f"{on_expiry!r}: cancel or keep")
        on_expiry = "cancel"
    approvals = Approvals(
        check.whole(approvals_table, "expire_after_days", ("approvals",), 7), on_expiry
    )
    triggers = _triggers(check, check.section(data, "triggers"))
    plays = check.section(data, "plays")
    check.known(plays, TRIGGERS, ("plays",))
    for key, value in plays.items():
        if not isinstance(value, str) or not re.match(r"^[a-z][a-z0-9_]{0,63}$", value):
            check.at(("plays", key), f"{value!r} is not an activity key (snake_case)")
    description = data.get("description", "")
    if not isinstance(description, str):
        check.at(("description",), f"{description!r} is not a string")
        description = ""
    check.refuse()
    return Mandate(
        mode,
        actions,
        limits,
        quiet,
        approvals,
        triggers,
        {**DEFAULT_PLAYS, **plays},
        description,
        version,
        file,
    )


def _actions(check: _Check, table: Mapping[str, Any]) -> dict[str, str]:
    out = dict.fromkeys(ACTIONS, "approve")
    for key, value in table.items():
        if key in BOUNDARIES:
            check.at(
                ("actions", key),
                f"a hard boundary no mandate can lift: the agent {BOUNDARIES[key].why}",
            )
            continue
        if key not in ACTIONS:
            check.at(("actions", key), f"unknown action; expected one of {', '.join(ACTIONS)}")
            continue
        if value not in DECISIONS:
            check.at(("actions", key), f"{value!r}: one of {', '.join(DECISIONS)}")
            continue
        out[key] = value
    return out


def _triggers(check: _Check, table: Mapping[str, Any]) -> TriggerRules:
    defaults = TriggerRules()
    names = list(TriggerRules.__dataclass_fields__)
    check.known(table, names, ("triggers",))
    path: Path = ("triggers",)
    windows = table.get("renewal_windows", list(defaults.renewal_windows))
    if (
        not isinstance(windows, list)
        or not windows
        or not all(isinstance(w, int) and not isinstance(w, bool) and w > 0 for w in windows)
    ):
        check.at((*path, "renewal_windows"), f"{windows!r}: a list of days above 0")
        windows = list(defaults.renewal_windows)
    values: dict[str, Any] = {"renewal_windows": tuple(sorted(set(windows), reverse=True))}
    for name in names:
        if name == "renewal_windows" or name not in table:
            continue
        default = getattr(defaults, name)
        if isinstance(default, str):
            given = table[name]
            if not isinstance(given, str) or not given:
                check.at((*path, name), f"{given!r} is not a metric name")
            else:
                values[name] = given
        elif isinstance(default, int):
            values[name] = check.whole(table, name, path, default)
        else:
            values[name] = check.amount(table, name, path, default)
    return TriggerRules(**values)
