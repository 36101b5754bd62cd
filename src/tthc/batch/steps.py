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
        import nbformat

        # the report template compiles at its first render (≈ 0.05 CPU-s): render a one-cell notebook now
        out = nbformat.v4.new_output("display_data", data={"text/html": "<p>tthc</p>"})
        render.render_html(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1", outputs=[out])]))
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


def warm_exports(warm=None) -> None:
    """First-call costs a worker would otherwise pay in its first report, paid while it waits for its first kernel:
    with ``warm`` = ``(period, window, ...)`` (:func:`tthc.batch.worker.worker_config`) the Excel writer and the cube
    tables it reads (one unit's Biểu 06 to a scratch file, ≈ 0.1 CPU-s). Then everything this process holds is
    frozen out of the garbage collector's reach (``gc.freeze``): a full collection during a report otherwise walks
    every preloaded object, ≈ 0.1 CPU-s each time it happens (measured on the Excel export)."""
    if warm:
        try:
            import tempfile
            from pathlib import Path

            from ..engine import query as q
            from ..export_xlsx import write_bieu06_workbook

            period, window = warm[0], warm[1]
            ind = q.indicators(period, window)
            if ind is not None and len(ind):
                with tempfile.TemporaryDirectory(prefix="tthc-warm-") as d:
                    write_bieu06_workbook(Path(d) / "warm.xlsx", str(ind["unit"].iloc[0]), period, window)
        except Exception:  # noqa: BLE001 - an optimisation only; a real error surfaces in the run
            pass
    freeze_heap()


def freeze_heap() -> None:
    """``gc.collect()`` then ``gc.freeze()``: what this process holds now is never walked by a collection again (the
    forkserver does it before forking workers, a worker after its warm-up)."""
    import gc

    gc.collect()
    gc.freeze()
