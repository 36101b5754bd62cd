"""Fixtures for the JupyterLab tests: an isolated project root and a live JupyterLab server on 127.0.0.1.

The temp root holds links to the real ``params/`` and ``pyproject.toml`` (so :func:`tthc.config.project_root`
accepts it), a *copy* of ``notebooks/`` and its own empty ``data/`` and ``outputs/``: the warehouse, the cube and
rendered reports of the tests never touch the repository, and nothing the browser does can save into the repo.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tthc import lab

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "lab"
SERVER_START_TIMEOUT = 90


def make_project_root(dest: Path) -> Path:
    """A throw-away project root sharing ``params/`` with the repo and owning its notebooks, data and outputs."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "params").symlink_to(REPO / "params", target_is_directory=True)
    (dest / "pyproject.toml").symlink_to(REPO / "pyproject.toml")
    shutil.copytree(REPO / "notebooks", dest / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    (dest / "data").mkdir()
    (dest / "outputs").mkdir()
    return dest


def lab_settings(settings_dir: Path) -> None:
    """JupyterLab user settings for unattended runs: no autosave, no news/update check (no network)."""
    files = {
        "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                             "checkForUpdates": False},
    }
    for rel, content in files.items():
        p = settings_dir / "settings" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(content), encoding="utf-8")


class LabServer:
    """A running JupyterLab: ``url(path)`` adds the token; ``api(path)`` GETs JSON from the REST API."""

    def __init__(self, cmd: lab.LabCommand, proc: subprocess.Popen, root: Path, log: Path):
        self.cmd, self.proc, self.root, self.log = cmd, proc, root, log
        self.base = f"http://127.0.0.1:{cmd.port}"
        self.token = cmd.token

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}/{path.lstrip('/')}{sep}token={self.token}"

    def api(self, path: str, timeout: float = 30):
        req = urllib.request.Request(f"{self.base}/{path.lstrip('/')}",
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read().decode("utf-8"))

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
        except OSError:
            return ""


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
    cmd = lab.lab_command(port=lab.free_port(), token=secrets.token_hex(16), root_dir=lab_root,
                          open_browser=False, settings_dir=sdir)
    argv = cmd.argv + ["--LabApp.expose_app_in_browser=True", "--ServerApp.shutdown_no_activity_timeout=900"]
    log = tmp_path_factory.mktemp("lablog") / "jupyterlab.log"
    fh = open(log, "wb")
    proc = subprocess.Popen(argv, env=lab_env, stdout=fh, stderr=subprocess.STDOUT, cwd=lab_root,
                            start_new_session=True)
    server = LabServer(cmd, proc, lab_root, log)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {proc.returncode}:\n{server.log_tail()}")
            try:
                server.api("api/status", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within {SERVER_START_TIMEOUT} s:\n{server.log_tail()}")
                time.sleep(0.3)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        fh.close()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, ARTIFACTS / "jupyterlab.log")


def run_tthc(args: list[str], env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the ``tthc`` CLI of this environment; fail the test with its stderr on a non-zero exit."""
    p = subprocess.run([sys.executable, "-m", "tthc.cli", *args], env=env, capture_output=True, text=True,
                       timeout=timeout)
    if p.returncode != 0:
        pytest.fail(f"tthc {' '.join(args)} exited {p.returncode}:\n{p.stderr[-3000:]}")
    return p


@pytest.fixture(scope="session")
def sample_data(lab_root, lab_env) -> Path:
    """The synthetic sample ingested into the temp root's warehouse and the cube built, through the package's own
    commands (``tthc sample``, then the same bootstrap a report runs). Returns the warehouse path."""
    run_tthc(["sample", "--dossiers", "8000"], lab_env, timeout=600)
    subprocess.run([sys.executable, "-c", "from tthc.report.data import ensure_data; ensure_data()"],
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
