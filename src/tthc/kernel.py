"""The one Jupyter kernel of the project: ``tthc``, the name every notebook's metadata gives.

``make install`` writes it (``python -m tthc.kernel``) under this environment's ``share/jupyter/kernels/tthc``
(never the user's home), so JupyterLab, ``papermill notebooks/unit_report.ipynb …``, ``tthc report`` and the batch
all execute on the same interpreter with the same settings.

The spec pins nothing about the project: the kernel inherits the caller's ``TTHC_ROOT`` / ``TTHC_WAREHOUSE`` /
``TTHC_UNITS`` (and finds the project root from its working folder otherwise, see :mod:`tthc.config`). It pins the
Agg backend, so a report's figures are the same bytes whichever front end ran it (tthc's charts are rendered and
displayed explicitly by :mod:`tthc.report.plots`; in JupyterLab ``%matplotlib inline`` brings back ad-hoc plots).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

KERNEL_NAME = "tthc"
KERNEL_DISPLAY_NAME = "Python (tthc)"
#: the environment of the kernelspec (figures drawn by tthc.report.plots on Agg, no debugger file checks)
KERNEL_ENV = {"MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def kernelspec(python: str | None = None) -> dict:
    """The ``kernel.json`` of the project kernel: this interpreter, quiet (ipykernel 7 warns on every start that
    local TCP is unencrypted), :data:`KERNEL_ENV`."""
    return {"argv": [python or sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                     "--IPKernelApp.log_level=ERROR"],
            "display_name": KERNEL_DISPLAY_NAME, "language": "python",
            "env": dict(KERNEL_ENV),
            "metadata": {"debugger": True},
            "interrupt_mode": "signal"}


def kernels_dir(prefix: Path | str | None = None) -> Path:
    """Where kernelspecs of this environment live: ``<prefix>/share/jupyter/kernels`` (prefix = ``sys.prefix``)."""
    return Path(prefix or sys.prefix) / "share" / "jupyter" / "kernels"


def install(prefix: Path | str | None = None) -> Path:
    """Write (or refresh) the ``tthc`` kernelspec under ``prefix``; return its folder. Idempotent: an unchanged spec
    is not rewritten (a running Lab is not disturbed); the write is atomic (concurrent workers)."""
    dest = kernels_dir(prefix) / KERNEL_NAME
    dest.mkdir(parents=True, exist_ok=True)
    text = json.dumps(kernelspec(), indent=1, ensure_ascii=False) + "\n"
    f = dest / "kernel.json"
    if not f.is_file() or f.read_text(encoding="utf-8") != text:
        tmp = f.with_name(f".kernel.json.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(f)
    _copy_logos(dest)
    return dest


def ensure() -> str:
    """The kernel name to run reports on: ``tthc`` (installed if missing), or ``python3`` if the prefix is
    read-only."""
    try:
        install()
    except OSError:
        return "python3"
    return KERNEL_NAME


LOGOS = ("logo-32x32.png", "logo-64x64.png", "logo-svg.svg")


def _copy_logos(dest: Path) -> None:
    # Same logos as ipykernel's python3 spec, so the launcher tile is not blank.
    if all((dest / name).is_file() for name in LOGOS):
        return  # the usual case (every report and batch asks): importing ipykernel costs ≈ 0.3 CPU-s
    try:
        from ipykernel.kernelspec import RESOURCES
    except ImportError:  # pragma: no cover - ipykernel is a pinned dependency
        return
    for name in LOGOS:
        src = Path(RESOURCES) / name
        if src.is_file() and not (dest / name).is_file():
            shutil.copyfile(src, dest / name)


if __name__ == "__main__":  # `python -m tthc.kernel` (make install)
    print(f"kernel '{KERNEL_NAME}' installed in {install()}")


def is_port_race(exc: BaseException) -> bool:
    """Whether a kernel failed to start because another process took its port between the choice of the port and
    the bind (then starting again helps): ZMQ's "Address already in use" / EADDRINUSE, or the kernel that died of it
    and never answered ("Kernel didn't respond", "Kernel died before replying to kernel_info": seen once in a full
    parallel test run, the first kernel of a worker). The one rule for ``tthc report`` and the batch's kernels."""
    text = f"{type(exc).__name__}: {exc}"
    return any(s in text for s in ("Address already in use", "EADDRINUSE", "ZMQError", "Kernel didn't respond",
                                   "Kernel died before replying"))
