"""The work of one report run, done inside a long-lived worker process (local pool or Dask worker).

A worker imports papermill/nbconvert/WeasyPrint once, keeps one exporter setup, and keeps the next kernel started and
warmed (:class:`tthc.batch.kernels.KernelPool`) while the current report executes. Each report still gets a fresh
kernel. :func:`run_one` is the task function: it takes a plain-dict run spec (see :mod:`tthc.batch.plan`) and returns
a plain-dict result; it never raises for a failing report (the result says ``failed`` and why).

The run itself is :func:`tthc.run.run_report`, the same as ``tthc report``'s (folder lock, staged outputs, one
``run.json`` schema); the worker only supplies its kernels (``executor``), the stamp and data hash the plan computed,
and its ``run.log``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
import traceback
from pathlib import Path

from .eventlog import EventLog

RUN_LOG = "run.log"

_runner_lock = threading.Lock()
_runner: "Runner | None" = None


def skip_iri_grammar() -> None:
    """Keep ``jsonschema`` from importing ``rfc3987_syntax`` in this process.

    ``nbformat`` imports ``jsonschema``, whose format module imports ``rfc3987_syntax`` when it is installed (it is,
    via the Jupyter stack), and that module compiles some twenty Lark grammars at import: 1–2 CPU-s per worker,
    for the ``iri``/``iri-reference`` format checkers, which nothing in a batch uses (nbformat validates without
    format checking). Marking the module as absent makes jsonschema skip those two checkers, as it does when the
    package is not installed. Has no effect once jsonschema is imported."""
    import sys

    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


def worker_config(spec: dict) -> dict:
    """What a worker process is told besides the run spec (the same for every run of a batch): ``env`` (the
    documented locations ``TTHC_ROOT`` / ``TTHC_WAREHOUSE`` / ``TTHC_UNITS``, absolute), ``settings``
    (:class:`tthc.settings.RunSettings` as a dict), ``zygote`` (the batch's shared zygote: ``{"socket",
    "backend"}``, or None) and ``warm`` (the period, window and language whose caches a zygote fills). A plain dict:
    it goes through a pipe to a local worker and is pickled to a Dask worker."""
    return {"env": dict(spec.get("env") or {}), "settings": dict(spec.get("settings") or {}),
            "zygote": spec.get("zygote"),
            "warm": ([spec["period"], spec["window"], spec.get("lang") or "vi"]
                     if spec.get("period") and spec.get("window") else None)}


def _conf_key(conf: dict | None) -> str:
    import json

    return json.dumps(conf or {}, sort_keys=True, default=str)


class Runner:
    """Per-process state: the kernel pool and the imported exporters. ``conf``: see :func:`worker_config`."""

    def __init__(self, conf: dict | None = None, cwd: str | None = None, fork: bool | None = None):
        from ..settings import RunSettings
        from .kernels import ZygoteSetup, configure_zygote

        conf = conf or {}
        if conf.get("env"):
            os.environ.update(conf["env"])  # the documented locations, for this process and its kernels
        skip_iri_grammar()
        self.conf_key = _conf_key(conf)
        self.settings = RunSettings.from_dict(conf.get("settings"))
        if fork is None:
            fork = self.settings.fork_kernels
        self.fork = fork
        z = conf.get("zygote") or {}
        configure_zygote(ZygoteSetup(socket=z.get("socket"), socket_backend=z.get("backend"),
                                     warm=tuple(conf["warm"]) if conf.get("warm") else None,
                                     gc_freeze=self.settings.zygote_gc_freeze))
        self.cwd = cwd or os.getcwd()
        from .kernels import KernelPool

        try:
            from .. import run as R

            self.kernel_name = R.ensure_kernelspec()
        except ImportError:
            self.kernel_name = "python3"
        # start the first kernel before the heavy imports below, so both proceed together
        self.kernels = KernelPool(self.cwd, fork=fork, kernel_name=self.kernel_name)
        import nbformat  # noqa: F401
        import papermill  # noqa: F401
        import papermill.parameterize  # noqa: F401

        from .. import __version__

        self.version = __version__
        try:
            import tthc.report  # noqa: F401
        except ImportError:
            pass

        from . import steps

        steps.warm_up()
        steps.warm_exports(conf.get("warm"))
        self.reports_done = 0

    def close(self) -> None:
        self.kernels.close()
        from .kernels import close_zygote

        close_zygote()

    # -- one run ---------------------------------------------------------------------------------------------
    def run(self, spec: dict) -> dict:
        return self.run_report(spec)

    def _kernel(self, log, retries: int = 2):
        from ..kernel import is_port_race

        t = time.perf_counter()
        attempt = 0
        while True:
            try:
                km = self.kernels.get()
                break
            except Exception as e:  # noqa: BLE001 - a broken kernel start fails this run, visibly
                if attempt < retries and is_port_race(e):
                    # another process took the kernel's port between its choice and the bind (seen under load):
                    # the pool already starts the next kernel, which gets other ports
                    attempt += 1
                    log(f"kernel start failed ({type(e).__name__}: {e}); taking the next one ({attempt}/{retries})")
                    continue
                raise RuntimeError(f"could not start a kernel: {type(e).__name__}: {e}") from e
        from .kernels import describe_zygote

        log(f"kernel ready after {time.perf_counter() - t:.2f} s wait; kernels: "
            + (describe_zygote() if self.fork else "not forked"))
        return km

    def run_report(self, spec: dict) -> dict:
        """A unit's report (and its overview): :func:`tthc.run.run_report` on a pre-warmed kernel of this worker."""
        from .. import run as R

        t0 = time.perf_counter()
        out_dir = Path(spec["out_dir"])
        out_dir.mkdir(parents=True, exist_ok=True)
        log = EventLog(out_dir / RUN_LOG, mode="w")  # overwritten by the next run
        result = dict(id=spec["id"], unit=spec["unit"], period=spec["period"], kind=spec["kind"],
                      out_dir=str(out_dir), stamp=spec.get("stamp"), host=socket.gethostname(), pid=os.getpid())
        log(f"run {spec['id']} unit={spec['unit']} period={spec['period']} window={spec['window']} "
            f"lang={spec['lang']} overview={spec.get('overview')} stamp={spec.get('stamp')}")
        log(f"worker pid {os.getpid()} on {socket.gethostname()}; fork kernels: {self.fork}")
        timings: dict = {}
        quiet = contextlib.redirect_stderr(log.f)  # step messages and warnings go to run.log, not over the progress bar
        quiet.__enter__()
        try:
            stamp = ({"stamp": spec["stamp"], "parts": spec.get("stamp_parts")} if spec.get("stamp") else None)
            record = R.run_report(
                spec["unit"], self.period(spec["period"]), spec["window"], spec["lang"], out_root=spec["out_root"],
                formats=tuple(spec.get("formats") or ("ipynb", "html", "pdf")), xlsx=spec.get("xlsx", True),
                overview=bool(spec.get("overview")), ensure=False, registry=self.registry(),
                rules=self.settings.rules766,
                executor=lambda nb, job: self._execute_tthc(R, nb, job, log), data_hash=spec.get("data_hash"),
                stamp=stamp, record_extra={"runner": "tthc batch", "warehouse_hash": spec.get("warehouse_hash")},
                say=log)
            timings = record["timings"]
            log(f"ok in {timings['total']:.2f} s: {', '.join(record['outputs'])}")
            result.update(status="ok", files=record["outputs"], timing=timings)
        except BaseException as e:  # noqa: BLE001 - isolation: report it, never take the batch down
            if isinstance(e, KeyboardInterrupt):
                raise
            err = f"{type(e).__name__}: {e}"
            log(f"FAILED: {err}\n{traceback.format_exc()}")
            errnb = next((p.name for p in out_dir.glob("*.error.ipynb")), None)
            result.update(status="failed", error=err[:1000], error_notebook=errnb, timing=timings)
        finally:
            quiet.__exit__(None, None, None)
            timings.setdefault("total", round(time.perf_counter() - t0, 3))
            log.close()
        self.reports_done += 1
        return result

    def _execute_tthc(self, R, nb, job, log):
        """tthc.run.execute on a warm kernel, through papermill's engine :data:`tthc.run.WARM_ENGINE` (which closes
        the kernel clients it opens); the kernel is shut down afterwards."""
        engine = R.register_engine()
        attempts = 0
        while True:
            attempts += 1
            km = self._kernel(log)
            t = time.perf_counter()
            try:
                out = R.execute(nb, job, kernel_name=self.kernel_name, km=km, engine_name=engine)
                log(f"executed {job.notebook.name} in {time.perf_counter() - t:.2f} s")
                return out
            except Exception as e:  # noqa: BLE001
                dead = "DeadKernelError" in type(e).__name__ or "Kernel died" in str(e)
                if dead and attempts < 2:
                    log(f"kernel died ({e}); retrying once with a fresh kernel")
                    continue
                raise
            finally:
                _shutdown(km)

    def period(self, code: str):
        """The spec's period code parsed once per worker process (every run of a batch has the same one)."""
        from ..periods import parse_period

        cache = self.__dict__.setdefault("_periods", {})
        if code not in cache:
            cache[code] = parse_period(code)
        return cache[code]

    def registry(self):
        from ..units import load_registry

        path = os.environ.get("TTHC_UNITS") or ""
        key = (path, _mtime(path or None))
        if getattr(self, "_reg_key", None) != key:
            self._reg = load_registry()
            self._reg_key = key
        return self._reg


def _shutdown(km) -> None:
    import asyncio

    from .kernels import shutdown_kernel

    try:
        asyncio.run(shutdown_kernel(km))
    except RuntimeError:  # an event loop is already running in this thread (not the case in workers)
        pass


def _mtime(path) -> int:
    if not path:
        from .. import config

        path = config.default_units()
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def get_runner(conf: dict | None = None, cwd: str | None = None) -> Runner:
    """This process's Runner (created once; recreated only if the task's :func:`worker_config` differs)."""
    global _runner
    with _runner_lock:
        if _runner is not None and _runner.conf_key != _conf_key(conf):
            _runner.close()
            _runner = None
        if _runner is None:
            from .. import config

            config.project_root.cache_clear()  # TTHC_ROOT may come with the task (Dask workers)
            _runner = Runner(conf=conf, cwd=cwd)
        return _runner


def die_with_parent() -> None:
    """Linux: get SIGKILL when the parent process dies, so a killed batch leaves no worker finishing runs behind it
    (a re-run could otherwise race it on the same folder)."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - not Linux: the pipe EOF still stops the worker after its current run
        pass


def _test_pipeline(spec: dict) -> dict:
    """Pipelines for the pool's own tests (allowed when the run's settings have a ``test_pipeline``): ``noop``
    succeeds at once, ``crash`` kills the worker process the way a segfault in a renderer would."""
    if spec["pipeline"] == "crash":
        os._exit(139)
    return dict(id=spec["id"], unit=spec["unit"], period=spec["period"], kind=spec.get("kind"),
                out_dir=spec["out_dir"], status="ok", pid=os.getpid(), timing={"total": 0.0})


def _test_mode(conf: dict | None) -> bool:
    return bool(((conf or {}).get("settings") or {}).get("test_pipeline"))


def run_one(spec: dict) -> dict:
    """Task function (local pool and Dask): run one report from a plain-dict spec, return a plain-dict result."""
    conf = worker_config(spec)
    if spec.get("pipeline") in ("noop", "crash") and _test_mode(conf):
        return _test_pipeline(spec)
    runner = get_runner(conf, spec.get("cwd"))
    return runner.run(spec)


def preimport() -> None:
    """The imports a Runner needs that do not depend on the batch's settings (papermill, nbformat, the exporters,
    WeasyPrint, openpyxl): a pool started before the plan is known does these while the batch plans."""
    skip_iri_grammar()
    for mod in ("nbformat", "papermill", "papermill.parameterize", "tthc.render", "tthc.render.pdf", "typst",
                "openpyxl", "tthc.run", "tthc.export_xlsx", "tthc.batch.kernels", "tthc.batch.steps"):
        try:
            __import__(mod)
        except Exception:  # noqa: BLE001 - an optimisation only; Runner imports for real and reports errors
            pass


def warm(conf: dict | None = None, cwd: str | None = None) -> str:
    """Create this process's Runner ahead of the first task (Dask: ``client.run(warm, ...)``); ``conf``: see
    :func:`worker_config`."""
    if (conf or {}).get("env"):
        os.environ.update(conf["env"])
    if not _test_mode(conf):
        get_runner(conf, cwd)
    return f"{socket.gethostname()}:{os.getpid()}"


def shutdown() -> None:
    global _runner
    with _runner_lock:
        if _runner is not None:
            _runner.close()
            _runner = None
