"""Imported once by the kernel zygote (a multiprocessing forkserver) before it forks kernels.

Everything imported here is paid for once per worker instead of once per report: each report still gets a fresh
kernel process (isolation), but that process is a fork of an interpreter that already holds ipykernel, pandas,
matplotlib, seaborn and tthc. Kept import-only: no threads, no sockets, no event loop may exist before a fork.
The zygote sets ``MPLBACKEND`` (its ``--backend``) before importing this module and then calls :func:`warm_caches`
with the batch's period (its ``--warm``): settings come as arguments, not from the environment.
"""

import os

# Kernels must render figures inline; matplotlib reads MPLBACKEND once, at import, here in the zygote.
# The zygote sets the kernelspec's MPLBACKEND (the tthc kernel pins Agg) before importing this; a plain kernel
# renders inline.
os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    # several kernels share 2 cores; BLAS thread pools would only fight (and do not survive a fork well)
    os.environ.setdefault(_var, "1")
# debugpy (imported below for ipykernel's debugger) otherwise warns about frozen modules on import
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

import ipykernel.ipkernel  # noqa: E402,F401
import ipykernel.kernelapp  # noqa: E402,F401
import IPython  # noqa: E402,F401
import matplotlib  # noqa: E402,F401
import numpy  # noqa: E402,F401
import pandas  # noqa: E402,F401
import seaborn  # noqa: E402,F401

import tthc  # noqa: E402,F401

#: Modules a kernel imports while it starts and runs a report, beyond the ones above: ipykernel's debugger (debugpy,
#: pydevd), IPython's inspector, the warehouse and sample modules, sqlite3, and every country of ``holidays`` (its
#: registry imports them all on ``country_holidays("VN")``), the portal reconciliation, the plan section's modules.
#: Measured: ≈ 0.2 CPU-s per kernel when left to the kernel. (Find more: compare ``sys.modules`` before and after a
#: report in a warmed process.)
KERNEL_MODULES = (
    "tthc.report", "tthc.engine.query", "tthc.report.plots", "tthc.report.tables", "tthc.report.context",
    "tthc.report.data", "tthc.render.blocks", "tthc.warehouse", "tthc.sample", "tthc.workdays", "tthc.units",
    "ipykernel.debugger", "debugpy.server.api", "IPython.core.debugger", "IPython.core.completerlib",
    "IPython.core.oinspect", "IPython.extensions.storemagic", "psutil", "sqlite3", "tornado.queues",
    "tornado.locks", "tornado.gen", "holidays", "holidays.countries", "holidays.countries.vietnam",
    "pandas.io.formats.csvs", "pandas.core.methods.to_dict", "pandas.core.reshape.reshape", "tthc.portal",
    "tthc.portal.figures", "tthc.portal.reconcile", "tthc.portal.store", "tthc.report.assess", "tthc.report.planner",
)
for _mod in KERNEL_MODULES:
    # whatever of these exist: import them, silently skip the rest
    try:
        __import__(_mod)
    except Exception:  # noqa: BLE001 - optional warm-up only; the kernel imports for real later
        pass


def warm_caches(period: str | None = None, window: str = "calendar", lang: str | None = None) -> None:
    """Fill caches every kernel would otherwise fill again: matplotlib's fonts and text rendering, and (given the
    batch's ``period``) the cube tables tthc.engine.query keeps in an lru_cache keyed by file mtime and the charts'
    layouts and frames, for the batch's ``lang`` (None: every language). An optimisation only: never raises."""
    try:
        _warm_caches(period, window, lang)
    except Exception:  # noqa: BLE001 - an optimisation only
        pass


def _warm_caches(period: str | None, window: str, lang: str | None = None) -> None:
    import io

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    ax.set_title("Tỷ lệ hồ sơ – ấm máy")
    fig.savefig(io.BytesIO(), format="png")
    fig.savefig(io.BytesIO(), format="svg")  # reports display charts as SVG (tthc.report.plots.to_svg)
    plt.close(fig)
    # the working-day calendar (holidays for every year) and the unit registry: both cached by file, read once here
    from tthc.units import load_registry
    from tthc.workdays import load_calendar

    load_calendar()
    load_registry()
    # every configuration file a report reads (parsed once here, shared by the forked kernels)
    from tthc.engine.index766 import load_rules
    from tthc.engine.targets import load_targets
    from tthc.report.narrative import load_templates

    for load in (load_targets, load_rules, load_templates):
        try:
            load()
        except Exception:  # noqa: BLE001 - a broken file is reported by the report itself, in one line
            pass
    if period:
        from tthc.engine import query as q
        from tthc.engine.cube import CUBE_FILES
        from tthc.report.data import cube_dir

        d = cube_dir()
        for name in CUBE_FILES:  # every table a report reads
            if (d / f"{name}.parquet").exists():
                q._table(name, d)
        _warm_chart_layouts(period, window, lang)


def _warm_chart_layouts(period: str, window: str, lang: str | None = None) -> None:
    """The scorecard and 766 charts' layouts (``tthc.report.plots._LAYOUTS``) and frames (``plots._FRAMES``) for
    this period, from any unit of the cube: they depend on labels, not on a unit's values; and the trend chart's
    frames (``plots._TREND_FRAMES``), which depend only on the months. For the batch's ``lang`` only (None: every
    language): a frame of the other language would never be used, and drawing it delays the first report."""
    from tthc.engine import query as q
    from tthc.periods import parse_period
    from tthc.report import plots
    from tthc.report.data import TREND_MONTHS
    from tthc.report.i18n import LANGS, period_label

    langs = (lang,) if lang else LANGS
    plots.prepare_trend_frames([m.code for m in parse_period(period).trailing_months(TREND_MONTHS)], langs)

    ind = q.indicators(period, window)
    if ind is None or not len(ind):
        return
    unit = ind["unit"].iloc[0]
    items766 = q.index766(unit, period, window)
    labels = {code: period_label(period, code) for code in langs}
    plots.warm_layouts(ind[ind["unit"] == unit].reset_index(drop=True), items766, labels)
    plots.prepare_frames(items766, labels)
    q.bieu06(period, window, unit=unit)  # the (period, window) row index of each cube table (query._select)
    q.trend(unit, period, window, months=TREND_MONTHS)

