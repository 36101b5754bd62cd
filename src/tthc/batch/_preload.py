"""Imported once by the kernel zygote (a multiprocessing forkserver) before it forks kernels.

Everything imported here is paid for once per worker instead of once per report: each report still gets a fresh
kernel process (isolation), but that process is a fork of an interpreter that already holds ipykernel, pandas,
matplotlib, seaborn and tthc. Kept import-only: no threads, no sockets, no event loop may exist before a fork.
"""

import os

# Kernels must render figures inline; matplotlib reads MPLBACKEND once, at import, here in the zygote.
# The zygote gets the kernelspec's MPLBACKEND (tthc-report pins Agg); a plain kernel renders inline.
os.environ["MPLBACKEND"] = os.environ.get("TTHC_ZYGOTE_MPLBACKEND") or "module://matplotlib_inline.backend_inline"
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    # several kernels share 2 cores; BLAS thread pools would only fight (and do not survive a fork well)
    os.environ.setdefault(_var, "1")

import ipykernel.ipkernel  # noqa: E402,F401
import ipykernel.kernelapp  # noqa: E402,F401
import IPython  # noqa: E402,F401
import matplotlib  # noqa: E402,F401
import numpy  # noqa: E402,F401
import pandas  # noqa: E402,F401
import seaborn  # noqa: E402,F401

import tthc  # noqa: E402,F401

for _mod in ("tthc.report", "tthc.engine.query", "tthc.report.plots", "tthc.report.tables"):
    # whatever of the report's own modules exist: import them too, silently skip the rest
    try:
        __import__(_mod)
    except Exception:  # noqa: BLE001 - optional warm-up only; the kernel imports for real later
        pass
