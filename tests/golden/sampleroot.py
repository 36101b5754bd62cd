"""A throw-away project root holding a small synthetic sample warehouse and its cube, for report tests and the
nbval goldens (``tests/golden/regen.py`` builds the goldens from the very same root, so they match).

The root is a copy of ``params/``, ``notebooks/`` and ``pyproject.toml``; everything is built in a subprocess with
``TTHC_ROOT`` pointing at it, so nothing touches the repository's data/ or outputs/.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: dossiers in the test sample (the full sample has 30 000; this keeps the build to a few seconds)
N_DOSSIERS = 4000
SEED = 20250331

BUILD = """
import sys
from tthc.sample import build_sample
from tthc.engine.cube import ensure_cube
from tthc import config
build_sample(n=int(sys.argv[1]), seed=int(sys.argv[2]))
ensure_cube(str(config.default_warehouse()))
"""


def env_for(root: Path) -> dict:
    env = dict(os.environ)
    env["TTHC_ROOT"] = str(root)
    env.pop("TTHC_WAREHOUSE", None)
    env.pop("TTHC_UNITS", None)
    env["MPLBACKEND"] = "Agg"
    return env


def build(root: Path, n: int = N_DOSSIERS, seed: int = SEED) -> Path:
    """Create (once; safe across processes) a project root at ``root`` with the sample ingested and the cube
    built. Returns ``root``."""
    root = Path(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    lock = root.parent / f".{root.name}.lock"
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            if (root / ".ready").exists():
                return root
            if root.exists():
                shutil.rmtree(root)
            root.mkdir()
            shutil.copytree(REPO / "params", root / "params")
            shutil.copytree(REPO / "notebooks", root / "notebooks")
            shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
            r = subprocess.run([sys.executable, "-c", BUILD, str(n), str(seed)], env=env_for(root), cwd=root,
                               capture_output=True, text=True, timeout=600)
            if r.returncode:
                raise RuntimeError(f"building the sample root failed:\n{r.stdout}\n{r.stderr}")
            (root / ".ready").write_text("ok\n")
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    return root
