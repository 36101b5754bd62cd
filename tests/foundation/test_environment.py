import importlib.metadata as md
import subprocess
import sys
import tomllib

from packaging.requirements import Requirement


def test_environment_yml_in_step_with_pyproject(project_root):
    r = subprocess.run([sys.executable, str(project_root / "tools" / "sync-environment.py"), "--check"])
    assert r.returncode == 0, "environment.yml is out of step: run python tools/sync-environment.py"


def test_every_dependency_is_pinned_and_installed(project_root):
    meta = tomllib.loads((project_root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for dep in meta["dependencies"] + meta["optional-dependencies"]["test"]:
        req = Requirement(dep)
        spec = str(req.specifier)
        assert spec.startswith("=="), f"{dep} is not pinned exactly"
        assert md.version(req.name) == spec[2:], f"{req.name}: installed {md.version(req.name)}, pinned {spec}"


def test_cli_help_lists_commands():
    r = subprocess.run([sys.executable, "-m", "tthc.cli", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "COMMAND" in r.stdout
