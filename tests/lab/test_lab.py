"""``tthc lab``: kernelspec registration, the JupyterLab command line, and the live server's API."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tthc import lab
from tthc.cli import main as cli_main
from tthc.errors import ParameterError

REPO = Path(__file__).resolve().parents[2]


def test_kernelspec_written_under_prefix_with_this_python(tmp_path):
    d = lab.install_kernelspec(prefix=tmp_path, root=REPO)
    assert d == tmp_path / "share" / "jupyter" / "kernels" / "tthc"
    spec = json.loads((d / "kernel.json").read_text(encoding="utf-8"))
    assert spec["argv"] == [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                            "--IPKernelApp.log_level=ERROR"]
    assert spec["display_name"] == "Python (tthc)"
    assert spec["language"] == "python"
    # the one kernel of Lab, papermill, `tthc report` and the batch: it inherits TTHC_ROOT, it does not pin it
    assert "TTHC_ROOT" not in spec["env"] and spec["env"]["MPLBACKEND"] == "Agg"
    assert (d / "logo-64x64.png").is_file()
    # idempotent: a second install leaves the file byte-identical
    before = (d / "kernel.json").read_bytes()
    lab.install_kernelspec(prefix=tmp_path, root=REPO)
    assert (d / "kernel.json").read_bytes() == before


def test_default_prefix_is_the_environment_not_home():
    assert lab.kernels_dir() == Path(sys.prefix) / "share" / "jupyter" / "kernels"
    assert not str(lab.kernels_dir()).startswith(str(Path.home() / ".local"))


def test_kernelspec_is_found_by_jupyter_client(tmp_path, monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager

    lab.install_kernelspec(prefix=tmp_path, root=REPO)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    spec = KernelSpecManager().get_kernel_spec("tthc")
    assert spec.argv[0] == sys.executable
    assert "TTHC_ROOT" not in spec.env


def test_kernelspec_starts_a_kernel_that_sees_the_project_root(tmp_path, monkeypatch):
    from jupyter_client.manager import start_new_kernel

    lab.install_kernelspec(prefix=tmp_path, root=REPO)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    monkeypatch.setenv("TTHC_ROOT", str(REPO))  # as `tthc lab` starts the server: the kernel inherits it
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    km, kc = start_new_kernel(kernel_name="tthc", cwd=str(tmp_path), startup_timeout=60)
    out: list[str] = []
    try:
        reply = kc.execute_interactive(
            "import os, sys; from tthc import config; import matplotlib; "
            "print(sys.executable); print(config.project_root()); print(matplotlib.get_backend())",
            timeout=60, output_hook=lambda m: out.append(m["content"].get("text", "")))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok"
    exe, root, backend = "".join(out).split()
    assert exe == sys.executable
    assert root == str(REPO)
    # the kernelspec's Agg wins: tthc's charts are rendered to PNG and displayed by tthc.report.plots, the same
    # bytes in Lab, papermill and the batch
    assert backend.lower() == "agg"


def test_lab_command_loopback_port_root_and_token(tmp_path):
    c = lab.lab_command(port=18765, token="abc123", root_dir=tmp_path, open_browser=False)
    assert c.argv[:3] == [sys.executable, "-m", "jupyterlab"]
    assert "--ServerApp.ip=127.0.0.1" in c.argv
    assert "--ServerApp.port=18765" in c.argv
    assert "--ServerApp.port_retries=0" in c.argv  # the printed URL is the real one
    assert f"--ServerApp.root_dir={tmp_path.resolve()}" in c.argv
    assert "--IdentityProvider.token=abc123" in c.argv
    assert "--LabApp.default_url=/lab/tree/notebooks" in c.argv
    assert "--MappingKernelManager.default_kernel_name=tthc" in c.argv
    assert "--no-browser" in c.argv
    assert c.url == "http://127.0.0.1:18765/lab/tree/notebooks?token=abc123"


def test_lab_command_opens_browser_only_when_asked_or_display(monkeypatch, tmp_path):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert "--no-browser" in lab.lab_command(port=1, token="t", root_dir=tmp_path).argv
    monkeypatch.setenv("DISPLAY", ":0")
    argv = lab.lab_command(port=1, token="t", root_dir=tmp_path).argv
    assert "--no-browser" not in argv and "--ServerApp.open_browser=True" in argv


@pytest.mark.parametrize("ip", ["0.0.0.0", "192.168.1.10", "::", "example.org"])
def test_lab_command_refuses_non_loopback(ip, tmp_path):
    with pytest.raises(ParameterError, match="loopback"):
        lab.lab_command(ip=ip, root_dir=tmp_path)


def test_lab_command_random_token_and_free_port(tmp_path):
    a = lab.lab_command(root_dir=tmp_path, open_browser=False)
    b = lab.lab_command(root_dir=tmp_path, open_browser=False)
    assert a.token != b.token and len(a.token) >= 32
    assert 0 < a.port < 65536


def test_free_port_falls_back_when_preferred_is_taken():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        assert lab.free_port("127.0.0.1", taken) != taken


def test_cli_dry_run_prints_command_and_url(capsys, tmp_path, monkeypatch):
    # registering writes into sys.prefix: point it at a temp prefix for the test
    monkeypatch.setattr(lab.sys, "prefix", str(tmp_path))
    assert cli_main(["lab", "--dry-run", "--no-browser", "--port", "18766"]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "share" / "jupyter" / "kernels" / "tthc" / "kernel.json").is_file()
    assert "-m jupyterlab" in out and "--ServerApp.ip=127.0.0.1" in out and "--no-browser" in out
    assert "http://127.0.0.1:18766/lab/tree/notebooks?token=" in out


def test_notebooks_use_the_tthc_kernel():
    nbs = sorted((REPO / "notebooks").glob("*.ipynb"))
    assert (REPO / "notebooks" / "explore.ipynb") in nbs
    for nb in nbs:
        meta = json.loads(nb.read_text(encoding="utf-8"))["metadata"]
        assert meta["kernelspec"]["name"] in ("tthc", "python3"), nb.name
    explore = json.loads((REPO / "notebooks" / "explore.ipynb").read_text(encoding="utf-8"))
    assert explore["metadata"]["kernelspec"] == lab.NOTEBOOK_KERNELSPEC["kernelspec"]


def test_api_nbconvert_lists_project_exporters(lab_server):
    formats = lab_server.api("api/nbconvert")
    assert "tthc_html" in formats, sorted(formats)
    assert "tthc_pdf" in formats, sorted(formats)
    assert formats["tthc_html"]["output_mimetype"] == "text/html"
    assert formats["tthc_pdf"]["output_mimetype"] == "application/pdf"


def test_api_kernelspecs_default_is_tthc(lab_server):
    specs = lab_server.api("api/kernelspecs")
    assert specs["default"] == "tthc"
    tthc = specs["kernelspecs"]["tthc"]["spec"]
    assert tthc["argv"][0] == sys.executable
    assert "TTHC_ROOT" not in tthc["env"]  # inherited from the server, started with TTHC_ROOT=<root>
    assert "python3" in specs["kernelspecs"]  # notebooks saved with python3 still open


def test_launch_becomes_jupyterlab_with_the_project_root(tmp_path, monkeypatch, capsys):
    calls = []

    def fake_execve(path, argv, env):  # the real one would replace the test process
        calls.append((path, argv, env))
        raise SystemExit(0)

    monkeypatch.setattr(lab.sys, "prefix", str(tmp_path))
    monkeypatch.setattr(lab.os, "execve", fake_execve)
    monkeypatch.setattr(lab.os, "name", "posix")
    with pytest.raises(SystemExit):
        lab.launch(port=18767, open_browser=False)
    path, argv, env = calls[0]
    assert path == sys.executable and argv[:3] == [sys.executable, "-m", "jupyterlab"]
    assert "--ServerApp.port=18767" in argv and "--ServerApp.ip=127.0.0.1" in argv
    assert env["TTHC_ROOT"] == str(lab.config.project_root())
    out = capsys.readouterr().out
    assert "JupyterLab at http://127.0.0.1:18767/lab/tree/notebooks?token=" in out
