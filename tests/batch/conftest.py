"""A small project root for batch tests: the real params/, tiny report notebooks (tests/batch/data/notebooks) and a
2 000-dossier synthetic warehouse with its cube, built once per test session. Batches run as ``python -m tthc.cli``
subprocesses with TTHC_ROOT pointing there, so nothing touches the repo's data/ or outputs/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from batch_helpers import HERE, REPO, root_env, run_tthc


@pytest.fixture(scope="session")
def batch_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("batchroot")
    (root / "params").symlink_to(REPO / "params", target_is_directory=True)
    (root / "pyproject.toml").symlink_to(REPO / "pyproject.toml")
    shutil.copytree(HERE / "data" / "notebooks", root / "notebooks")
    r = run_tthc(root, "sample", "--format", "parquet", "--dossiers", "2000", timeout=300)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-c", "from tthc.bootstrap import ensure_data; ensure_data(False)"],
                       env=root_env(root), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return root
