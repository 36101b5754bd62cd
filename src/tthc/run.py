"""Run one report end to end: validate → prepare → execute (papermill, in-process) → export → run.json.

Each step is a separate function so the batch runner can reuse them with long-lived kernels:

* :func:`prepare` validates the parameters *before anything runs* and returns the notebook and output folder;
* :func:`execute` runs the notebook with papermill (parameters as a dict, never CLI strings), on the project
  kernelspec ``tthc`` (the venv's own python), retrying a kernel start that lost a port race;
* :func:`export` writes ``report.ipynb``/``.html``/``.pdf`` (or ``overview.*``) under temporary names and renames
  them only when everything succeeded;
* :func:`write_run_json` records parameters, data hash, version, git commit, timings and the :func:`compute_stamp`.

:func:`run_report` is the one report run: ``tthc report``, the local batch pool and Dask workers all call it; they
differ only in how a notebook gets its kernel (``executor``: by default papermill starts the ``tthc`` kernel; a batch
worker passes one that uses its pre-started kernels through the papermill engine :data:`WARM_ENGINE`) and in what
they already know (the data hash and stamp the batch plan computed, the registry).

Outputs (**decision**, issue #18): a run holds the lock of its output folder (:class:`tthc.outputs.FolderLock`;
a second run of the same report waits, then says in one line that it is being produced), writes everything into a
staging folder beside it and moves the files in only when complete, ``run.json`` last; outputs of the previous run
that the new one does not write (an overview, a PDF not asked for, a previous ``report.error.ipynb``) are removed
then. A failed or interrupted run (Ctrl-C, a busy warehouse) leaves the previous outputs untouched: its
``run.json`` (``"status": "failed"``, same schema as a success) is written only where there is no good run to keep,
and papermill's partial notebook with the traceback is kept as ``report.error.ipynb``.

``run.json`` (one schema, success or failure): ``status`` ("ok" | "failed"), ``error`` (failed only),
``parameters``, ``runner`` ("tthc report" | "tthc batch"), ``version``, ``git_commit``, ``python``,
``warehouse_hash``, ``data_hash``, ``stamp``, ``stamp_parts``, ``meta`` (the report's metadata), ``outputs``,
``output_sha256``, ``indicators`` (headline D1–D7), ``timings`` (and ``sample_generated`` when the run made data).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import __version__, config
from .errors import TthcError

# The one project kernel (tthc.kernel): the kernel inherits the runner's environment, so TTHC_ROOT / TTHC_WAREHOUSE /
# TTHC_UNITS given to ``tthc report`` (or a test) reach the notebook; everything else it is told (the 766 rules
# version) is a papermill parameter.
from .kernel import KERNEL_ENV, KERNEL_NAME, is_port_race  # noqa: E402
NOTEBOOKS = {"unit": "unit_report.ipynb", "overview": "overview.ipynb"}
STEMS = {"unit": "report", "overview": "overview"}
OUTPUT_NAMES = ("report.ipynb", "report.html", "report.pdf", "report.error.ipynb", "overview.ipynb",
                "overview.html", "overview.pdf", "overview.error.ipynb", "bieu06.xlsx", "run.json")


class ReportExecutionError(TthcError):
    """The report notebook raised; the partial notebook with the traceback was kept as ``*.error.ipynb``."""


def log(msg: str) -> None:
    print(f"tthc report: {msg}", file=sys.stderr, flush=True)


# -- kernel ----------------------------------------------------------------------------------------------------
def ensure_kernelspec(name: str = KERNEL_NAME) -> str:
    """The project kernel ``tthc`` (:func:`tthc.kernel.ensure`): installed once into this environment, running *this*
    python; ``python3`` if the prefix is read-only."""
    from .kernel import ensure

    return ensure()


# -- steps -----------------------------------------------------------------------------------------------------
@dataclass
class Job:
    """One notebook to run: validated parameters, template notebook, output folder, timings."""

    params: object                     # tthc.report.params.ReportParams
    notebook: Path
    out_dir: Path                      # where the files are written (a run's staging folder)
    timings: dict = field(default_factory=dict)
    final_dir: Path | None = None      # the output folder the staged files go to (error notebooks go straight here)

    @property
    def stem(self) -> str:
        return STEMS[self.params.kind]


def prepare(unit, period, window="calendar", lang="vi", kind="unit", out_root=None, registry=None,
            rules: str | None = None):
    """Validate (raises ParameterError, nothing written) and return ``(nb, job)``: the template notebook node and
    the job with ``out_dir = <out_root>/<period>/<unit>``. ``rules``: the 766 rules version (``--rules``), handed
    to the notebook as its ``rules`` parameter."""
    from .report.params import validate
    from .units import load_registry

    reg = registry if registry is not None else load_registry()
    params = validate(unit, period, window, lang, kind=kind, registry=reg, rules=rules)
    import nbformat  # after validation: a bad parameter fails fast, before any heavy import
    root = Path(out_root) if out_root else config.outputs_dir()
    out_dir = root / params.period / params.unit
    nb_path = config.notebooks_dir() / NOTEBOOKS[kind]
    nb = nbformat.read(nb_path, as_version=4)
    return nb, Job(params=params, notebook=nb_path, out_dir=out_dir)


_is_port_race = is_port_race  # one home: tthc.kernel


#: papermill engine (registered by :func:`register_engine`) that runs a notebook on a kernel manager the caller
#: started (``km=``) and closes the client channels it opened; the kernel's shutdown stays with the caller
WARM_ENGINE = "tthc-warm"


def register_engine() -> str:
    """Register :data:`WARM_ENGINE` in papermill's engine registry (again: harmless); returns its name."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            # as NBClientEngine.execute_managed_notebook, keeping hold of the client to close its channels
            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(safe_kwargs, timeout=execution_timeout or kwargs.get("timeout"),
                                        startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                                        log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
            client = PapermillNotebookClient(nb_man, **final_kwargs)
            try:
                return client.execute()
            finally:
                if getattr(client, "kc", None) is not None:
                    client.kc.stop_channels()

    papermill_engines.register(WARM_ENGINE, WarmKernelEngine)
    return WARM_ENGINE


def execute(nb, job: Job, kernel_name: str | None = None, retries: int = 2, **engine_kwargs):
    """Run the notebook with papermill; returns the executed node with ``metadata.tthc`` set.

    On an error in a cell, papermill's partial notebook is kept as ``<stem>.error.ipynb`` and
    :class:`ReportExecutionError` is raised. ``engine_kwargs`` go to papermill's engine (e.g. ``km=`` a started
    kernel manager from a batch worker)."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    kernel_name = kernel_name or ensure_kernelspec()
    job.out_dir.mkdir(parents=True, exist_ok=True)
    tmp = job.out_dir / f".{job.stem}.{os.getpid()}.running.ipynb"
    t0 = time.perf_counter()
    log(f"{job.params.unit} {job.params.period} ({job.params.window}, {job.params.lang}): executing "
        f"{job.notebook.name}")
    attempt = 0
    while True:
        try:
            out = pm.execute_notebook(nb, str(tmp), parameters=job.params.papermill(), kernel_name=kernel_name,
                                      progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                                      cwd=str(config.project_root()), **engine_kwargs)
            break
        except PapermillExecutionError as e:
            err = (job.final_dir or job.out_dir) / f"{job.stem}.error.ipynb"
            err.parent.mkdir(parents=True, exist_ok=True)
            if tmp.exists():
                tmp.replace(err)
            job.timings[f"execute_{job.stem}"] = round(time.perf_counter() - t0, 3)
            raise ReportExecutionError(f"{job.notebook.name} failed in cell {e.exec_count}: {e.ename}: "
                                       f"{str(e.evalue)[:300]}; see {err}") from None
        except Exception as e:  # noqa: BLE001 - only kernel start races are retried
            if attempt < retries and _is_port_race(e):
                attempt += 1
                log(f"kernel start failed ({type(e).__name__}), retrying ({attempt}/{retries})")
                time.sleep(0.3 * attempt)
                continue
            if tmp.exists():
                (job.final_dir or job.out_dir).mkdir(parents=True, exist_ok=True)
                tmp.replace((job.final_dir or job.out_dir) / f"{job.stem}.error.ipynb")
            raise
    if tmp.exists():
        tmp.unlink()
    meta = report_meta(out)
    if meta is not None:
        out.metadata["tthc"] = meta
    job.timings[f"execute_{job.stem}"] = round(time.perf_counter() - t0, 3)
    return out


def report_meta(nb) -> dict | None:
    """The metadata dict of the first output carrying ``application/vnd.tthc.report+json``."""
    from .report.context import META_MIME

    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = o.get("data") or {}
            if META_MIME in data:
                m = data[META_MIME]
                return dict(json.loads(m) if isinstance(m, str) else m)
    return None


def _atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()


def export(nb, job: Job, formats=("ipynb", "html", "pdf")) -> list[Path]:
    """Write the executed notebook and its HTML/PDF under temporary names, then rename; returns the paths."""
    import nbformat

    from . import render

    stem, out = job.stem, job.out_dir
    written = []
    staged = []
    try:
        if "ipynb" in formats:
            t0 = time.perf_counter()
            p = out / f".{stem}.ipynb.staged"
            nbformat.write(nb, str(p))
            staged.append((p, out / f"{stem}.ipynb"))
            job.timings[f"ipynb_{stem}"] = round(time.perf_counter() - t0, 3)
        html = None
        if "html" in formats or "pdf" in formats:
            # rendered once: the PDF is laid out from the same HTML (stylesheet inlined), not re-exported
            t0 = time.perf_counter()
            html = render.render_html(nb)
            if "html" in formats:
                p = out / f".{stem}.html.staged"
                p.write_text(html, encoding="utf-8")
                staged.append((p, out / f"{stem}.html"))
            job.timings[f"html_{stem}"] = round(time.perf_counter() - t0, 3)
        if "pdf" in formats:
            t0 = time.perf_counter()
            p = out / f".{stem}.pdf.staged"
            render.write_pdf(nb, p)  # typeset from the notebook's structured sections
            staged.append((p, out / f"{stem}.pdf"))
            job.timings[f"pdf_{stem}"] = round(time.perf_counter() - t0, 3)
    except BaseException:
        for p, _ in staged:
            p.unlink(missing_ok=True)
        raise
    for p, final in staged:
        p.replace(final)
        written.append(final)
    return written


def export_xlsx(job: Job) -> Path:
    from .export_xlsx import write_bieu06_workbook

    t0 = time.perf_counter()
    path = job.out_dir / "bieu06.xlsx"
    p = job.params
    _atomic(path, lambda tmp: write_bieu06_workbook(tmp, p.unit, p.period, p.window))
    job.timings["xlsx"] = round(time.perf_counter() - t0, 3)
    return path


# -- provenance ------------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def git_commit() -> str:
    """The commit of the package's checkout (asked once per process: a batch worker runs many reports)."""
    try:
        r = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent, capture_output=True, text=True,
                           timeout=5)
        return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _hash_files(h, files, base: Path) -> None:
    for f in sorted(files):
        h.update(str(f.relative_to(base)).encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")


@lru_cache(maxsize=1)
def package_hash() -> str:
    """sha256 over the ``tthc`` package sources (python, templates, stylesheets)."""
    base = Path(__file__).resolve().parent
    h = hashlib.sha256()
    _hash_files(h, [p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                    and p.suffix not in (".pyc",)], base)
    return h.hexdigest()


@lru_cache(maxsize=1)
def environment_hash() -> str:
    """sha256 over the installed distributions (name==version), i.e. the locked environment."""
    from importlib.metadata import distributions

    names = sorted({f"{(name or '').lower()}=={version}" for name, version in map(_name_version, distributions())})
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


def _name_version(dist) -> tuple[str | None, str | None]:
    """``(metadata Name, Version)`` of an installed distribution, parsing only the metadata's header block (the
    long description after it made ``dist.metadata`` cost ≈ 1 CPU-s for the whole environment, on every batch)."""
    from email.parser import HeaderParser

    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    head = HeaderParser().parsestr(text.split("\n\n", 1)[0])
    if head["Name"] is None or head["Version"] is None:
        return dist.metadata["Name"], dist.version
    return head["Name"], head["Version"]


def config_hash() -> str:
    base = config.params_dir()
    h = hashlib.sha256()
    _hash_files(h, [p for p in base.rglob("*") if p.is_file()], base)
    units = config.default_units()
    if units.is_file() and base not in units.resolve().parents:
        h.update(units.read_bytes())
    return h.hexdigest()


def compute_stamp(params, notebooks=(), data_hash: str | None = None, registry=None) -> dict:
    """The reproducibility stamp of a report: sha256 over parameters, notebook bytes, package sources, params/
    config files, the data slice the report reads, and the installed environment. Returns the parts and ``stamp``."""
    from .report.data import slice_hash
    from .units import load_registry

    if data_hash is None:
        reg = registry if registry is not None else load_registry()
        data_hash = slice_hash([params.unit, *reg.descendants(params.unit)], params.period, params.window)
    nb_h = hashlib.sha256()
    for p in notebooks:
        nb_h.update(Path(p).read_bytes())
    parts = {
        "parameters": hashlib.sha256(json.dumps(params.papermill(), sort_keys=True).encode()).hexdigest(),
        "notebooks": nb_h.hexdigest(),
        "package": package_hash(),
        "config": config_hash(),
        "data": data_hash,
        "environment": environment_hash(),
    }
    stamp = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    return {"stamp": stamp, "parts": parts}


def write_run_json(out_dir: Path, record: dict) -> Path:
    path = Path(out_dir) / "run.json"
    _atomic(path, lambda tmp: tmp.write_text(json.dumps(record, ensure_ascii=False, indent=1, default=str) + "\n",
                                             encoding="utf-8"))
    return path


# -- composition -----------------------------------------------------------------------------------------------
def has_children(unit: str, period, window: str, registry) -> bool:
    """Whether the unit has a child valid in the period (a code or a parsed Period): then it gets an overview."""
    from .periods import Period, parse_period

    a, b = (period if isinstance(period, Period) else parse_period(period)).bounds(window)
    return any(registry.get(c).overlaps(a, b) for c in registry.children(unit))


def run_report(unit, period, window="calendar", lang="vi", out_root=None, formats=("ipynb", "html", "pdf"),
               xlsx: bool = True, overview: bool | None = None, kernel_name: str | None = None,
               ensure: bool = True, registry=None, *, executor=None, data_hash: str | None = None,
               stamp: dict | None = None, record_extra: dict | None = None, say=None,
               lock_timeout: float | None = None, rules: str | None = None) -> dict:
    """The one report run (see the module docstring): lock the output folder, (sample + cube if nothing was
    ingested, when ``ensure``), execute the unit report (and the overview when the unit has children), export,
    swap the finished outputs in, write run.json. Returns the run record; raises on failure after recording it.

    ``executor(nb, job) -> executed nb`` is how a notebook gets its kernel (default: :func:`execute` on the ``tthc``
    kernel); ``data_hash`` / ``stamp`` (``{"stamp", "parts"}``) are computed unless given; ``say`` gets the progress
    messages (default stderr); ``rules``: the 766 rules version (``--rules``; None: the one in force at the period's
    end), a papermill parameter of the notebooks."""
    from .outputs import LOCK_TIMEOUT, FolderLock, commit, discard, good_run, new_stage
    from .report.data import slice_hash
    from .report.params import checked_period
    from .units import load_registry

    say = say or log
    t_start = time.perf_counter()
    reg = registry if registry is not None else load_registry()
    period = checked_period(period)  # parsed once here (or by the caller): the Period goes down from here
    nb, job = prepare(unit, period, window, lang, "unit", out_root, reg, rules)
    timings = {"validate": round(time.perf_counter() - t_start, 3)}
    p = job.params
    final = job.out_dir
    record = {"status": "running", "parameters": p.papermill(), "runner": "tthc report", "version": __version__,
              "git_commit": git_commit(), "python": sys.version.split()[0], "outputs": [], "timings": timings}
    record.update(record_extra or {})
    with FolderLock(final, timeout=LOCK_TIMEOUT if lock_timeout is None else lock_timeout, say=say):
        stage = new_stage(final)
        job.out_dir, job.final_dir = stage, final
        jobs = [(nb, job)]
        try:
            if ensure:
                from .bootstrap import ensure_data

                t0 = time.perf_counter()
                done = ensure_data(period=period)
                timings["ensure_data"] = round(time.perf_counter() - t0, 3)
                record["sample_generated"] = done["sample"]
                record["warehouse_hash"] = done["cube_meta"].get("warehouse_hash")
            t0 = time.perf_counter()
            if data_hash is None:
                data_hash = slice_hash([p.unit, *reg.descendants(p.unit)], period, p.window)
            record["data_hash"] = data_hash
            if overview if overview is not None else has_children(p.unit, period, p.window, reg):
                nb2, job2 = prepare(p.unit, period, p.window, p.lang, "overview", out_root, reg, p.rules)
                job2.out_dir, job2.final_dir = stage, final
                jobs.append((nb2, job2))
            st = stamp or compute_stamp(p, [j.notebook for _, j in jobs], data_hash)
            record["stamp"], record["stamp_parts"] = st["stamp"], st["parts"]
            timings["stamp"] = round(time.perf_counter() - t0, 3)
            if executor is None:
                kname = kernel_name or ensure_kernelspec()

                def executor(tnb, tjob):
                    return execute(tnb, tjob, kernel_name=kname)
            executed = []
            for tnb, tjob in jobs:
                executed.append((executor(tnb, tjob), tjob))
                timings.update(tjob.timings)
            record["meta"] = executed[0][0].metadata.get("tthc")
            # exports only once every notebook ran: a failed overview leaves no half-finished set of PDFs
            for enb, tjob in executed:
                say(f"{p.unit} {p.period}: writing {', '.join(f'{tjob.stem}.{f}' for f in formats)}")
                record["outputs"] += [x.name for x in export(enb, tjob, formats)]
                timings.update(tjob.timings)
            if xlsx:
                say(f"{p.unit} {p.period}: writing bieu06.xlsx")
                record["outputs"].append(export_xlsx(job).name)
                timings.update(job.timings)
            record["output_sha256"] = {n: _sha256_file(stage / n) for n in record["outputs"]}
            record["indicators"] = headline(p, period)
            record["status"] = "ok"
            timings["total"] = round(time.perf_counter() - t_start, 3)
            write_run_json(stage, record)
            commit(stage, final, OUTPUT_NAMES + ("error.json",))
        except BaseException as e:
            record["status"] = "failed"
            record["error"] = f"{type(e).__name__}: {e}"
            record["outputs"] = []
            for _, tjob in jobs:
                timings.update(tjob.timings)
            timings["total"] = round(time.perf_counter() - t_start, 3)
            discard(stage)
            if good_run(final):
                say(f"{p.unit} {p.period}: failed; the previous outputs in {final} are kept")
            else:
                final.mkdir(parents=True, exist_ok=True)
                write_run_json(final, record)
            raise
        finally:
            for _, tjob in jobs:
                tjob.out_dir = final
    say(f"{p.unit} {p.period}: done in {timings['total']:.1f} s → {final}")
    record["out_dir"] = str(final)
    return record


#: the headline indicators run.json records (and the batch index shows)
HEADLINE = ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8")


def headline(params, period=None) -> dict:
    """D1–D7 (value, target, status, numerator, denominator, gap) of the report's unit from the cube, for run.json
    and the batch index; empty when the cube cannot say. ``period``: the parsed period, if the caller has it."""
    try:
        from .engine import query as q

        ind = q.indicators(period or params.period, params.window, units=[params.unit])
    except Exception:  # noqa: BLE001 - the index then shows no figures for this run
        return {}
    out = {}
    for row in ind.to_dict("records"):
        if row.get("indicator") in HEADLINE:
            out[row["indicator"]] = {k: _plain(row.get(k)) for k in ("value", "target", "status", "numerator",
                                                                    "denominator", "gap")}
    return out


def _plain(v):
    try:
        import math

        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
    except TypeError:
        pass
    if hasattr(v, "item"):
        try:
            return v.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(v, (int, float, str, bool)):
        return v
    return str(v)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
