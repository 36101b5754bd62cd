"""Shared fixtures. Area-specific fixtures live in tests/<area>/conftest.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("TTHC_ROOT", str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def calendar():
    from tthc.workdays import load_calendar

    return load_calendar(ROOT / "params" / "calendar.yaml")


@pytest.fixture(scope="session")
def registry():
    from tthc.units import load_registry

    return load_registry(ROOT / "params" / "units.yaml")


@pytest.hookimpl(trylast=True)
@pytest.fixture
def tiny_disk(tmp_path):
    """A factory of small real tmpfs mounts (``tiny_disk("160k")`` → its folder) for full-disk tests; the test is
    skipped where mounting is not allowed; every mount is unmounted at teardown (``mount -o remount,size=…`` frees
    space in between)."""
    import subprocess

    mounts = []

    def mount(size: str) -> Path:
        mnt = tmp_path / f"tiny{len(mounts) or ''}"
        mnt.mkdir()
        m = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], capture_output=True,
                           text=True)
        if m.returncode:
            pytest.skip(f"cannot mount a tmpfs here: {m.stderr.strip()}")
        mounts.append(mnt)
        return mnt

    yield mount
    for mnt in mounts:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def pytest_collection_modifyitems(config, items):
    """Make ``@pytest.mark.xdist_group`` work under ``--dist loadgroup`` with pytest 9.

    xdist 3.8 tags the group as a node-id suffix by setting ``item._nodeid``, which pytest 9 no longer reads (the id
    lives in ``item._id``); without this the browser, end-to-end and golden groups would be spread over workers.
    """
    if not getattr(config.option, "loadgroup", False):  # set on the xdist workers under --dist loadgroup
        return
    from _pytest.nodeid import coerce_node_id

    for item in items:
        mark = item.get_closest_marker("xdist_group")
        if mark is None or "@" in item.nodeid:
            continue
        group = mark.kwargs.get("name") or (mark.args[0] if mark.args else "default")
        item._id = coerce_node_id(f"{item.nodeid}@{group}")
