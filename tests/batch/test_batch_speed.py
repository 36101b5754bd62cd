"""The per-report CPU measures of the batch keep their contracts: the zygote preload starts no thread (forking a
threaded process is unsafe) and covers what a kernel imports; workers skip jsonschema's IRI grammar yet still
validate notebooks; the environment hash reads only metadata headers but equals the full-metadata hash."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.xdist_group("batch")


def _py(code: str, env_extra: dict | None = None) -> dict:
    import os

    env = dict(os.environ, MPLBACKEND="Agg", **(env_extra or {}))  # as the zygote sets it from its --backend
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_zygote_preload_starts_no_thread_and_imports_kernel_modules():
    out = _py("import json, sys, threading\n"
              "import tthc.batch._preload as p\n"
              "print(json.dumps({'threads': threading.active_count(),"
              " 'missing': [m for m in p.KERNEL_MODULES if m not in sys.modules],"
              " 'vn': 'holidays.countries.vietnam' in sys.modules, 'debugpy': 'debugpy' in sys.modules}))")
    assert out["threads"] == 1
    assert out["missing"] == []
    assert out["vn"] and out["debugpy"]


def test_worker_skips_iri_grammar_and_still_validates_notebooks():
    out = _py("import json, sys\n"
              "from tthc.batch.worker import skip_iri_grammar\n"
              "skip_iri_grammar()\n"
              "import nbformat\n"
              "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1 + 1')])\n"
              "nbformat.validate(nb)\n"
              "bad = nbformat.v4.new_notebook(); bad.cells = [{'cell_type': 'code'}]\n"
              "try:\n"
              "    nbformat.validate(bad); invalid_caught = False\n"
              "except nbformat.ValidationError:\n"
              "    invalid_caught = True\n"
              "print(json.dumps({'grammar': sys.modules.get('rfc3987_syntax') is not None,"
              " 'invalid_caught': invalid_caught}))")
    assert out == {"grammar": False, "invalid_caught": True}


def test_environment_hash_equals_full_metadata_hash():
    from importlib.metadata import distributions

    from tthc import run as R

    names = sorted({f"{(d.metadata['Name'] or '').lower()}=={d.version}" for d in distributions()})
    assert R.environment_hash() == hashlib.sha256("\n".join(names).encode()).hexdigest()
