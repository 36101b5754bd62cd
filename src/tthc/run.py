"""Run one report end to end: validate → prepare → execute (papermill, in-process) → export → run.json.

Each step is a separate function so the batch runner can reuse them with long-lived kernels:

* :func:`prepare` validates the parameters *before anything runs* and returns the notebook and output folder;
* :func:`execute` runs the notebook with papermill (parameters as a dict, never CLI strings), on the project
  kernelspec ``tthc`` (the venv's own python), retrying a kernel start that lost a port race;
* :func:`export` writes ``report.ipynb``/``.html``/``.pdf`` (or ``overview.*``) under temporary names and renames
  them only when everything succeeded;
* :func:`write_run_json` records parameters, data hash, version, git commit, timings and the :func:`compute_stamp`.

Stale outputs (**decision**): a run first removes every output a previous run of the same unit and period left
(report.*, overview.*, bieu06.xlsx, run.json, report.error.ipynb), so the folder only ever holds the latest run. A
failed execution leaves ``report.error.ipynb`` (papermill's partial notebook with the traceback) and a run.json
with ``"status": "failed"``, and no HTML/PDF.
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

# Own kernelspec (not the lab's ``tthc``, which pins TTHC_ROOT): the kernel inherits the runner's environment, so
# TTHC_ROOT / TTHC_WAREHOUSE / TTHC_UNITS given to ``tthc report`` (or a test) reach the notebook.
KERNEL_NAME = "tthc-report"
#: the environment of the tthc kernelspec (figures drawn by tthc.report.plots on Agg, no debugger file checks)
KERNEL_ENV = {"MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
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
    """Install (once) a kernelspec ``tthc`` into this environment's share/jupyter that runs *this* python, so
    reports never execute on another interpreter. Falls back to ``python3`` if the prefix is read-only."""
    d = Path(sys.prefix) / "share" / "jupyter" / "kernels" / name
    # log level ERROR: ipykernel 7 warns on every start that local TCP is unencrypted, which is noise in CLI output
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                     "--IPKernelApp.log_level=ERROR"],
            "display_name": "Python (tthc reports)", "language": "python",
            "env": dict(KERNEL_ENV),
            "metadata": {"debugger": True}}
    f = d / "kernel.json"
    try:
        if not f.exists() or json.loads(f.read_text()) != spec:
            d.mkdir(parents=True, exist_ok=True)
            tmp = f.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(spec, indent=1))
            tmp.replace(f)
    except OSError:
        return "python3"
    return name


# -- steps -----------------------------------------------------------------------------------------------------
@dataclass
class Job:
    """One notebook to run: validated parameters, template notebook, output folder, timings."""

    params: object                     # tthc.report.params.ReportParams
    notebook: Path
    out_dir: Path
    timings: dict = field(default_factory=dict)

    @property
    def stem(self) -> str:
        return STEMS[self.params.kind]


def prepare(unit, period, window="calendar", lang="vi", kind="unit", out_root=None, registry=None):
    """Validate (raises ParameterError, nothing written) and return ``(nb, job)``: the template notebook node and
    the job with ``out_dir = <out_root>/<period>/<unit>``."""
    from .report.params import validate
    from .units import load_registry

    reg = registry if registry is not None else load_registry()
    params = validate(unit, period, window, lang, kind=kind, registry=reg)
    import nbformat  # after validation: a bad parameter fails fast, before any heavy import
    root = Path(out_root) if out_root else config.outputs_dir()
    out_dir = root / params.period / params.unit
    nb_path = config.notebooks_dir() / NOTEBOOKS[kind]
    nb = nbformat.read(nb_path, as_version=4)
    return nb, Job(params=params, notebook=nb_path, out_dir=out_dir)


def clear_outputs(out_dir: Path) -> list[str]:
    """Remove what a previous run of this unit/period left (see the module docstring)."""
    removed = []
    for n in OUTPUT_NAMES:
        p = out_dir / n
        if p.exists():
            p.unlink()
            removed.append(n)
    return removed


def _is_port_race(e: BaseException) -> bool:
    text = f"{type(e).__name__}: {e}"
    return "Address already in use" in text or "ZMQError" in text or "Kernel didn't respond" in text


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
            err = job.out_dir / f"{job.stem}.error.ipynb"
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
                tmp.replace(job.out_dir / f"{job.stem}.error.ipynb")
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
def git_commit() -> str:
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
def has_children(unit: str, period: str, window: str, registry) -> bool:
    from .periods import parse_period

    a, b = parse_period(period).bounds(window)
    return any(registry.get(c).overlaps(a, b) for c in registry.children(unit))


def run_report(unit, period, window="calendar", lang="vi", out_root=None, formats=("ipynb", "html", "pdf"),
               xlsx: bool = True, overview: bool | None = None, kernel_name: str | None = None,
               ensure: bool = True, registry=None) -> dict:
    """Validate, (sample + cube if nothing was ingested), execute the unit report (and the overview when the unit
    has children), export, write run.json. Returns the run record; raises on failure after recording it."""
    from .report.data import ensure_data, slice_hash
    from .units import load_registry

    t_start = time.perf_counter()
    reg = registry if registry is not None else load_registry()
    nb, job = prepare(unit, period, window, lang, "unit", out_root, reg)
    timings = {"validate": round(time.perf_counter() - t_start, 3)}
    p = job.params
    removed = clear_outputs(job.out_dir) if job.out_dir.exists() else []
    if removed:
        log(f"removed the previous run's outputs in {job.out_dir}: {', '.join(removed)}")
    job.out_dir.mkdir(parents=True, exist_ok=True)
    record = {"status": "running", "parameters": p.papermill(), "version": __version__, "git_commit": git_commit(),
              "python": sys.version.split()[0], "outputs": [], "timings": timings}
    try:
        if ensure:
            t0 = time.perf_counter()
            done = ensure_data()
            timings["ensure_data"] = round(time.perf_counter() - t0, 3)
            record["sample_generated"] = done["sample"]
            record["warehouse_hash"] = done["cube_meta"].get("warehouse_hash")
        t0 = time.perf_counter()
        data_hash = slice_hash([p.unit, *reg.descendants(p.unit)], p.period, p.window)
        record["data_hash"] = data_hash
        jobs = [(nb, job)]
        if overview if overview is not None else has_children(p.unit, p.period, p.window, reg):
            nb2, job2 = prepare(p.unit, p.period, p.window, p.lang, "overview", out_root, reg)
            jobs.append((nb2, job2))
        st = compute_stamp(p, [j.notebook for _, j in jobs], data_hash)
        record["stamp"], record["stamp_parts"] = st["stamp"], st["parts"]
        timings["stamp"] = round(time.perf_counter() - t0, 3)
        kname = kernel_name or ensure_kernelspec()
        executed = [(execute(tnb, tjob, kernel_name=kname), tjob) for tnb, tjob in jobs]
        record["meta"] = executed[0][0].metadata.get("tthc")
        # exports only once every notebook ran: a failed overview leaves no half-finished set of PDFs
        for enb, tjob in executed:
            log(f"{p.unit} {p.period}: writing {', '.join(f'{tjob.stem}.{f}' for f in formats)}")
            record["outputs"] += [x.name for x in export(enb, tjob, formats)]
            timings.update(tjob.timings)
        if xlsx:
            log(f"{p.unit} {p.period}: writing bieu06.xlsx")
            record["outputs"].append(export_xlsx(job).name)
            timings.update(job.timings)
        record["status"] = "ok"
    except BaseException as e:
        record["status"] = "failed"
        record["error"] = f"{type(e).__name__}: {e}"
        for _, tjob in locals().get("jobs", [(nb, job)]):
            timings.update(tjob.timings)
        timings["total"] = round(time.perf_counter() - t_start, 3)
        write_run_json(job.out_dir, record)
        raise
    timings["total"] = round(time.perf_counter() - t_start, 3)
    write_run_json(job.out_dir, record)
    log(f"{p.unit} {p.period}: done in {timings['total']:.1f} s → {job.out_dir}")
    record["out_dir"] = str(job.out_dir)
    return record
