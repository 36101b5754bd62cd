"""Per-process helper of the batch worker: warm-up of the exporters (one HTML exporter and one Typst font book per
process, via :mod:`tthc.render`'s caches). The headline indicators and the run record are :mod:`tthc.run`'s."""

from __future__ import annotations


def warm_up(fonts: bool = True) -> None:
    """Import and build everything a run needs once per process (exporters, stylesheet, and with ``fonts`` Typst's
    font book: the worker forkserver leaves that to each worker, as Rust code may start threads)."""
    try:
        from .. import render

        render.html_exporter(True, "")
        render.html_exporter(False, "")
        from ..render import pdf

        if fonts:
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
