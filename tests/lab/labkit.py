"""Helpers of the JupyterLab tests: an isolated project root, a JupyterLab server handle, the tthc CLI.

The temp root holds links to the real ``params/`` and ``pyproject.toml`` (so :func:`tthc.config.project_root`
accepts it), a *copy* of ``notebooks/`` and its own empty ``data/`` and ``outputs/``: the warehouse, the cube and
rendered reports of the tests never touch the repository, and nothing the browser does can save into the repo.
"""

from __future__ import annotations

import http.client
import json
import random
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

    def __init__(self, cmd: lab.LabCommand, proc: subprocess.Popen, root: Path, log: Path, log_handle=None):
        self.cmd, self.proc, self.root, self.log, self._fh = cmd, proc, root, log, log_handle
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

    def stop(self) -> None:
        """Terminate the server we started (it shuts its kernels down on SIGTERM)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._fh:
            self._fh.close()

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def quiet_port(host: str = "127.0.0.1") -> int:
    """A free port *below* the kernel's ephemeral range: kernels (ours, or other tests' papermill kernels) bind
    ephemeral ports, and one grabbing the server's port between our check and its bind would answer in ZMQ."""
    try:
        lo = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        lo = 32768
    hi = max(lo, 12000) - 1
    for _ in range(200):
        port = random.randint(10000, hi)
        if lab.free_port(host, port) == port:
            return port
    return lab.free_port(host)


def start_lab(root: Path, env: dict, settings_dir: Path, log: Path, attempts: int = 3) -> "LabServer":
    """Start JupyterLab for the tests and wait until it answers with our token; a start that lost its port to
    another process is retried on a new port."""
    last = ""
    for _ in range(attempts):
        cmd = lab.lab_command(port=quiet_port(), token=secrets.token_hex(16), root_dir=root, open_browser=False,
                              settings_dir=settings_dir)
        argv = cmd.argv + ["--LabApp.expose_app_in_browser=True", "--ServerApp.shutdown_no_activity_timeout=900"]
        fh = open(log, "ab")
        proc = subprocess.Popen(argv, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=root, start_new_session=True)
        server = LabServer(cmd, proc, root, log, fh)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                server.api("api/status", timeout=5)
                return server
            except (OSError, http.client.HTTPException, ValueError):
                time.sleep(0.3)
        last = server.log_tail()
        server.stop()
    pytest.fail(f"JupyterLab did not start ({attempts} attempts):\n{last}")


def run_tthc(args: list[str], env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the ``tthc`` CLI of this environment; fail the test with its stderr on a non-zero exit."""
    p = subprocess.run([sys.executable, "-m", "tthc.cli", *args], env=env, capture_output=True, text=True,
                       timeout=timeout)
    if p.returncode != 0:
        pytest.fail(f"tthc {' '.join(args)} exited {p.returncode}:\n{p.stderr[-3000:]}")
    return p
