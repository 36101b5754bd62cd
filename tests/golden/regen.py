"""Regenerate the nbval goldens of the report notebooks.

    .venv/bin/python tests/golden/regen.py

Builds the small synthetic sample in a temporary project root (``sampleroot.py``, the same one the tests use),
executes each notebook with papermill through ``tthc.run`` and writes the executed notebooks here. Run it after an
intended change of a formula, a table or the sample, review the diff (``git diff tests/golden``) and commit.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import sampleroot  # noqa: E402

GOLDENS = [  # (unit, period, lang, kind)
    ("X001", "2025-Q1", "vi", "unit"),
    ("P005", "2025-Q1", "en", "unit"),
    ("H001", "2025-Q1", "vi", "overview"),
]


# 1×1 transparent PNG
PLACEHOLDER_PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


def golden_name(unit, period, lang, kind) -> str:
    return f"{unit}_{period}_{lang}{'_overview' if kind == 'overview' else ''}.ipynb"


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="tthc-regen-"))
    root = sampleroot.build(tmp / "root")
    os.environ.update({k: v for k, v in sampleroot.env_for(root).items() if k in ("TTHC_ROOT", "MPLBACKEND")})
    os.environ.pop("TTHC_WAREHOUSE", None)
    os.environ.pop("TTHC_UNITS", None)
    import nbformat

    from tthc.kernel import KERNEL_DISPLAY_NAME
    from tthc.run import KERNEL_NAME, ensure_kernelspec, execute, prepare

    ensure_kernelspec()
    for unit, period, lang, kind in GOLDENS:
        nb, job = prepare(unit, period, "calendar", lang, kind, out_root=tmp / "out")
        out = execute(nb, job)
        # nbval starts the kernel named here: the report kernel, which inherits TTHC_ROOT from the test
        out.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": KERNEL_DISPLAY_NAME,
                                      "language": "python"}
        out.metadata.pop("papermill", None)
        for c in out.cells:
            c.metadata.pop("papermill", None)
            c.metadata.pop("execution", None)
            for o in c.get("outputs", []):
                if "image/png" in o.get("data", {}):
                    o["data"]["image/png"] = PLACEHOLDER_PNG  # nbval never compares PNGs; keep goldens small
        dest = HERE / golden_name(unit, period, lang, kind)
        nbformat.write(out, str(dest))
        print(f"wrote {dest.relative_to(HERE.parents[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
