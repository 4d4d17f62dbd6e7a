"""Work that `tenure serve` repeats in the background: the outbox's sending rounds, the
surveys' follow-up, the agent's daily run. One thread each, stopped with the server."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

logger = logging.getLogger(__name__)


class Periodic:
    """Calls `work` in a thread named `name`, each time after waiting `wait()` seconds (asked
    anew every round: a fixed interval, or the time left until a scheduled moment), until
    stopped. A round that fails is logged and the next one runs: never the server's end."""

    def __init__(self, name: str, wait: Callable[[], float], work: Callable[[], object]):
        self.name = name
        self.wait = wait
        self.work = work
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _run(self) -> None:
        while not self._stop.wait(self.wait()):
            try:
                self.work()
            except Exception:  # the next round starts afresh; the log says what failed
                logger.exception("%s: a background round failed; will retry", self.name)


@asynccontextmanager
async def running(worker: Periodic | None) -> AsyncIterator[None]:
    """A router lifespan that runs `worker` while the app serves (None: nothing to run)."""
    if worker is not None:
        worker.start()
    try:
        yield
    finally:
        if worker is not None:
            await asyncio.to_thread(worker.stop)
