#!/usr/bin/env python3
"""Regenerate environment.yml from pyproject.toml so that conda users get exactly the same pins.

Run after changing a pin: `python tools/sync-environment.py`. tests/foundation/test_environment.py fails when the
two files disagree.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def render() -> str:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = list(meta["dependencies"]) + list(meta["optional-dependencies"]["test"])
    lines = [
        "# Generated from pyproject.toml by tools/sync-environment.py: same pins for conda users.",
        "# conda env create -f environment.yml && conda activate tthc",
        "name: tthc",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
    ]
    lines += [f"      - {d}" for d in deps]
    lines.append("      - -e .")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    out = ROOT / "environment.yml"
    text = render()
    if "--check" in sys.argv:
        sys.exit(0 if out.read_text(encoding="utf-8") == text else 1)
    out.write_text(text, encoding="utf-8")
