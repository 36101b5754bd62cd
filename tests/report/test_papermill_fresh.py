"""The papermill user's first command works on a fresh clone after ``make install``:

    papermill notebooks/unit_report.ipynb out.ipynb -p unit X001 -p period 2025-Q1

``make install`` installs the ``tthc`` kernel the notebooks name (``python -m tthc.kernel``) and runs the data step
(``python -m tthc.bootstrap``: the sample when nothing was ingested, then the cube). Before that data step the
notebook stops with one line saying what to run (a report only reads)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COMMAND = ["papermill", "notebooks/unit_report.ipynb", "out.ipynb", "-p", "unit", "X001", "-p", "period", "2025-Q1"]


@pytest.fixture()
def fresh_clone(tmp_path) -> tuple[Path, dict]:
    """A project root as a fresh clone has it (params/, notebooks/, pyproject.toml; no data/, no outputs/), and the
    environment of a user who runs commands in it: no TTHC_* variables, the venv on PATH."""
    root = tmp_path / "clone"
    root.mkdir()
    shutil.copytree(REPO / "params", root / "params")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TTHC_") and k != "MPLBACKEND"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return root, env


def test_make_install_kernel_is_the_one_the_notebooks_name():
    from jupyter_client.kernelspec import KernelSpecManager

    from tthc.kernel import KERNEL_NAME, install

    install()  # what `make install` does (python -m tthc.kernel); idempotent
    for name in ("unit_report.ipynb", "overview.ipynb"):
        nb = json.loads((REPO / "notebooks" / name).read_text(encoding="utf-8"))
        assert nb["metadata"]["kernelspec"]["name"] == KERNEL_NAME == "tthc"
    spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    assert spec.argv[0] == sys.executable


def test_papermill_command_on_a_fresh_clone(fresh_clone):
    root, env = fresh_clone
    from tthc.kernel import install

    install()
    # before the data step: one clear line, no traceback wall
    r = subprocess.run(COMMAND, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode != 0
    assert "no data ingested" in r.stderr and "tthc sample" in r.stderr, r.stderr[-2000:]
    assert not (root / "data" / "warehouse.duckdb").exists()  # the report did not write data behind our back

    # make install's data step (a smaller sample than the default 30 000 dossiers, to keep the test short)
    b = subprocess.run([sys.executable, "-m", "tthc.bootstrap", "--dossiers", "3000"], cwd=root, env=env,
                       capture_output=True, text=True, timeout=900)
    assert b.returncode == 0, b.stderr[-2000:]

    r = subprocess.run(COMMAND, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads((root / "out.ipynb").read_text(encoding="utf-8"))
    assert out["metadata"]["kernelspec"]["name"] == "tthc"
    assert out["metadata"]["papermill"]["parameters"] == {"unit": "X001", "period": "2025-Q1"}
    errors = [o for c in out["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    meta = [o["data"]["application/vnd.tthc.report+json"] for c in out["cells"] for o in c.get("outputs", [])
            if "application/vnd.tthc.report+json" in o.get("data", {})]
    meta = [json.loads(m) if isinstance(m, str) else m for m in meta]
    assert meta and meta[0]["unit"] == "X001" and meta[0]["period"] == "2025-Q1"
