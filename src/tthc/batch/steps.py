"""Per-process helpers of the batch worker: warm-up of the exporters (one HTML exporter and one Typst font book per
process, via :mod:`tthc.render`'s caches), the headline indicators recorded in run.json, and error records."""

from __future__ import annotations

import json
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

        pdf.typeset.fonts()  # Typst's font book, once per process
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


def write_error_record(out_dir: Path, spec: dict, error: str, error_notebook: str | None) -> Path:
    """``error.json`` for a failed batch run (run.json is only ever written for a successful one)."""
    return atomic.write_text(Path(out_dir) / ERROR_JSON, json.dumps(dict(
        status="failed", unit=spec["unit"], period=spec["period"], window=spec.get("window"),
        lang=spec.get("lang"), kind=spec.get("kind"), stamp=spec.get("stamp"), error=error,
        error_notebook=error_notebook, time=datetime.now().isoformat(timespec="seconds")),
        ensure_ascii=False, indent=1), fsync=False)
