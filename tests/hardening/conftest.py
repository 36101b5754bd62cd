"""Fixtures of the hardening tests; a terminal summary adds up what they exercised (inputs fuzzed, outputs scanned,
faults injected) from the tally file every xdist worker appends to."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hardening_helpers as hh  # noqa: E402


@pytest.fixture
def tally(request):
    """``tally(kind, n, what)``: record that this test exercised ``n`` cases of ``kind``."""
    return lambda kind, n, what: hh.add_tally(request.config, kind, n, what)


@pytest.fixture(scope="module")
def units_codes():
    from tthc.units import load_registry

    return set(load_registry(hh.REPO / "params" / "units.yaml").units)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    f = hh.tally_file(config)
    if not f.is_file():
        return
    sums: dict[str, int] = {}
    detail: dict[tuple[str, str], int] = {}
    for line in f.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        sums[d["kind"]] = sums.get(d["kind"], 0) + d["n"]
        what = d["what"].split(":")[0] if d["kind"] == "config errors" else d["what"]
        detail[(d["kind"], what)] = detail.get((d["kind"], what), 0) + d["n"]
    terminalreporter.section("hardening tally")
    for k, v in sorted(sums.items()):
        terminalreporter.write_line(f"{k}: {v}")
        for (kk, what), n in sorted(detail.items()):
            if kk == k:
                terminalreporter.write_line(f"    {n:6d}  {what}")
