"""``tthc batch``: plan → lock → run in parallel (local pool or Dask) → index page → summary.

Accounting: every unit of the plan ends as exactly one of done / failed / skipped (up to date). ``batch.log`` under
``<out_root>/<period>/`` gets one line per event; each run writes its own ``run.log`` in its folder.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from .eventlog import EventLog
from .pool import disk_full_line, interrupt_line


@dataclass
class BatchResult:
    period: str
    out_root: Path
    done: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    timing: dict = field(default_factory=dict)
    index: Path | None = None
    cube_rebuilt: bool = False

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def summary(self) -> str:
        n = len(self.done) + len(self.failed) + len(self.skipped)
        lines = [f"batch {self.period}: {n} units — {len(self.done)} done, {len(self.failed)} failed, "
                 f"{len(self.skipped)} skipped (up to date) in {self.seconds:.1f} s"]
        if self.done:
            per = sum(r.get("timing", {}).get("total", 0) for r in self.done) / len(self.done)
            lines.append(f"  {len(self.done) / max(self.seconds, 1e-9) * 60:.0f} reports/min "
                         f"(mean {per:.2f} s per report in a worker)")
        for r in self.failed:
            err = r.get("error", "?")[:300]
            nb = str(Path(r["out_dir"]) / r["error_notebook"]) if r.get("error_notebook") else None
            lines.append(f"  FAILED {r['unit']}: {err}" + (f" (see {nb})" if nb and nb not in err else "")
                         + f" — log {Path(r['out_dir']) / 'run.log'}")
        if self.index:
            lines.append(f"  index: {self.index}")
        return "\n".join(lines)


class Progress:
    """tqdm bar over the runs to execute; the postfix counts done / failed / skipped."""

    def __init__(self, total: int, skipped: int, enabled: bool = True, stream=None):
        self.done = self.failed = 0
        self.skipped = skipped
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="report", desc="tthc batch", file=stream or sys.stderr,
                            dynamic_ncols=True, mininterval=0.2)
            self._post()

    def _post(self) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"done {self.done}, failed {self.failed}, skipped {self.skipped}")

    def update(self, ok: bool) -> None:
        if ok:
            self.done += 1
        else:
            self.failed += 1
        if self.bar is not None:
            self._post()
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_specs(specs: list[dict], jobs: int = 2, scheduler: str | None = None, on_result=None, on_start=None,
              pool=None) -> None:
    """Execute run specs on the local pool (``pool``: one started earlier, deferred), or on a Dask cluster when
    ``scheduler`` is given."""
    if not specs:
        return
    if scheduler:
        from .daskrun import run_on_dask

        run_on_dask(specs, scheduler, on_result=on_result)
        return
    from .pool import LocalPool
    from .worker import worker_config

    conf, cwd = worker_config(specs[0]), specs[0].get("cwd")
    if pool is not None:
        pool.configure(conf, cwd)
    else:
        pool = LocalPool(jobs=min(jobs, len(specs)), conf=conf, cwd=cwd)
    with pool:
        pool.run(specs, on_result=on_result, on_start=on_start)


def _runs_certain(code: str, jobs: int, force: bool, scheduler: str | None, out_root: Path, settings) -> bool:
    """Whether to start the kernel zygote and a local pool before planning: runs are certain (``--force``, or a
    period never run here), so their start-up overlaps the plan; not otherwise (an incremental re-run may have
    nothing to do and must not pay for workers)."""
    if scheduler or jobs < 1 or not settings.early_pool:
        return False
    return force or not (out_root / code).exists()


def _shared_zygote(code: str, window: str, lang: str, settings):
    """The batch's one kernel zygote (see :func:`tthc.batch.kernels.start_shared_zygote`), started now so that its
    preload overlaps the plan, what to tell the workers about it (``{"socket", "backend"}``), and a line for
    ``batch.log`` when it could not be started (the workers then start their own: no error, no traceback).
    ``(None, None, None)`` when kernels are not forked or ``settings.shared_zygote`` is off (then each worker
    starts its own, as on a Dask worker). ``code``: the canonical period, ``window`` checked."""
    if not (settings.fork_kernels and settings.shared_zygote):
        return None, None, None
    try:
        from .. import run as R
        from .kernels import start_shared_zygote
        from .plan import env_for_workers

        name = R.ensure_kernelspec()
        backend = R.KERNEL_ENV["MPLBACKEND"] if name == R.KERNEL_NAME else None
        env = dict(os.environ, **env_for_workers())
        return (*start_shared_zygote(backend, env, warm=(code, window, lang), gc_freeze=settings.zygote_gc_freeze),
                None)
    except Exception as e:  # noqa: BLE001 - an optimisation: the workers start their own zygotes
        why = " ".join(f"{type(e).__name__}: {e}".split())[:300]
        return None, None, f"shared kernel zygote not started ({why}); each worker starts its own"


def run_batch(period, window: str = "calendar", lang: str = "vi", units_list=None, jobs: int = 2,
              force: bool = False, scheduler: str | None = None, out_root=None, progress: bool = True,
              formats=("ipynb", "html", "pdf"), xlsx: bool = True, index: bool = True, echo=print,
              settings=None) -> BatchResult:
    """``period``: the :class:`tthc.periods.Period` the command parsed (or a code, parsed here, once);
    ``settings``: the :class:`tthc.settings.RunSettings` handed to every worker, zygote and report."""
    from ..periods import Period, check_window, parse_period
    from ..settings import RunSettings
    from . import atomic
    from .lock import BatchLock
    from .plan import plan_batch

    settings = settings or RunSettings()
    period = period if isinstance(period, Period) else parse_period(period)
    window = check_window(window)
    t0 = time.perf_counter()
    out_root = Path(out_root) if out_root else config.outputs_dir()
    out_root.mkdir(parents=True, exist_ok=True)
    with BatchLock(out_root):
        from .pool import sweep_dead_batches

        sweep_dead_batches()  # temporary folders of a batch that was SIGKILLed with all its processes
        if index and (out_root / "index.html").exists():  # the page agrees with the folders from the start
            from .index import refresh_index

            refresh_index(out_root)
        pool, shared, shared_info, shared_note = None, None, None, None
        if _runs_certain(period.code, jobs, force, scheduler, out_root, settings):
            # the zygote first: its imports and warm-up are the longest way to the first report
            shared, shared_info, shared_note = _shared_zygote(period.code, window, lang, settings)
            from .pool import LocalPool

            pool = LocalPool(jobs=jobs, deferred=True)  # its workers start in the background while we plan
        try:
            plan = plan_batch(period, window, lang, out_root, units_list=units_list, force=force, formats=formats,
                              xlsx=xlsx, echo=echo, settings=settings)
        except BaseException:
            if pool is not None:
                pool.abort()
            if shared is not None:
                shared.close()
            raise
        if pool is not None and not plan.runs:
            pool.abort()  # nothing to run after all
            pool = None
        elif pool is not None and len(plan.runs) < pool.jobs:
            pool.keep(len(plan.runs))  # fewer runs than workers
        try:
            res = BatchResult(period=plan.period, out_root=out_root, cube_rebuilt=plan.cube_rebuilt)
            res.timing.update({f"plan_{k}": round(v, 3) for k, v in plan.timing.items()})
            period_dir = out_root / plan.period
            blog = EventLog(period_dir / "batch.log", mode="a")
            try:
                blog(f"batch start: period {plan.period} window {plan.window} lang {plan.lang}, "
                     f"{len(plan.units)} units, {len(plan.runs)} to run, {len(plan.skipped)} up to date, jobs {jobs}"
                     + (f", scheduler {scheduler}" if scheduler else "") + (", --force" if force else "")
                     + (", cube rebuilt" if plan.cube_rebuilt else ""))
                for s in plan.skipped:
                    blog(f"skip {s['unit']}: up to date (stamp {s['stamp'][:12]})")
                    res.skipped.append(s)
                if plan.runs:
                    removed = sum(atomic.remove_stale_tmp(Path(s["out_dir"])) for s in plan.runs
                                  if Path(s["out_dir"]).exists())
                    if removed:
                        blog(f"removed {removed} temporary file(s) left by an interrupted run")
                bar = Progress(len(plan.runs), len(plan.skipped), enabled=progress and bool(plan.runs))

                def on_start(spec):
                    blog(f"start {spec['unit']}")

                def on_result(r):
                    full = disk_full_line(r)
                    if full:  # every other report would fail the same way: stop with one line
                        from ..errors import TthcError

                        raise TthcError(full)
                    ok = r.get("status") == "ok"
                    (res.done if ok else res.failed).append(r)
                    t = r.get("timing", {}).get("total")
                    blog(f"{'done' if ok else 'FAILED'} {r['unit']}" + (f" in {t:.2f} s" if t else "")
                         + ("" if ok else f": {r.get('error', '')[:500]}"))
                    bar.update(ok)

                t1 = time.perf_counter()
                if plan.runs and not scheduler:
                    if shared is None and shared_note is None:
                        shared, shared_info, shared_note = _shared_zygote(plan.period, plan.window, plan.lang,
                                                                          settings)
                    if shared_note:
                        blog(shared_note)
                    for s in plan.runs:
                        s["zygote"] = shared_info
                try:
                    run_specs(plan.runs, jobs=jobs, scheduler=scheduler, on_result=on_result, on_start=on_start,
                              pool=pool)
                    pool = None  # run_specs closed it
                except BaseException as e:
                    pool = None  # run_specs stopped it
                    stop = interrupt_line(e, len(res.done), len(res.failed), len(plan.runs))
                    if stop:
                        try:
                            blog(stop)
                        except OSError:
                            pass
                    raise
                finally:
                    bar.close()
                res.timing["run"] = round(time.perf_counter() - t1, 3)
                if index:
                    from .index import write_index

                    t1 = time.perf_counter()
                    known = {(plan.period, r["unit"]): r["stamp"] for r in plan.runs + plan.skipped}
                    res.index = write_index(out_root, current=known)
                    res.timing["index"] = round(time.perf_counter() - t1, 3)
                res.seconds = time.perf_counter() - t0
                blog(f"batch end: {len(res.done)} done, {len(res.failed)} failed, {len(res.skipped)} skipped in "
                     f"{res.seconds:.1f} s" + "".join(f"\n  failed {r['unit']}: {r.get('error', '')[:300]}"
                                                        for r in res.failed))
            finally:
                blog.close()
        finally:
            if pool is not None:  # an error before or during the runs: stop the early workers now
                pool.abort()
            if shared is not None:
                shared.close()
            if index and "res" in locals() and res.index is None:  # interrupted or failed: still agree with folders
                from .index import refresh_index

                refresh_index(out_root)
    return res
