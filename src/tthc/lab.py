"""JupyterLab for the project: the ``tthc`` kernel and the ``tthc lab`` launcher.

The kernelspec ``tthc`` is the project's one kernel (:mod:`tthc.kernel`, installed by ``make install``); the server
:func:`launch` starts has ``TTHC_ROOT`` set, so a notebook finds ``params/`` and the warehouse whatever folder Jupyter
starts it in. Notebooks select it with the metadata in :data:`NOTEBOOK_KERNELSPEC`.

The server listens on the loopback interface only, with a random token, and opens the ``notebooks`` folder. Its root
is the project folder (not ``notebooks/``) so that links from a notebook to the rendered reports under ``outputs/``
(``../outputs/...``) resolve inside JupyterLab.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import config
from .errors import ParameterError

from .kernel import KERNEL_DISPLAY_NAME, KERNEL_NAME, kernels_dir  # noqa: F401 - the one kernel (tthc.kernel)

#: The ``metadata`` block every project notebook carries so JupyterLab and papermill pick the project kernel.
NOTEBOOK_KERNELSPEC = {
    "kernelspec": {"name": KERNEL_NAME, "display_name": KERNEL_DISPLAY_NAME, "language": "python"},
    "language_info": {"name": "python"},
}

DEFAULT_PORT = 8888


def kernelspec(root: Path | str | None = None, python: str | None = None) -> dict:
    """The ``kernel.json`` content of the project kernel (:func:`tthc.kernel.kernelspec`; ``root`` is no longer
    pinned: the kernel inherits ``TTHC_ROOT`` from the server :func:`launch` starts)."""
    from .kernel import kernelspec as spec

    return spec(python)


def install_kernelspec(prefix: Path | str | None = None, root: Path | str | None = None) -> Path:
    """Write (or refresh) the one ``tthc`` kernelspec under ``prefix`` (default ``sys.prefix``); return its folder."""
    from .kernel import install

    return install(prefix)


def has_display() -> bool:
    """True when a graphical session could show a browser window (X11/Wayland, or macOS/Windows)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def free_port(host: str = "127.0.0.1", preferred: int | None = None) -> int:
    """``preferred`` if it can be bound on ``host``, else a free port chosen by the OS."""
    if preferred:
        with socket.socket() as s:
            try:
                s.bind((host, preferred))
                return preferred
            except OSError:
                pass
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _check_loopback(ip: str) -> str:
    try:
        ok = ipaddress.ip_address(ip).is_loopback
    except ValueError:
        ok = ip == "localhost"
    if not ok:
        raise ParameterError(f"tthc lab listens on the loopback interface only; got --ip {ip!r} "
                             "(use 127.0.0.1 and an SSH tunnel to reach it from another machine)")
    return ip


@dataclass(frozen=True)
class LabCommand:
    """A ready-to-run JupyterLab command: ``argv`` plus the URL to open (token included)."""

    argv: list[str]
    url: str
    root_dir: Path
    port: int
    token: str


def lab_command(port: int | None = None, token: str | None = None, ip: str = "127.0.0.1",
                root_dir: Path | str | None = None, open_path: str = "notebooks",
                open_browser: bool | None = None, settings_dir: Path | str | None = None,
                python: str | None = None) -> LabCommand:
    """Build the command line that starts JupyterLab for the project.

    - listens on ``ip`` (loopback only, checked) and exactly ``port`` (``port_retries=0`` so the printed URL is
      the real one; default 8888 if free, else any free port);
    - the server root is ``root_dir`` (default the project root) and the browser opens ``open_path`` in it
      (default the ``notebooks`` folder);
    - ``open_browser`` defaults to "only when there is a display";
    - ``settings_dir`` isolates JupyterLab user settings/workspaces (tests use a temp dir).
    """
    ip = _check_loopback(ip)
    root = Path(root_dir or config.project_root()).resolve()
    port = int(port) if port else free_port(ip, DEFAULT_PORT)
    token = token or secrets.token_hex(24)
    if open_browser is None:
        open_browser = has_display()
    default_url = "/lab/tree/" + open_path.strip("/") if open_path else "/lab"
    argv = [python or sys.executable, "-m", "jupyterlab",
            f"--ServerApp.ip={ip}",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={root}",
            f"--IdentityProvider.token={token}",
            f"--LabApp.default_url={default_url}",
            f"--MappingKernelManager.default_kernel_name={KERNEL_NAME}",
            "--ServerApp.open_browser=" + ("True" if open_browser else "False")]
    if not open_browser:
        argv.append("--no-browser")
    if settings_dir:
        sd = Path(settings_dir)
        argv += [f"--LabApp.user_settings_dir={sd / 'settings'}", f"--LabApp.workspaces_dir={sd / 'workspaces'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # containers often run as root; Jupyter refuses otherwise
    url = f"http://{ip}:{port}{default_url}?token={token}"
    return LabCommand(argv=argv, url=url, root_dir=root, port=port, token=token)


def launch(port: int | None = None, open_browser: bool | None = None, root_dir: Path | str | None = None,
           dry_run: bool = False, out=None) -> int:
    """``tthc lab``: register the kernel, start JupyterLab in the foreground, print its URL; return its exit code."""
    out = out or sys.stdout
    spec_dir = install_kernelspec()
    cmd = lab_command(port=port, open_browser=open_browser, root_dir=root_dir)
    print(f"tthc lab: kernel '{KERNEL_NAME}' registered in {spec_dir}", file=out)
    if dry_run:
        print(" ".join(cmd.argv), file=out)
        print(cmd.url, file=out)
        return 0
    print(f"tthc lab: JupyterLab at {cmd.url}", file=out)
    print("tthc lab: Ctrl-C to stop", file=out, flush=True)
    env = dict(os.environ, TTHC_ROOT=str(config.project_root()))
    if os.name == "posix":
        # become JupyterLab: Ctrl-C and SIGTERM reach the server itself, no orphan left behind a killed wrapper
        out.flush()
        os.execve(cmd.argv[0], cmd.argv, env)
    try:
        return subprocess.call(cmd.argv, env=env)
    except KeyboardInterrupt:
        return 0
