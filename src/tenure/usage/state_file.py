"""The embedded store's state file: a JSON document written atomically."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tenure.warehouse.tables import fsync_dir


class StateFile:
    """A small JSON document replaced atomically (write, fsync, rename)."""

    def __init__(self, path: Path):
        self.path = path

    def read(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        return data

    def write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w") as handle:
            json.dump(data, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        fsync_dir(self.path.parent)

    @contextmanager
    def update(self) -> Iterator[dict[str, Any]]:
        """Read, let the caller change, write. Callers hold the store's lock."""
        data = self.read()
        yield data
        self.write(data)
