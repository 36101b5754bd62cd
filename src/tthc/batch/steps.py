"""The steps of one run, as the batch worker composes them: prepare → execute (warm kernel) → export to temporary
files → commit (rename into place, ``run.json`` last).

Rendering uses the project's renderer (:mod:`tthc.render`: one HTML exporter and one WeasyPrint setup per process);
the HTML is rendered once and the PDF is made from it.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path

from . import atomic

RUN_JSON = "run.json"
ERROR_JSON = "error.json"
HEADLINE = ("D1", "D2", "D3", "D4", "D5", "D6", "D7")


def warm_up() -> None:
    """Import and build everything a run needs once per process (exporters, stylesheet, fonts)."""
    try:
        from .. import render

        render.html_exporter(True, "")
        render.html_exporter(False, "")
        from ..render import pdf

        pdf.stylesheet()
        pdf.font_config()
    except Exception:  # noqa: BLE001 - warm-up is an optimisation; a real error surfaces in the run
        pass
    for mod in ("tthc.run", "tthc.export_xlsx", "openpyxl", "tthc.engine.query", "tthc.report"):
        try:
            __import__(mod)
        except Exception:  # noqa: BLE001
            pass
    try:  # first-call costs of the Excel writer (styles, workbook machinery)
        import io

        import openpyxl

        wb = openpyxl.Workbook()
        wb.save(io.BytesIO())
    except Exception:  # noqa: BLE001
        pass
    try:  # the registry and the report's data helpers, parsed once per worker
        from .. import run as R

        R.package_hash()
        R.environment_hash()
    except Exception:  # noqa: BLE001
        pass


def output_paths(spec: dict) -> dict[str, Path]:
    out, name = Path(spec["out_dir"]), spec.get("name", "report")
    return {ext: out / f"{name}.{ext}" for ext in ("ipynb", "html", "pdf", "xlsx")}


def prepare_notebook(spec: dict):
    """The template notebook with the run's parameters injected (papermill's injected-parameters cell)."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = load_notebook_node(str(spec["notebook"]))  # as papermill does: every cell gets metadata.tags
    nb = parameterize_notebook(nb, dict(spec.get("parameters") or {}), report_mode=False)
    nb.metadata.setdefault("tthc", {})["batch"] = {"stamp": spec.get("stamp"), "id": spec["id"]}
    return nb


def _sanitised_for_save(nb):
    return nb


def export(spec: dict, nb, timing: dict, log) -> dict[str, Path]:
    """Write the executed notebook, HTML, PDF (and Excel when the report step provides it) to temporary files.

    Returns {ext: temporary path}; nothing is visible under a final name yet."""
    import nbformat

    final = output_paths(spec)
    wanted = set(spec.get("exports") or ("html", "pdf", "xlsx"))
    tmp: dict[str, Path] = {}
    t = time.perf_counter()
    tmp["ipynb"] = atomic.tmp_path(final["ipynb"])
    nbformat.write(nb, tmp["ipynb"])
    timing["write_ipynb"] = time.perf_counter() - t
    html = None
    if "html" in wanted or "pdf" in wanted:
        from ..render import render_html

        t = time.perf_counter()
        html = render_html(nb)
        timing["render_html"] = time.perf_counter() - t
    if "html" in wanted:
        tmp["html"] = atomic.tmp_path(final["html"])
        tmp["html"].write_text(html, encoding="utf-8")
    if "pdf" in wanted:
        from ..render import write_pdf

        t = time.perf_counter()
        tmp["pdf"] = atomic.tmp_path(final["pdf"])
        write_pdf(html, tmp["pdf"])
        timing["pdf"] = time.perf_counter() - t
    if "xlsx" in wanted:
        t = time.perf_counter()
        x = _excel(spec, atomic.tmp_path(final["xlsx"]))
        if x is not None:
            tmp["xlsx"] = x
            timing["xlsx"] = time.perf_counter() - t
    log("exported " + ", ".join(f"{k} {timing.get(k2, 0):.2f} s" for k, k2 in
                                (("html", "render_html"), ("pdf", "pdf"), ("xlsx", "xlsx")) if k in tmp))
    return tmp


def _excel(spec: dict, path: Path) -> Path | None:
    """The Excel export (Biểu 06 + indicators) when the project provides one for this kind of run."""
    if spec.get("excel") is False:
        return None
    try:
        from .. import run as tthc_run  # the report helper's module
    except ImportError:
        return None
    fn = getattr(tthc_run, "export_excel", None)
    if fn is None:
        return None
    fn(spec["unit"], spec["period"], spec.get("window", "calendar"), spec.get("lang", "vi"), path,
       kind=spec.get("kind", "unit"))
    return path if path.exists() else None


def headline(spec: dict) -> dict:
    """D1–D7 (value, target, status) of the run's unit from the cube, for run.json and the index page."""
    if spec.get("kind") not in ("unit", "overview") or spec.get("headline") is False:
        return {}
    try:
        from ..engine import query as q

        ind = q.indicators(spec["period"], spec.get("window", "calendar"), units=[spec["unit"]])
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


def run_record(spec: dict, nb, tmp_files: dict[str, Path], timing: dict) -> dict:
    from .. import __version__

    final = output_paths(spec)
    outputs = {ext: {"path": final[ext].name, "sha256": atomic.sha256_file(p), "bytes": p.stat().st_size}
               for ext, p in tmp_files.items()}
    return dict(status="ok", unit=spec["unit"], period=spec["period"], window=spec.get("window"),
                lang=spec.get("lang"), kind=spec.get("kind"), stamp=spec.get("stamp"),
                parameters=spec.get("parameters"), notebook=str(spec["notebook"]), outputs=outputs,
                indicators=headline(spec), timing={k: round(v, 3) for k, v in timing.items()},
                tthc_version=__version__, generated=datetime.now().isoformat(timespec="seconds"),
                runner="tthc batch")


def commit(spec: dict, tmp_files: dict[str, Path], record: dict) -> None:
    """Make the run's outputs visible: drop the old run.json (it must never vouch for new files), rename every
    temporary file into place, clear old error files, then write run.json last."""
    out = Path(spec["out_dir"])
    final = output_paths(spec)
    (out / RUN_JSON).unlink(missing_ok=True)
    for ext, p in tmp_files.items():
        atomic.replace(p, final[ext], fsync=False)
    for stale in (out / ERROR_JSON, out / f"{spec.get('name', 'report')}.error.ipynb"):
        stale.unlink(missing_ok=True)
    for ext, p in final.items():  # outputs of an older run that this one no longer produces
        if ext not in tmp_files:
            p.unlink(missing_ok=True)
    os.sync() if spec.get("sync") else None
    atomic.write_text(out / RUN_JSON, json.dumps(record, ensure_ascii=False, indent=1, default=str))


def write_error(spec: dict, nb, error: str) -> Path | None:
    """Keep the failed notebook (with its traceback) as ``<name>.error.ipynb`` and record ``error.json``."""
    out = Path(spec["out_dir"])
    out.mkdir(parents=True, exist_ok=True)
    errfile = None
    if nb is not None:
        try:
            import nbformat

            errfile = out / f"{spec.get('name', 'report')}.error.ipynb"
            atomic.write_text(errfile, nbformat.writes(nb), fsync=False)
        except Exception:  # noqa: BLE001
            errfile = None
    atomic.write_text(out / ERROR_JSON, json.dumps(dict(
        status="failed", unit=spec["unit"], period=spec["period"], kind=spec.get("kind"), stamp=spec.get("stamp"),
        error=error, error_notebook=errfile.name if errfile else None,
        time=datetime.now().isoformat(timespec="seconds")), ensure_ascii=False, indent=1), fsync=False)
    return errfile


def write_error_record(out_dir: Path, spec: dict, error: str, error_notebook: str | None) -> Path:
    """``error.json`` for a failed batch run (run.json is only ever written for a successful one)."""
    return atomic.write_text(Path(out_dir) / ERROR_JSON, json.dumps(dict(
        status="failed", unit=spec["unit"], period=spec["period"], window=spec.get("window"),
        lang=spec.get("lang"), kind=spec.get("kind"), stamp=spec.get("stamp"), error=error,
        error_notebook=error_notebook, time=datetime.now().isoformat(timespec="seconds")),
        ensure_ascii=False, indent=1), fsync=False)
