"""Helpers of the JupyterLab tests: an isolated project root, a JupyterLab server handle, the tthc CLI.

The temp root holds links to the real ``params/`` and ``pyproject.toml`` (so :func:`tthc.config.project_root`
accepts it), a *copy* of ``notebooks/`` and its own empty ``data/`` and ``outputs/``: the warehouse, the cube and
rendered reports of the tests never touch the repository, and nothing the browser does can save into the repo.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
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


def run_tthc(args: list[str], env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the ``tthc`` CLI of this environment; fail the test with its stderr on a non-zero exit."""
    p = subprocess.run([sys.executable, "-m", "tthc.cli", *args], env=env, capture_output=True, text=True,
                       timeout=timeout)
    if p.returncode != 0:
        pytest.fail(f"tthc {' '.join(args)} exited {p.returncode}:\n{p.stderr[-3000:]}")
    return p
