"""Plain-text event logs of a batch: one timestamped line per event, flushed at once so a killed batch keeps them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path


class EventLog:
    """Append (``mode="a"``, the period's ``batch.log``) or overwrite (``mode="w"``, a run's ``run.log``)."""

    def __init__(self, path: Path, mode: str = "a"):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.f = open(path, mode, encoding="utf-8")

    def __call__(self, msg: str) -> None:
        self.f.write(f"{datetime.now().isoformat(timespec='milliseconds')} {msg}\n")
        self.f.flush()

    def close(self) -> None:
        self.f.close()
