"""Local pool of long-lived worker processes (``spawn``), each running :func:`tthc.batch.worker.run_one`.

Not ``concurrent.futures``: a worker that dies (segfault, OOM kill) must fail only the run it was doing — the pool
notices through the process sentinel, records that run as failed, starts a replacement worker and carries on.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from multiprocessing.connection import wait
from typing import Callable, Iterable


#: memory one worker needs at its peak (its imports, a report's frames, its kernel's private pages, WeasyPrint)
WORKER_MEMORY_MB = 350
#: workers per CPU core beyond which more only adds load (reports are CPU-bound; ×2 covers I/O waits)
JOBS_PER_CORE = 2


def available_memory_mb() -> int | None:
    """MemAvailable from /proc/meminfo in MiB (None where there is no such file)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def cap_jobs(requested: int, cores: int | None = None, mem_mb: int | None = -1) -> tuple[int, str | None]:
    """The number of workers to start for ``--jobs requested``: at most ``cores × JOBS_PER_CORE`` and at most what
    the available memory holds (``mem_mb`` ÷ :data:`WORKER_MEMORY_MB`, at least 1); returns ``(jobs, message)``
    with a message saying why when it capped. ``mem_mb=-1``: read it from the system; None: unknown (no cap)."""
    cores = cores or os.cpu_count() or 1
    if mem_mb == -1:
        mem_mb = available_memory_mb()
    bounds = [(cores * JOBS_PER_CORE, f"{cores} CPU core(s) × {JOBS_PER_CORE}")]
    if mem_mb is not None:
        bounds.append((max(1, mem_mb // WORKER_MEMORY_MB),
                       f"{mem_mb:,} MB available memory ÷ {WORKER_MEMORY_MB} MB per worker"))
    limit, why = min(bounds)
    if requested <= limit:
        return requested, None
    return limit, f"--jobs {requested} capped to {limit} ({why}); more workers would only slow every report down"


#: the settings a deferred worker waits for (see :meth:`LocalPool.configure`)
_DEFERRED = "deferred"


def _worker_main(conn, env, cwd: str | None) -> None:
    from . import worker

    worker.die_with_parent()
    try:
        if env == _DEFERRED:  # started before the plan: import what does not depend on it, then wait for it
            worker.preimport()
            msg = conn.recv()
            if msg is None:
                return
            _, env, cwd = msg
        worker.warm(env, cwd)
        conn.send(("ready", os.getpid()))
        while True:
            try:
                task = conn.recv()
            except EOFError:
                break
            if task is None:
                break
            conn.send(("started", task["id"]))
            res = worker.run_one(task)
            conn.send(("done", res))
    except KeyboardInterrupt:
        pass
    finally:
        worker.shutdown()


class _Slot:
    def __init__(self, ctx, env, cwd):
        self.parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, env, cwd), name="tthc-batch-worker")
        self.proc.start()
        child.close()
        self.task: dict | None = None
        self.ready = False
        self.t_started = 0.0


class LocalPool:
    """``jobs`` worker processes; :meth:`run` feeds them specs and calls ``on_result`` as runs finish."""

    def __init__(self, jobs: int = 2, env: dict | None = None, cwd: str | None = None, method: str = "spawn",
                 deferred: bool = False):
        """``deferred``: start the workers now, before the settings are known (they import what they can), and
        give them ``env``/``cwd`` later with :meth:`configure` — a batch starts its pool while it plans."""
        self.ctx = mp.get_context(method)
        self.env, self.cwd = env, cwd
        self.configured = not deferred
        self.slots = [_Slot(self.ctx, _DEFERRED if deferred else env, cwd) for _ in range(max(1, jobs))]

    def configure(self, env: dict | None, cwd: str | None) -> None:
        """Settings for workers started ``deferred`` (and for any replacement worker)."""
        self.env, self.cwd = env, cwd
        if not self.configured:
            for s in self.slots:
                try:
                    s.parent.send(("configure", env, cwd))
                except (OSError, BrokenPipeError):
                    pass  # it died: run() notices and replaces it
            self.configured = True

    def abort(self) -> None:
        """Stop the workers at once (nothing to run after all)."""
        for s in self.slots:
            if s.proc.is_alive():
                s.proc.terminate()
        for s in self.slots:
            s.proc.join(timeout=5)

    def run(self, specs: Iterable[dict], on_result: Callable[[dict], None],
            on_start: Callable[[dict], None] | None = None) -> None:
        if not self.configured:
            raise RuntimeError("LocalPool(deferred=True): call configure(env, cwd) before run()")
        pending = list(specs)
        pending.reverse()
        active = 0
        start_failures = 0
        while pending or active:
            if start_failures > 2 * len(self.slots) + 1 and not active:
                # workers die before they are ready (broken environment): fail what is left, clearly
                for t in reversed(pending):
                    on_result(dict(id=t["id"], unit=t["unit"], period=t["period"], kind=t.get("kind"),
                                   out_dir=t["out_dir"], stamp=t.get("stamp"), status="failed",
                                   error="batch worker processes exit during start-up (see the errors above); "
                                         "try `tthc report` on one unit to see why", timing={}))
                return
            for s in self.slots:
                if s.ready and s.task is None and pending:
                    s.task = pending.pop()
                    s.t_started = time.perf_counter()
                    s.parent.send(s.task)
                    active += 1
            ready = wait([s.parent for s in self.slots] + [s.proc.sentinel for s in self.slots])
            for s in list(self.slots):
                died = s.proc.sentinel in ready and not s.parent.poll()
                if s.parent in ready or s.parent.poll():
                    try:
                        while s.parent.poll():
                            kind, payload = s.parent.recv()
                            if kind == "ready":
                                s.ready = True
                            elif kind == "started":
                                if on_start and s.task:
                                    on_start(s.task)
                            elif kind == "done":
                                s.task = None
                                active -= 1
                                on_result(payload)
                    except (EOFError, OSError):
                        died = True
                if died or (s.proc.sentinel in ready and not s.proc.is_alive()):
                    s.proc.join(timeout=1)
                    if not s.ready:
                        start_failures += 1
                    if s.task is not None:
                        t = s.task
                        active -= 1
                        on_result(dict(id=t["id"], unit=t["unit"], period=t["period"], kind=t.get("kind"),
                                       out_dir=t["out_dir"], stamp=t.get("stamp"), status="failed",
                                       error=f"worker process died (exit code {s.proc.exitcode}) while running it",
                                       timing={"total": time.perf_counter() - s.t_started}))
                    i = self.slots.index(s)
                    self.slots[i] = _Slot(self.ctx, self.env, self.cwd)

    def close(self) -> None:
        for s in self.slots:
            try:
                s.parent.send(None)
            except (OSError, BrokenPipeError):
                pass
        deadline = time.monotonic() + 20
        for s in self.slots:
            s.proc.join(timeout=max(0.1, deadline - time.monotonic()))
            if s.proc.is_alive():
                s.proc.terminate()
                s.proc.join(timeout=2)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
