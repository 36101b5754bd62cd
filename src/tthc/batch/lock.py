"""One batch at a time per output root: an exclusive ``flock`` on ``<out_root>/.tthc-batch.lock``.

The kernel releases the lock when the holder dies (even on SIGKILL), so a killed batch never blocks the next one.
A second batch started while one runs fails at once with a message naming the holder.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ..errors import TthcError
from ..outputs import FolderLock

LOCK_NAME = ".tthc-batch.lock"


class BatchLocked(TthcError):
    """Another batch holds the lock on this output root."""


class BatchLock(FolderLock):
    """The batch lock of an output root (fails at once when held); release and context use as :class:`FolderLock`."""

    def __init__(self, out_root: str | os.PathLike):
        self.path = Path(out_root) / LOCK_NAME
        self.fd: int | None = None

    def acquire(self) -> "BatchLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = self._holder(fd)
            os.close(fd)
            raise BatchLocked(f"{self.path.parent}: another tthc batch is already running ({who}); wait for it to "
                              f"finish, or use another --out-root. The lock {self.path} frees itself when that "
                              f"batch exits.") from None
        self._claim(fd)
        return self
