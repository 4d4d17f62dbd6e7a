"""Progress bars on stderr for long work; silent when stderr is not a terminal.

A caller that shows progress itself (a flow over several services, with one display for all of
them) passes an `OnProgress` callback instead: the service's bar then reports to it and draws
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from tenure.kit.output import stderr

# Told how far a piece of long work is: (done, total) in its own units (days, rows, accounts).
OnProgress = Callable[[int, int], None]


class Bar:
    def __init__(self, progress: Progress | None, task: TaskID | None):
        self._progress = progress
        self._task = task

    def advance(self, amount: float = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, amount)

    def describe(self, description: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=description)


class Reported(Bar):
    """A bar that tells an `OnProgress` callback instead of drawing."""

    def __init__(self, progress: OnProgress, total: float | None):
        super().__init__(None, None)
        self._report = progress
        self._total = int(total or 0)
        self._done = 0.0

    def advance(self, amount: float = 1) -> None:
        self._done += amount
        self._report(int(self._done), self._total)


@contextmanager
def progress_bar(
    description: str, total: float | None, progress: OnProgress | None = None
) -> Iterator[Bar]:
    """A bar for `total` steps of work on stderr, or reports to `progress` when given."""
    if progress is not None:
        yield Reported(progress, total)
        return
    if not stderr.is_terminal:
        yield Bar(None, None)
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=stderr, transient=True) as live:
        yield Bar(live, live.add_task(description, total=total))
