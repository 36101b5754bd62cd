"""Local pool of long-lived worker processes, each running :func:`tthc.batch.worker.run_one`.

Workers are forked by multiprocessing's ``forkserver`` (where the platform has one, else ``spawn``ed), whose server
process imports and builds what every worker needs once (:mod:`tthc.batch._worker_preload`): three workers then
cost one set of imports instead of three, at the start of every batch, when the kernel zygote needs the CPU most.

Not ``concurrent.futures``: a worker that dies (segfault, OOM kill) must fail only the run it was doing — the pool
notices through the process sentinel, records that run as failed, starts a replacement worker and carries on.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import sys
import threading
import time
from multiprocessing.connection import wait
from pathlib import Path
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


def default_jobs(cores: int | None = None) -> int:
    """Workers when ``--jobs`` is not given: one more than the CPU cores. A worker alternates between waiting for its
    kernel and exporting (HTML, PDF, Excel) while the kernel waits, so with one worker per core a core idles part of
    the time (measured on 2 idle cores, the sample's 35 reports, 3 workers against 2, run by run: median wall ratio
    0.88 over 3 pairs and 0.96 over 4 pairs; the CPU time rises a little, the wall time falls)."""
    return (cores or os.cpu_count() or 1) + 1


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


def _failed(t: dict, error: str, seconds: float | None = None) -> dict:
    """The result of a run that did not produce one itself (its worker died, raised, or never started)."""
    return dict(id=t["id"], unit=t["unit"], period=t["period"], kind=t.get("kind"), out_dir=t["out_dir"],
                stamp=t.get("stamp"), status="failed", error=error,
                timing={} if seconds is None else {"total": seconds})


def disk_full_line(result: dict) -> str | None:
    """For a run that failed because the disk is full: one line naming the path (the error's file, else the run's
    folder); None otherwise. A batch stops at the first one: every other report would fail the same way."""
    err = str(result.get("error") or "")
    if result.get("status") == "ok" or not ("No space left on device" in err or "Errno 28]" in err
                                            or "Disk quota exceeded" in err):
        return None
    import re

    m = re.search(r"(?:No space left on device|Disk quota exceeded): '([^']+)'", err)
    where = m.group(1) if m else result.get("out_dir") or "?"
    return (f"{where}: No space left on device; free space on that disk (or give another --out-root) and run the "
            f"batch again: finished reports are kept and skipped")


def interrupt_line(e: BaseException, done: int, failed: int, total: int) -> str | None:
    """The ``batch.log`` line for a batch stopped by Ctrl-C / SIGTERM (``e`` a KeyboardInterrupt, with ``signum``
    when it came from a signal handler) or by a full disk; None for other errors."""
    import signal

    left = max(0, total - done - failed)
    counts = f"{done} done, {failed} failed, {left} not finished"
    if isinstance(e, KeyboardInterrupt):
        name = signal.Signals(getattr(e, "signum", signal.SIGINT)).name
        return f"batch interrupted ({name}): {counts}; re-run the batch to finish (finished reports are skipped)"
    if "No space left on device" in str(e):
        return f"batch stopped, disk full: {e}; {counts}"
    return None


def _record_failure(t: dict, error: str) -> None:
    """A failed ``run.json`` (:mod:`tthc.run`'s one schema for success and failure) in the folder of a run whose
    worker could not write one (it was killed, or stopped with the batch), so the index shows it as failed. As
    :func:`tthc.run.run_report` does, only where there is no good run to keep. Call it once the worker is gone: it
    holds the folder's lock (the kernel freed the worker's) and removes the staging folder the worker left. Best
    effort (the disk may be the problem)."""
    try:
        from .. import __version__
        from ..outputs import FolderLock, good_run
        from ..run import git_commit, write_run_json

        final = Path(t["out_dir"])
        with FolderLock(final, timeout=2):
            for stage in final.parent.glob(f".{final.name}.staging-*"):
                shutil.rmtree(stage, ignore_errors=True)
            if good_run(final):
                return
            final.mkdir(parents=True, exist_ok=True)
            write_run_json(final, {
                "status": "failed", "parameters": {k: t.get(k) for k in ("unit", "period", "window", "lang")},
                "runner": "tthc batch", "version": __version__, "git_commit": git_commit(),
                "python": sys.version.split()[0], "outputs": [], "timings": {},
                "warehouse_hash": t.get("warehouse_hash"), "data_hash": t.get("data_hash"), "stamp": t.get("stamp"),
                "stamp_parts": t.get("stamp_parts"), "error": error})
    except Exception:  # noqa: BLE001
        pass


def _worker_main(conn, conf, cwd: str | None) -> None:
    import signal

    from . import worker

    from ..errors import raise_interrupted

    # Ctrl-C reaches every process of the terminal's group: the batch process decides (it stops the workers), a
    # worker must not die in the middle of a write or print a traceback of its own. SIGTERM (the batch's abort)
    # unwinds like Ctrl-C: the kernels are shut down and the worker's temporary folder removed.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tmp = None
    try:
        signal.signal(signal.SIGTERM, raise_interrupted)
        worker.die_with_parent()
        sys.unraisablehook = _unraisable
        tmp = _own_tmpdir()
        if conf == _DEFERRED:  # started before the plan: import what does not depend on it, then wait for it
            worker.preimport()
            msg = conn.recv()
            if msg is None:
                return
            _, conf, cwd = msg
        worker.warm(conf, cwd)
        conn.send(("ready", os.getpid()))
        while True:
            try:
                task = conn.recv()
            except EOFError:
                break
            if task is None:
                break
            conn.send(("started", task["id"]))
            try:
                res = worker.run_one(task)
            except Exception as e:  # noqa: BLE001 - e.g. a full disk while recording the failure: a result
                res = _failed(task, f"{type(e).__name__}: {e}")
            conn.send(("done", res))
    except (KeyboardInterrupt, EOFError, BrokenPipeError):
        pass
    except Exception as e:  # noqa: BLE001 - one line, not a traceback per worker; the pool reports the runs
        print(f"tthc batch: worker {os.getpid()}: {type(e).__name__}: {str(e)[:300]}", file=sys.stderr, flush=True)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM during the cleanup: just go
        try:
            worker.shutdown()
        except BaseException:  # noqa: BLE001
            pass
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def _unraisable(u) -> None:
    """An OS error in a destructor (e.g. a Zip writer's ``__del__`` on a full disk, after its run already failed
    and said why) is not worth a traceback on the batch's terminal; anything else is shown as usual."""
    if isinstance(u.exc_value, OSError):
        return
    sys.__unraisablehook__(u)


WORKER_TMP_PREFIX = "tthc-worker-"


def _own_tmpdir() -> str:
    """A temporary folder for this worker and its kernels (their connection files, anything they write to the temp
    dir): removed when the worker ends, and by the next pool if the worker was SIGKILLed (:func:`sweep_tmp`)."""
    import tempfile

    d = tempfile.mkdtemp(prefix=f"{WORKER_TMP_PREFIX}{os.getpid()}-")
    tempfile.tempdir = d
    os.environ["TMPDIR"] = d  # kernels forked for this worker get it with the rest of its environment
    return d


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_dead_batches() -> int:
    """The temporary folders (workers', shared zygotes') of batches whose processes are all gone."""
    from .kernels import sweep_zygote_dirs

    return sweep_tmp() + sweep_zygote_dirs()


def sweep_tmp(tmp_root: str | None = None) -> int:
    """Remove the temporary folders of batch workers that no longer run (a SIGKILLed batch takes its workers with
    it before they can tidy up); returns how many. Looks in ``tmp_root``, else in every socket root
    (:func:`tthc.batch.kernels.socket_roots`: the temporary folder, and ``/tmp`` where the forkserver's folder goes
    when the temporary folder's path is too long for a socket)."""
    from .kernels import socket_roots

    n = 0
    for d in [d for base in ([tmp_root] if tmp_root else socket_roots())
              for d in Path(base).glob(f"{WORKER_TMP_PREFIX}*-*")]:
        try:
            pid = int(d.name[len(WORKER_TMP_PREFIX):].split("-", 1)[0])
        except ValueError:
            continue
        if d.is_dir() and not _pid_alive(pid):
            shutil.rmtree(d, ignore_errors=True)
            n += 1
    return n


class _Slot:
    def __init__(self, ctx, conf, cwd):
        self.parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, conf, cwd), name="tthc-batch-worker")
        self.proc.start()
        child.close()
        self.task: dict | None = None
        self.ready = False
        self.t_started = 0.0


def _stop(slots: list[_Slot]) -> None:
    """Terminate the slots' workers and wait for them: a worker shuts its kernels down and removes its temporary
    folder (5 s for all); one stuck in C code is killed (its folder is swept by :func:`sweep_tmp`)."""
    for s in slots:
        if s.proc.is_alive():
            s.proc.terminate()
    deadline = time.monotonic() + 5
    for s in slots:
        s.proc.join(timeout=max(0.05, deadline - time.monotonic()))
    for s in slots:
        if s.proc.is_alive():
            s.proc.kill()
            s.proc.join(timeout=2)


def start_method() -> str:
    """``forkserver`` where the platform has it (Linux, macOS), else ``spawn``."""
    return "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"


#: what the forkserver imports before it forks workers (see :mod:`tthc.batch._worker_preload`)
FORKSERVER_PRELOAD = ["tthc.batch._worker_preload"]


_mp_tempdir_pid: int | None = None


def _own_mp_tempdir() -> bool:
    """Put multiprocessing's temporary folder of this process (the forkserver's socket lives there) inside a
    ``tthc-worker-<pid>-mp-*`` folder: removed at exit, and by :func:`sweep_tmp` after a SIGKILLed batch, like the
    workers' own folders (multiprocessing's ``pymp-*`` folder would stay behind). The folder goes to the first of
    the socket roots (:func:`tthc.batch.kernels.socket_roots`) where the socket's path fits; False if none does
    (then the pool spawns its workers instead)."""
    import tempfile
    from multiprocessing import util

    from .kernels import SOCKET_PATH_MAX, socket_roots

    global _mp_tempdir_pid
    if _mp_tempdir_pid == os.getpid():
        return True
    for root in socket_roots():
        # mkdtemp adds 8 characters to each of the three names
        probe = os.path.join(root, f"{WORKER_TMP_PREFIX}{os.getpid()}-mp-{'x' * 8}", "pymp-" + "x" * 8,
                             "listener-" + "x" * 8)
        if len(os.fsencode(probe)) > SOCKET_PATH_MAX:
            continue
        try:
            d = tempfile.mkdtemp(prefix=f"{WORKER_TMP_PREFIX}{os.getpid()}-mp-", dir=root)
        except OSError:
            continue
        # after multiprocessing's own removal of the folder inside (exit priority -100): removed last, at exit
        util.Finalize(None, shutil.rmtree, args=(d, True), exitpriority=-101)
        old, tempfile.tempdir = tempfile.tempdir, d
        try:
            util.get_temp_dir()  # made now inside d, kept for this process (if made before, d stays empty)
        finally:
            tempfile.tempdir = old
        _mp_tempdir_pid = os.getpid()
        return True
    return False


class LocalPool:
    """``jobs`` worker processes; :meth:`run` feeds them specs and calls ``on_result`` as runs finish."""

    def __init__(self, jobs: int = 2, conf: dict | None = None, cwd: str | None = None, method: str | None = None,
                 deferred: bool = False):
        """``conf``: what the workers are told (:func:`tthc.batch.worker.worker_config`: locations, run settings,
        shared zygote). ``deferred``: start the workers now, before that is known (they import what they can), and
        give them ``conf``/``cwd`` later with :meth:`configure` — a batch starts its pool while it plans; the
        workers are then started from a background thread (the first fork waits for the forkserver's imports), so
        the caller plans meanwhile. ``method``: multiprocessing's start method (default :func:`start_method`)."""
        method = method or start_method()
        if method == "forkserver" and not _own_mp_tempdir():
            method = "spawn"  # no folder where the forkserver's socket path fits
        self.ctx = mp.get_context(method)
        if method == "forkserver":
            self.ctx.set_forkserver_preload(FORKSERVER_PRELOAD)
        sweep_tmp()
        self.jobs = max(1, jobs)
        self.conf, self.cwd = conf, cwd
        self.configured = not deferred
        self.slots: list[_Slot] = []
        self._starter: threading.Thread | None = None
        self._start_error: BaseException | None = None
        if deferred:
            self._starter = threading.Thread(target=self._start_slots, args=(_DEFERRED,), daemon=True,
                                             name="tthc-pool-start")
            self._starter.start()
        else:
            self._start_slots(conf)
            self._started()

    def _start_slots(self, conf) -> None:
        try:
            for _ in range(self.jobs):
                self.slots = [*self.slots, _Slot(self.ctx, conf, self.cwd)]  # abort() sees each one at once
        except BaseException as e:  # noqa: BLE001 - raised again in the caller's thread (_started)
            self._start_error = e

    def _started(self) -> None:
        """Wait for a deferred start to finish; raise what it raised."""
        if self._starter is not None:
            self._starter.join()
            self._starter = None
        if self._start_error is not None:
            e, self._start_error = self._start_error, None
            raise e

    def configure(self, conf: dict | None, cwd: str | None) -> None:
        """Settings for workers started ``deferred`` (and for any replacement worker)."""
        self._started()
        self.conf, self.cwd = conf, cwd
        if not self.configured:
            for s in self.slots:
                try:
                    s.parent.send(("configure", conf, cwd))
                except (OSError, BrokenPipeError):
                    pass  # it died: run() notices and replaces it
            self.configured = True

    def keep(self, n: int) -> None:
        """Keep ``n`` ≥ 1 workers and stop the others (the plan found fewer runs than workers were started for)."""
        self._started()
        extra, self.slots = self.slots[max(1, n):], self.slots[:max(1, n)]
        self.jobs = len(self.slots)
        _stop(extra)
        sweep_tmp()

    def abort(self) -> None:
        """Stop the workers at once (nothing to run after all, or the batch was interrupted); a run in progress gets
        a failed ``run.json`` saying so, for the index (written once its worker is gone)."""
        try:
            self._started()
        except Exception:  # noqa: BLE001 - stopping: what did start is stopped below
            pass
        _stop(self.slots)
        for s in self.slots:
            if s.task is not None:
                _record_failure(s.task, "interrupted: the batch stopped while this report was running")
                s.task = None
        sweep_tmp()

    def run(self, specs: Iterable[dict], on_result: Callable[[dict], None],
            on_start: Callable[[dict], None] | None = None) -> None:
        self._started()
        if not self.configured:
            raise RuntimeError("LocalPool(deferred=True): call configure(conf, cwd) before run()")
        pending = list(specs)
        pending.reverse()
        active = 0
        start_failures = 0
        while pending or active:
            if start_failures > 2 * len(self.slots) + 1 and not active:
                # workers die before they are ready (broken environment): fail what is left, clearly
                for t in reversed(pending):
                    on_result(_failed(t, "batch worker processes exit during start-up (see the errors above); "
                                         "try `tthc report` on one unit to see why"))
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
                        err = f"worker process died (exit code {s.proc.exitcode}) while running it"
                        _record_failure(t, err)
                        on_result(_failed(t, err, time.perf_counter() - s.t_started))
                    i = self.slots.index(s)
                    self.slots[i] = _Slot(self.ctx, self.conf, self.cwd)

    def close(self) -> None:
        try:
            self._started()
        except Exception:  # noqa: BLE001 - closing: what did start is closed below
            pass
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
        sweep_tmp()  # also what an earlier, killed batch left while its processes were still dying

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.close()
        else:  # interrupted (Ctrl-C, SIGTERM) or stopped (full disk): do not wait for the runs in progress
            self.abort()
