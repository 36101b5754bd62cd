"""nbval goldens of the report notebooks, collected by plain ``pytest tests`` (``make test``) as well as by
``pytest --nbval tests/golden/*.ipynb --nbval-sanitize-with tests/golden/sanitize.cfg``.

Each golden is a notebook executed by ``tests/golden/regen.py`` on a small synthetic sample. Here the same sample is
built once per test session in a temporary project root (``sampleroot.py``), the kernel is started with
``TTHC_ROOT`` pointing at it, the notebook is re-executed and every cell's outputs are compared with the golden
(except cells tagged ``nbval-ignore-output``: header, trends, data quality, loading). PNG charts are not compared by
nbval; the chart functions are tested in tests/report.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ENV_KEYS = ("TTHC_ROOT", "TTHC_WAREHOUSE", "TTHC_UNITS", "MPLBACKEND")


def shared_tmp(config) -> Path:
    """A temp folder shared by the xdist workers of this session (the session's base temp otherwise)."""
    base = config._tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


try:
    from nbval.plugin import IPyNbFile
except ImportError:  # pragma: no cover - nbval is a pinned test dependency
    IPyNbFile = None


if IPyNbFile is not None:
    class GoldenNotebook(IPyNbFile):
        """An nbval notebook whose kernel runs on the session's sample root, sanitized with sanitize.cfg."""

        def setup(self):
            import sampleroot

            from tthc.run import ensure_kernelspec

            root = sampleroot.build(shared_tmp(self.config) / "tthc-golden-root")
            ensure_kernelspec()
            saved = {k: os.environ.get(k) for k in ENV_KEYS}
            env = sampleroot.env_for(root)
            for k in ENV_KEYS:  # the kernel inherits the environment at launch; restore ours right after
                if k in env:
                    os.environ[k] = env[k]
                else:
                    os.environ.pop(k, None)
            try:
                super().setup()
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v

        def get_sanitize_files(self):
            return [str(HERE / "sanitize.cfg")]


@pytest.hookimpl(hookwrapper=True)
def pytest_collect_file(file_path, parent):
    outcome = yield
    if IPyNbFile is None or file_path.suffix != ".ipynb" or file_path.parent != HERE:
        return
    res = [r for r in (outcome.get_result() or []) if not isinstance(r, IPyNbFile)]
    res.append(GoldenNotebook.from_parent(parent, path=file_path))
    outcome.force_result(res)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # all cells of one notebook share one kernel: keep them on one xdist worker, in order
    for item in items:
        if IPyNbFile is not None and isinstance(item.parent, IPyNbFile) and Path(str(item.fspath)).parent == HERE:
            group = f"golden-{Path(str(item.fspath)).stem}"
            item.add_marker(pytest.mark.xdist_group(name=group))
            # xdist 3.8 (--dist loadgroup) tags the group as a nodeid suffix by setting ``item._nodeid``, which
            # pytest 9 no longer reads (the id lives in ``item._id``): add the suffix the pytest 9 way
            if getattr(config.option, "loadgroup", False) and "@" not in item.nodeid:
                from _pytest.nodeid import coerce_node_id

                item._id = coerce_node_id(f"{item.nodeid}@{group}")

