"""Publish tests: the site of the small synthetic sample root (tests/golden/sampleroot.py), built once per module."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "golden"))

import sampleroot  # noqa: E402

PERIOD = "2025-Q1"


@pytest.fixture(scope="session")
def sample_root(tmp_path_factory) -> Path:
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return sampleroot.build(shared / "tthc-golden-root")


@pytest.fixture(scope="module")
def sample_root_module(sample_root, tmp_path_factory) -> Path:
    """The public site of PERIOD written by the CLI into a temp folder; returns the folder."""
    out = tmp_path_factory.mktemp("site")
    r = subprocess.run([sys.executable, "-m", "tthc.cli", "publish", "--period", PERIOD, "--out", str(out)],
                       env=sampleroot.env_for(sample_root), cwd=sample_root, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0 and "Traceback" not in r.stderr, (r.stdout, r.stderr)
    return out
