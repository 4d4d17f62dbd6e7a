"""Plans: gather each account's facts, compute signals, plan the quarter, keep tasks.

The public face of the plans domain, which the CLI, the API and the web import. Each part
lives in a module named for what it holds:

- `libraries`: the playbook libraries (the active one, storing a new version);
- `planner_book`: loading the book, each account's facts as of a day and their signals;
- `planning`: making the quarter's plan (re-planning around done tasks) and saving it;
- `tasks`: listing, finding, marking done and reopening tasks.

They load data and call the pure cores (signals, playbooks, planner). None commits: the CLI
command or request owns the unit of work.
"""

from __future__ import annotations

from tenure.plans.export import TASK_COLUMNS, write_workbook
from tenure.plans.libraries import (
    LibraryLoaded,
    active_library,
    active_source,
    load_library,
)
from tenure.plans.planner import HOURS_PER_WEEK, Plan, PlannedActivity, WeekLoad
from tenure.plans.planner_book import (
    FEATURE_REQUEST,
    SENIORITY_ORDER,
    SURVEY_WINDOW_DAYS,
    USAGE_WINDOW_DAYS,
    Book,
    SignalRow,
    account_book,
    account_signals,
    account_signals_days,
    advocate_signals,
    comparison_facts,
    load_book,
    load_books,
    signal_comparisons,
    signals_of_account,
    user_of,
)
from tenure.plans.planning import (
    KEPT_ON_REPLAN,
    ONBOARDING_STAGE,
    PlanOptions,
    PlanOutcome,
    make_plan,
    new_clients_of,
    save_plan,
)
from tenure.plans.scheduler import WEEKS
from tenure.plans.signals import Comparisons, quarter_end
from tenure.plans.tasks import (
    change_task_recorded,
    find_task,
    list_tasks,
    mark_done,
    reopen,
    tasks_of,
)

__all__ = [
    "Book",
    "Comparisons",
    "FEATURE_REQUEST",
    "HOURS_PER_WEEK",
    "KEPT_ON_REPLAN",
    "LibraryLoaded",
    "ONBOARDING_STAGE",
    "Plan",
    "PlanOptions",
    "PlanOutcome",
    "PlannedActivity",
    "SENIORITY_ORDER",
    "SURVEY_WINDOW_DAYS",
    "SignalRow",
    "TASK_COLUMNS",
    "USAGE_WINDOW_DAYS",
    "WEEKS",
    "WeekLoad",
    "account_book",
    "account_signals",
    "account_signals_days",
    "advocate_signals",
    "active_library",
    "active_source",
    "change_task_recorded",
    "comparison_facts",
    "find_task",
    "list_tasks",
    "load_book",
    "load_books",
    "load_library",
    "make_plan",
    "mark_done",
    "new_clients_of",
    "quarter_end",
    "reopen",
    "save_plan",
    "signal_comparisons",
    "signals_of_account",
    "tasks_of",
    "user_of",
    "write_workbook",
]
