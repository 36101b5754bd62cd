"""One batch at a time per output root: an exclusive ``flock`` on ``<out_root>/.tthc-batch.lock``.

The kernel releases the lock when the holder dies (even on SIGKILL), so a killed batch never blocks the next one.
A second batch started while one runs fails at once with a message naming the holder.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path

from ..errors import TthcError

LOCK_NAME = ".tthc-batch.lock"


class BatchLocked(TthcError):
    """Another batch holds the lock on this output root."""


class BatchLock:
    def __init__(self, out_root: str | os.PathLike):
        self.path = Path(out_root) / LOCK_NAME
        self.fd: int | None = None

    def acquire(self) -> "BatchLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
            except ValueError:
                holder = {}
            os.close(fd)
            who = (f"pid {holder.get('pid')} on {holder.get('host')}, started {holder.get('started')}"
                   if holder else "another process")
            raise BatchLocked(f"{self.path.parent}: another tthc batch is already running ({who}); wait for it to "
                              f"finish, or use another --out-root. The lock {self.path} frees itself when that "
                              f"batch exits.") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                  "started": time.strftime("%Y-%m-%dT%H:%M:%S")}).encode(), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
            except OSError:
                pass
            os.close(self.fd)  # closing releases the flock
            self.fd = None

    def __enter__(self) -> "BatchLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
