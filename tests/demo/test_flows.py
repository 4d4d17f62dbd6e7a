"""`tenure demo up`'s preparation flow: every step on a fresh data dir, each reporting its
progress; on a restart only the steps that change nothing when done (migrate, logins)."""

from __future__ import annotations

from datetime import date

import pytest

from tenure.config import Settings
from tenure.demo import flows
from tenure.demo.flows import Options, Prepared, Step
from tenure.kit.cli import CliContext
from tenure.kit.progress import OnProgress

TODAY = date(2026, 11, 23)


class Recorder:
    """A watcher that keeps what it was told: the steps started and finished, and each
    step's last (done, total)."""

    def __init__(self) -> None:
        self.begun: list[Step] = []
        self.ended: list[Step] = []
        self.last: dict[Step, tuple[int, int]] = {}

    def started_step(self, step: Step) -> OnProgress:
        def report(done: int, total: int) -> None:
            self.last[step] = (done, total)

        return report

    def started(self, step: Step, prepared: Prepared) -> OnProgress | None:
        assert step not in prepared.ran  # each step once
        self.begun.append(step)
        return self.started_step(step)

    def finished(self, step: Step, prepared: Prepared) -> None:
        assert prepared.ran[-1] is step  # told once the step is done
        self.ended.append(step)


def _prepare(settings: Settings, watcher: Recorder) -> Prepared:
    cli = CliContext(settings)
    options = Options(accounts=5, months=12, seed=3, warm_days=2, history_weeks=1)
    try:
        return flows.prepare(cli.settings, cli.warehouse, cli.unit_of_work, options, TODAY, watcher)
    finally:
        cli.close()


@pytest.mark.slow
def test_a_restart_runs_only_the_steps_that_change_nothing(settings: Settings) -> None:
    first = Recorder()
    done = _prepare(settings, first)
    assert first.begun == list(Step) == first.ended == done.ran
    assert done.generated is not None
    assert done.loaded is not None
    assert done.metrics is not None
    assert done.planned is not None
    assert done.health is not None
    assert done.health.days == 2
    # Each long step told its progress, ending at its total: health 1 weekly day + 2 days.
    assert first.last[Step.health] == (3, 3)
    assert first.last[Step.metrics][0] == first.last[Step.metrics][1] > 0
    events = done.loaded.events
    assert events is not None
    assert first.last[Step.load] == (events.rows, events.rows)
    assert first.last[Step.plan][0] == first.last[Step.plan][1] > 0

    again = Recorder()
    restarted = _prepare(settings, again)
    assert again.begun == [Step.migrate, Step.logins] == restarted.ran
    skipped = (restarted.generated, restarted.loaded, restarted.metrics, restarted.health)
    assert skipped == (None, None, None, None)
    assert restarted.planned is None
    assert restarted.login == done.login  # the same admin, token and CSM passwords
