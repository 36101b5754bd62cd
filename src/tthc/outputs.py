"""One output folder (``<out_root>/<period>/<unit>/``) at a time, and never half of one.

* :class:`FolderLock`: an exclusive ``flock`` on ``<period folder>/.<unit>.lock`` for the whole run (``tthc report``,
  a batch worker, Dask alike). A second run of the same report waits, saying so once, and gives up after a timeout
  with one line; the kernel frees the lock when its holder dies (even on SIGKILL).
* :func:`new_stage` / :func:`commit` / :func:`discard`: a run writes into a staging folder beside the final one
  (``<period folder>/.<unit>.staging-<pid>``) and its files are moved in only when the run is complete, ``run.json``
  last. A failed or interrupted run (Ctrl-C, a busy warehouse, a full disk) leaves the previous outputs as they were.

Dot-names keep the lock and staging folders out of every listing (index, validation).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import time
from pathlib import Path

from .errors import TthcError

RUN_JSON = "run.json"
#: how long a run waits for another run of the same report before giving up (seconds)
LOCK_TIMEOUT = 900.0


class FolderBusy(TthcError):
    """Another run is producing the same report and did not finish within the timeout."""


def lock_path(out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    return out_dir.parent / f".{out_dir.name}.lock"


class FolderLock:
    """Exclusive lock of one output folder; use as a context manager. ``say`` gets one message if it must wait."""

    def __init__(self, out_dir: str | os.PathLike, timeout: float = LOCK_TIMEOUT, say=None, poll: float = 0.1):
        self.out_dir = Path(out_dir)
        self.path = lock_path(self.out_dir)
        self.timeout, self.say, self.poll = timeout, say, poll
        self.fd: int | None = None

    def _holder(self, fd: int) -> str:
        try:
            h = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
        except (OSError, ValueError):
            h = {}
        return f"pid {h.get('pid')} on {h.get('host')}, started {h.get('started')}" if h else "another process"

    def acquire(self) -> "FolderLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        told = False
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not told and self.say:
                        self.say(f"{self.out_dir} is being produced by another run ({self._holder(fd)}); waiting for "
                                 f"it (at most {self.timeout:.0f} s) …")
                        told = True
                    if time.monotonic() >= deadline:
                        raise FolderBusy(f"{self.out_dir}: the report is being produced by another run "
                                         f"({self._holder(fd)}) and it did not finish within {self.timeout:.0f} s; "
                                         f"try again when it is done") from None
                    time.sleep(self.poll)
        except BaseException:
            os.close(fd)
            raise
        self._claim(fd)
        return self

    def _claim(self, fd: int) -> None:
        """Record the holder (pid, host, start) in the locked file and keep the descriptor."""
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                  "started": time.strftime("%Y-%m-%dT%H:%M:%S")}).encode(), 0)
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
            except OSError:
                pass
            os.close(self.fd)  # closing releases the flock
            self.fd = None

    def __enter__(self) -> "FolderLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def new_stage(out_dir: str | os.PathLike) -> Path:
    """A fresh, empty staging folder beside ``out_dir``; staging folders a killed run left are removed first
    (call it holding the :class:`FolderLock`, so no live run owns them)."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    for old in out_dir.parent.glob(f".{out_dir.name}.staging-*"):
        shutil.rmtree(old, ignore_errors=True)
    stage = out_dir.parent / f".{out_dir.name}.staging-{os.getpid()}"
    stage.mkdir()
    return stage


def commit(stage: Path, out_dir: Path, previous_names=()) -> list[str]:
    """Move the finished files of ``stage`` into ``out_dir``: the outputs first, then the files of ``previous_names``
    the new run did not write are removed (a report that has no overview any more, a PDF not asked for), then
    ``run.json`` last; the staging folder goes. Returns the names moved in."""
    stage, out_dir = Path(stage), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = sorted(p.name for p in stage.iterdir() if p.is_file() and not p.name.startswith("."))
    for name in names:
        if name != RUN_JSON:
            os.replace(stage / name, out_dir / name)
    for name in previous_names:
        if name not in names and name != RUN_JSON:
            (out_dir / name).unlink(missing_ok=True)
    if RUN_JSON in names:
        os.replace(stage / RUN_JSON, out_dir / RUN_JSON)
    discard(stage)
    return names


def discard(stage: Path) -> None:
    shutil.rmtree(stage, ignore_errors=True)


def good_run(out_dir: Path) -> bool:
    """True when ``out_dir/run.json`` records a successful run (its outputs are then kept over a failed one)."""
    try:
        return json.loads((Path(out_dir) / RUN_JSON).read_text(encoding="utf-8")).get("status") == "ok"
    except (OSError, ValueError, AttributeError):
        return False
