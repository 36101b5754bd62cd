"""Report test helpers shared by several test modules."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

import sampleroot


def root_with_cell(tmp_path: Path, sample_root: Path, code: str) -> Path:
    """A project root whose unit notebook runs ``code`` as its third cell; data from the shared sample."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.copytree(sample_root / "params", root / "params")
    shutil.copy2(sample_root / "pyproject.toml", root / "pyproject.toml")
    (root / "notebooks").mkdir()
    nb = nbformat.read(sampleroot.REPO / "notebooks" / "unit_report.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(code))
    nbformat.write(nb, str(root / "notebooks" / "unit_report.ipynb"))
    return root
