"""Batch benchmark (``tthc bench --part batch``): the naive way vs ``tthc batch``, measured in one run.

(a) **naive**: for each of ``naive_units`` units, one after another, the papermill CLI executes the report notebook,
    then the ``jupyter nbconvert`` CLI renders HTML and then PDF (the project's exporters, so the outputs are the
    same kind of report) — every step a fresh subprocess with its own interpreter, imports and kernel;
    **project**: ``tthc batch --force`` on every unit of the period (long-lived workers, pre-warmed fork kernels,
    cube computed once). Reported: reports/min, seconds per report, and the per-report ratio.
(b) **no-op**: ``tthc batch`` again with nothing changed (a subprocess, so interpreter start-up is included).
(c) the cube: the engine's benchmark (``tthc bench --part cube``) writes ``outputs/bench/cube.json``; this part
    records the cube check/rebuild time inside the batch and links that file when present.

Outputs go under ``outputs/bench/batch/`` (never into the real outputs/<period>/); results to
``outputs/bench/batch.json`` with the machine (cores, CPU model) and the load average before and after, because the
machine may be shared.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from .. import config


def machine() -> dict:
    try:
        from .cube import machine as m

        info = m()
    except Exception:  # noqa: BLE001
        info = dict(cores=os.cpu_count())
    info["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    return info


def cpu_seconds() -> float:
    """CPU time of this process, of every descendant already reaped (subprocesses, zygote, kernels), and of the
    children still running with what they reaped: multiprocessing's forkserver lives as long as this process and
    reaps the batch workers it forked, so their CPU never reaches this process's own accounting."""
    import resource

    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime + sum(sum(_proc_cpu(pid)) for pid in _live_children())


def _live_children() -> list[int]:
    """This process's children still running (Linux: from /proc; elsewhere none)."""
    me, out = os.getpid(), []
    for d in Path("/proc").glob("[0-9]*"):
        try:
            if int(d.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1]) == me:
                out.append(int(d.name))
        except (OSError, ValueError, IndexError):
            continue
    return out


def _bin(name: str) -> str:
    p = Path(sys.executable).with_name(name)
    return str(p) if p.exists() else name


def naive_batch(units: list[str], period: str, window: str, lang: str, out_dir: Path, kernel_name: str) -> dict:
    """papermill CLI then nbconvert CLI (HTML, then PDF) per unit, sequentially, each a subprocess."""
    nb = config.notebooks_dir() / "unit_report.ipynb"
    env = dict(os.environ)
    per = []
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    for u in units:
        d = out_dir / u
        d.mkdir(parents=True, exist_ok=True)
        out_nb = d / "report.ipynb"
        t = time.perf_counter()
        steps = [[_bin("papermill"), str(nb), str(out_nb), "-k", kernel_name, "-p", "unit", u, "-p", "period", period,
                  "-p", "window", window, "-p", "lang", lang, "--no-progress-bar", "--cwd", str(config.project_root())],
                 [_bin("jupyter"), "nbconvert", "--to", "tthc_html", "--output-dir", str(d), str(out_nb)],
                 [_bin("jupyter"), "nbconvert", "--to", "tthc_pdf", "--output-dir", str(d), str(out_nb)]]
        times = []
        for cmd in steps:
            ts = time.perf_counter()
            r = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if r.returncode:
                raise RuntimeError(f"naive step failed: {' '.join(cmd[:3])}…: {r.stderr[-2000:]}")
            times.append(round(time.perf_counter() - ts, 3))
        per.append(dict(unit=u, seconds=round(time.perf_counter() - t, 3), papermill=times[0], nbconvert_html=times[1],
                        nbconvert_pdf=times[2]))
    wall = time.perf_counter() - t0
    cpu = cpu_seconds() - c0
    return dict(units=units, reports=len(units), seconds=round(wall, 3), seconds_per_report=round(wall / len(units), 3),
                cpu_seconds=round(cpu, 2), cpu_seconds_per_report=round(cpu / len(units), 3),
                reports_per_min=round(len(units) / wall * 60, 2), per_unit=per)


def peer_batch(units: list[str], period: str, window: str, lang: str, out_dir: Path, kernel_name: str,
               parallel: int = 2) -> dict:
    """The competent peer: the same papermill CLI + nbconvert CLI steps per unit as :func:`naive_batch`, but
    ``parallel`` units at a time with ``xargs -P`` (what a careful analyst would script on a 2-core machine)."""
    import shlex

    nb = config.notebooks_dir() / "unit_report.ipynb"
    out_dir.mkdir(parents=True, exist_ok=True)
    q = shlex.quote
    script = out_dir / "one_unit.sh"
    script.write_text("\n".join([
        "set -e",
        'u="$1"; d=' + q(str(out_dir)) + '/"$u"; mkdir -p "$d"',
        f'{q(_bin("papermill"))} {q(str(nb))} "$d/report.ipynb" -k {q(kernel_name)} -p unit "$u" -p period '
        f'{q(period)} -p window {q(window)} -p lang {q(lang)} --no-progress-bar --cwd {q(str(config.project_root()))}'
        ' 2>"$d/papermill.log"',
        f'{q(_bin("jupyter"))} nbconvert --to tthc_html --output-dir "$d" "$d/report.ipynb" 2>"$d/html.log"',
        f'{q(_bin("jupyter"))} nbconvert --to tthc_pdf --output-dir "$d" "$d/report.ipynb" 2>"$d/pdf.log"',
        ""]), encoding="utf-8")
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    r = subprocess.run(["xargs", "-P", str(parallel), "-n", "1", "bash", str(script)], input="\n".join(units) + "\n",
                       capture_output=True, text=True, env=dict(os.environ))
    wall = time.perf_counter() - t0
    cpu = cpu_seconds() - c0
    if r.returncode:
        raise RuntimeError(f"peer batch failed (xargs exit {r.returncode}): {r.stderr[-2000:]}")
    missing = [u for u in units if not (out_dir / u / "report.pdf").exists()]
    if missing:
        raise RuntimeError(f"peer batch left no PDF for {', '.join(missing)} (see {out_dir}/<unit>/*.log)")
    return dict(units=units, reports=len(units), parallel=parallel, seconds=round(wall, 3),
                seconds_per_report=round(wall / len(units), 3), cpu_seconds=round(cpu, 2),
                cpu_seconds_per_report=round(cpu / len(units), 3), reports_per_min=round(len(units) / wall * 60, 2))


def project_batch(period: str, window: str, lang: str, out_root: Path, jobs: int) -> dict:
    from ..batch.runner import run_batch

    c0 = cpu_seconds()
    t0 = time.perf_counter()
    res = run_batch(period, window, lang, jobs=jobs, force=True, out_root=out_root, progress=False, echo=None)
    wall = time.perf_counter() - t0
    cpu = cpu_seconds() - c0
    reports = 0
    for r in res.done:
        files = r.get("files") or []
        reports += 1 + any(str(f).startswith("overview.") for f in files)
    worker_t = [r.get("timing", {}) for r in res.done]
    return dict(units=len(res.done) + len(res.failed), failed=[r["unit"] for r in res.failed], reports=reports,
                seconds=round(wall, 3), seconds_run_phase=res.timing.get("run"),
                seconds_per_report=round(wall / max(reports, 1), 3),
                reports_per_min=round(reports / wall * 60, 2), jobs=jobs,
                cpu_seconds=round(cpu, 2), cpu_seconds_per_report=round(cpu / max(reports, 1), 3),
                plan_seconds={k: v for k, v in res.timing.items() if k.startswith("plan_")},
                index_seconds=res.timing.get("index"), cube_rebuilt=res.cube_rebuilt,
                mean_worker_seconds={k: round(sum(t.get(k, 0) for t in worker_t) / max(len(worker_t), 1), 3)
                                     for k in ("execute_report", "html_report", "pdf_report", "xlsx", "total")})


def noop_batch(period: str, window: str, lang: str, out_root: Path, jobs: int) -> dict:
    cmd = [sys.executable, "-m", "tthc.cli", "batch", "--period", period, "--window", window, "--lang", lang,
           "--jobs", str(jobs), "--out-root", str(out_root), "--no-progress"]
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    return dict(seconds=round(wall, 3), exit_code=r.returncode, summary=r.stdout.strip().splitlines()[:1])


def run(period: str = "2025-Q1", window: str = "calendar", lang: str = "vi", naive_units: int | None = None,
        jobs: int | None = None, out: Path | None = None, echo=print) -> dict:
    from .. import run as R
    from ..batch.plan import period_units
    from ..bootstrap import ensure_data
    from ..units import load_registry

    from ..batch.pool import default_jobs

    jobs = jobs or default_jobs()  # what `tthc batch` uses without --jobs
    bench_dir = config.outputs_dir() / "bench" / "batch"
    out = Path(out) if out else config.outputs_dir() / "bench" / "batch.json"
    result = dict(part="batch", started=datetime.now().isoformat(timespec="seconds"), machine=machine(),
                  period=period, window=window, lang=lang)
    t = time.perf_counter()
    done = ensure_data(verbose=True)
    result["cube"] = dict(ensure_seconds=round(time.perf_counter() - t, 3), rebuilt=bool(done.get("cube_rebuilt")),
                          note="computed once per batch; the engine's own benchmark: outputs/bench/cube.json")
    cube_json = config.outputs_dir() / "bench" / "cube.json"
    if cube_json.exists():
        try:
            result["cube"]["engine_benchmark"] = json.loads(cube_json.read_text(encoding="utf-8"))
        except ValueError:
            pass
    reg = load_registry()
    units = period_units(period, window)
    leaves = [u for u in units if not R.has_children(u, period, window, reg)]
    n_naive = naive_units or 6
    naive_list = (leaves or units)[:n_naive]
    if bench_dir.exists():
        shutil.rmtree(bench_dir)
    kernel = R.ensure_kernelspec()
    echo(f"bench batch: naive (papermill CLI + nbconvert CLI, sequential) on {len(naive_list)} units …")
    result["naive"] = naive_batch(naive_list, period, window, lang, bench_dir / "naive", kernel)
    echo(f"  {result['naive']['seconds_per_report']:.2f} s per report, {result['naive']['reports_per_min']:.1f}/min")
    echo(f"bench batch: competent peer (the same CLI steps, xargs -P 2) on {len(naive_list)} units …")
    result["peer"] = peer_batch(naive_list, period, window, lang, bench_dir / "peer", kernel, parallel=2)
    echo(f"  {result['peer']['seconds_per_report']:.2f} s per report, {result['peer']['reports_per_min']:.1f}/min")
    echo(f"bench batch: tthc batch --force on all {len(units)} units of {period} with {jobs} jobs …")
    result["project"] = project_batch(period, window, lang, bench_dir / "project", jobs)
    echo(f"  {result['project']['reports']} reports in {result['project']['seconds']:.1f} s: "
         f"{result['project']['seconds_per_report']:.2f} s per report, {result['project']['reports_per_min']:.1f}/min")
    result["speedup_per_report"] = round(result["naive"]["seconds_per_report"]
                                         / max(result["project"]["seconds_per_report"], 1e-9), 2)
    result["cpu_ratio_per_report"] = round(result["naive"]["cpu_seconds_per_report"]
                                           / max(result["project"]["cpu_seconds_per_report"], 1e-9), 2)
    cores = result["machine"].get("usable_cores") or result["machine"].get("cores") or 2
    # what an idle machine would do: all cores busy, CPU per report as measured (contention-independent)
    result["project"]["reports_per_min_cpu_bound_estimate"] = round(
        60 * cores / max(result["project"]["cpu_seconds_per_report"], 1e-9), 1)
    echo(f"  speed-up per report vs naive: ×{result['speedup_per_report']} wall, "
         f"×{result['cpu_ratio_per_report']} CPU ({result['naive']['cpu_seconds_per_report']:.2f} vs "
         f"{result['project']['cpu_seconds_per_report']:.2f} CPU-s per report)")
    from . import ratios

    ours = result["project"]["seconds_per_report"]
    result["speedup_vs_peer"] = round(ratios.speedup(result["peer"]["seconds_per_report"], ours), 2)
    result["goals"] = ratios.batch_goals(result["project"]["reports_per_min"], result["speedup_per_report"],
                                         result["speedup_vs_peer"])
    result["note"] = ("ratios come from one run on the same machine; the machine is shared (see machine.loadavg), "
                      "so absolute rates are noisy")
    echo(f"  vs competent peer: ×{result['speedup_vs_peer']} per report; goals: {result['goals']}")
    result["noop"] = noop_batch(period, window, lang, bench_dir / "project", jobs)
    echo(f"bench batch: no-op re-run {result['noop']['seconds']:.2f} s ({result['noop']['summary']})")
    result["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    result["finished"] = datetime.now().isoformat(timespec="seconds")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    echo(f"bench batch: wrote {out}")
    return result


# -- per-report CPU profile inside one long-lived worker ------------------------------------------------------------
def _proc_cpu(pid: int) -> tuple[float, float]:
    """(own CPU, reaped children's CPU) of a process, in seconds, from /proc/<pid>/stat (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


def profile_worker(period: str = "2025-Q1", window: str = "calendar", lang: str = "vi", n: int = 10,
                   warm: int = 2, units: list[str] | None = None, out_root: Path | None = None,
                   cprofile: Path | None = None, echo=print) -> dict:
    """CPU per report inside one long-lived batch worker (this process), after ``warm`` warm-up reports.

    Each step of :meth:`tthc.batch.worker.Runner.run_report` is timed with ``time.thread_time`` (the main thread
    only); the rest of this process (the thread pre-warming the next kernel, papermill/nbclient I/O threads) is
    ``worker_other``; the kernels are forks of the zygote, which reaps them, so their CPU is the zygote's reaped
    children's CPU (``kernel``) and the forks themselves the zygote's own (``zygote``). Leaf units only (no
    overview), so every report does the same work."""
    import tempfile

    from .. import run as R
    from ..batch import worker as W
    from ..batch import kernels as K
    from ..batch.plan import plan_batch
    from ..units import load_registry

    out_root = Path(out_root or tempfile.mkdtemp(prefix="tthc-profile-"))
    reg = load_registry()
    plan = plan_batch(period, window, lang, out_root, units_list=units, force=True, echo=None)
    specs = [s for s in plan.runs if not s.get("overview")]
    if units is None:
        specs = [s for s in specs if s["unit"].startswith("X")] or specs
    specs = (specs * (1 + (n + warm) // max(len(specs), 1)))[: n + warm]
    runner = W.get_runner(W.worker_config(specs[0]), specs[0].get("cwd"))

    def zpid():  # the zygote the kernelspec's backend asked for (started by the first kernel)
        return K._zygote.proc.pid if runner.fork and K._zygote is not None else None
    steps = {"prepare": [R, "prepare"], "execute": [R, "execute"], "export": [R, "export"],
             "xlsx": [R, "export_xlsx"], "run_json": [R, "write_run_json"], "headline": [None, "headline"]}
    from ..batch import steps as S

    steps["headline"][0] = S
    # the export step is also split further: HTML and PDF
    from .. import render

    targets = {**{k: tuple(v) for k, v in steps.items()},
               "export.html": (render, "render_html"), "export.pdf": (render, "write_pdf")}
    acc: dict[str, float] = {}
    originals = {}
    for name, (mod, attr) in targets.items():
        fn = getattr(mod, attr)
        originals[name] = fn

        def wrapped(*a, _fn=fn, _name=name, **kw):
            t = time.thread_time()
            try:
                return _fn(*a, **kw)
            finally:
                acc[_name] = acc.get(_name, 0.0) + time.thread_time() - t

        setattr(mod, attr, wrapped)
    prof = None
    try:
        rows = []
        for i, spec in enumerate(specs):
            if i == warm and cprofile:
                import cProfile

                prof = cProfile.Profile()
                prof.enable()
            acc.clear()
            z0 = _proc_cpu(zpid()) if zpid() else (0.0, 0.0)
            p0, t0, w0 = time.process_time(), time.thread_time(), time.perf_counter()
            res = runner.run(spec)
            time.sleep(0.3)  # let the shut-down kernel exit and be reaped by the zygote
            p1, t1, w1 = time.process_time(), time.thread_time(), time.perf_counter() - 0.3
            z1 = _proc_cpu(zpid()) if zpid() else (0.0, 0.0)
            if res.get("status") != "ok":
                raise RuntimeError(f"profile run {spec['unit']} failed: {res.get('error')}")
            row = dict(unit=spec["unit"], wall=w1 - w0, worker_main=t1 - t0, worker_other=(p1 - p0) - (t1 - t0),
                       zygote=z1[0] - z0[0], kernel=z1[1] - z0[1], **acc)
            row["total"] = row["worker_main"] + row["worker_other"] + row["zygote"] + row["kernel"]
            if i >= warm:
                rows.append(row)
            echo(f"  {'warm-up ' if i < warm else ''}{spec['unit']}: " + ", ".join(
                f"{k} {v:.3f}" for k, v in row.items() if k != "unit"))
    finally:
        if prof is not None:
            prof.disable()
            prof.dump_stats(str(cprofile))
        for name, fn in originals.items():
            mod, attr = targets[name]
            setattr(mod, attr, fn)
        W.shutdown()
    keys = [k for k in rows[0] if k != "unit"]
    mean = {k: round(sum(r.get(k, 0.0) for r in rows) / len(rows), 3) for k in keys}
    return dict(period=period, reports=len(rows), warm_up=warm, loadavg=[round(x, 2) for x in os.getloadavg()],
                mean_cpu_seconds=mean, rows=rows, out_root=str(out_root))


def profile_cells(unit: str = "X001", period: str = "2025-Q1", window: str = "calendar", lang: str = "vi",
                  repeat: int = 5, echo=print) -> dict:
    """CPU of each report-notebook cell, run in this process (as a kernel would; figures to PNG like the inline
    display), after one warm-up pass; mean over ``repeat`` passes."""
    import tthc.report as TR
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.instance()  # display() needs a shell, as in a kernel
    sections = ["load", "header", "scorecard", "trends", "bieu06", "index766", "dossiers", "quality", "values"]
    acc = {s: 0.0 for s in sections}
    import contextlib
    import io

    for i in range(repeat + 1):
        with contextlib.redirect_stdout(io.StringIO()):
            t = time.process_time()
            r = TR.load(unit, period, window, lang)
            d = {"load": time.process_time() - t}
            for s in sections[1:]:
                t = time.process_time()
                getattr(r, s)()
                d[s] = time.process_time() - t
        if i:
            for k, v in d.items():
                acc[k] += v
    mean = {k: round(v / repeat, 3) for k, v in acc.items()}
    mean["total"] = round(sum(mean.values()), 3)
    echo(f"  cells {unit}: " + ", ".join(f"{k} {v:.3f}" for k, v in mean.items()))
    return dict(unit=unit, repeat=repeat, mean_cpu_seconds=mean, loadavg=[round(x, 2) for x in os.getloadavg()])


if __name__ == "__main__":  # python -m tthc.bench.batch [n] [cprofile-file]: the per-report CPU profile
    _n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    _res = profile_worker(n=_n, cprofile=Path(sys.argv[2]) if len(sys.argv) > 2 else None)
    print(json.dumps(_res["mean_cpu_seconds"], indent=1), "load", _res["loadavg"])
