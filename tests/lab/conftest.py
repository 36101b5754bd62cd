"""Fixtures for the JupyterLab tests: an isolated project root (see labkit) and a live JupyterLab on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from labkit import ARTIFACTS, lab_settings, make_project_root, run_tthc, start_lab

from tthc import lab


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory) -> Path:
    return make_project_root(tmp_path_factory.mktemp("labroot") / "tthc")


@pytest.fixture(scope="session")
def lab_env(lab_root, tmp_path_factory) -> dict:
    """Environment of the server (and so of its kernels): temp root, temp Jupyter dirs, the tthc kernelspec
    registered in a temp prefix that comes first on JUPYTER_PATH."""
    jdir = tmp_path_factory.mktemp("jupyter")
    prefix = jdir / "prefix"
    lab.install_kernelspec(prefix=prefix, root=lab_root)
    env = dict(os.environ)
    for k in ("TTHC_WAREHOUSE", "TTHC_UNITS", "JUPYTER_CONFIG_PATH"):
        env.pop(k, None)
    env.update({
        "TTHC_ROOT": str(lab_root),
        "JUPYTER_PATH": str(prefix / "share" / "jupyter"),
        "JUPYTER_CONFIG_DIR": str(jdir / "config"),
        "JUPYTER_DATA_DIR": str(jdir / "data"),
        "JUPYTER_RUNTIME_DIR": str(jdir / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "IPYTHONDIR": str(jdir / "ipython"),
        "MPLCONFIGDIR": str(jdir / "mpl"),
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


@pytest.fixture(scope="session")
def lab_server(lab_root, lab_env, tmp_path_factory):
    """JupyterLab on 127.0.0.1, random free port and token, root = the temp project root."""
    sdir = tmp_path_factory.mktemp("labsettings")
    lab_settings(sdir)
    log = tmp_path_factory.mktemp("lablog") / "jupyterlab.log"
    server = start_lab(lab_root, lab_env, sdir, log)
    try:
        yield server
    finally:
        server.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, ARTIFACTS / "jupyterlab.log")


@pytest.fixture(scope="session")
def sample_data(lab_root, lab_env) -> Path:
    """The synthetic sample ingested into the temp root's warehouse and the cube built, through the package's own
    commands (``tthc sample``, then the same bootstrap a report runs). Returns the warehouse path. 8000 dossiers
    as canonical Parquet: ~3 s instead of ~16 s for the JSON/XLSX exports, same generator and ingest."""
    run_tthc(["sample", "--dossiers", "8000", "--format", "parquet"], lab_env, timeout=600)
    subprocess.run([sys.executable, "-c", "from tthc.bootstrap import ensure_data; ensure_data()"],
                   env=lab_env, check=True, capture_output=True, timeout=300)
    wh = lab_root / "data" / "warehouse.duckdb"
    assert wh.is_file()
    return wh


@pytest.fixture()
def in_lab_root(lab_root, sample_data, monkeypatch):
    """Run in-process code against the temp root (config caches the root: clear it on the way in and out)."""
    from tthc import config

    monkeypatch.setenv("TTHC_ROOT", str(lab_root))
    for k in ("TTHC_WAREHOUSE", "TTHC_UNITS"):
        monkeypatch.delenv(k, raising=False)
    config.project_root.cache_clear()
    yield lab_root
    monkeypatch.undo()
    config.project_root.cache_clear()


@pytest.fixture()
def ipython_capture():
    """An IPython shell whose rich display outputs can be captured (``display()`` outside a shell just prints)."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    had = InteractiveShell.initialized()
    InteractiveShell.instance()
    yield capture_output
    if not had:  # other tests in this worker must see plain display() again
        InteractiveShell.clear_instance()
