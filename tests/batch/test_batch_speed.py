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


def test_reports_in_a_warmed_zygote_import_nothing_of_ours(batch_root):
    """After the zygote's preload and warm-up, a unit report and an overview (every section) import no module of
    tthc, pandas, matplotlib or seaborn: each such import would be paid again in every forked kernel."""
    from batch_helpers import root_env

    code = ("import json, os, sys\n"
            "import tthc.batch._preload as p\n"
            "p.warm_caches('2025-Q1', 'calendar', 'vi')\n"
            "import tthc.report, tthc.report.context as ctx\n"
            "ctx._display = lambda bundle: None\n"
            "before = set(sys.modules)\n"
            "out, sys.stdout = sys.stdout, open(os.devnull, 'w')\n"
            "r = tthc.report.load('X001', '2025-Q1', 'calendar', 'vi')\n"
            "for s in ('header', 'scorecard', 'trends', 'bieu06', 'index766', 'portal766', 'dossiers', 'reception',"
            " 'narrative', 'plan', 'quality', 'values'): getattr(r, s)()\n"
            "o = tthc.report.load('H001', '2025-Q1', 'calendar', 'vi', kind='overview')\n"
            "for s in ('header', 'league', 'targets_met', 'ranking766', 'portal766', 'bieu06_levels', 'behind',"
            " 'reception', 'narrative', 'plan', 'quality', 'values'): getattr(o, s)()\n"
            "sys.stdout = out\n"
            "new = sorted(m for m in set(sys.modules) - before"
            " if m.split('.')[0] in ('tthc', 'pandas', 'matplotlib', 'seaborn'))\n"
            "print(json.dumps({'new': new}))")
    env = root_env(batch_root)
    env.pop("MPLBACKEND", None)
    assert _py(code, env) == {"new": []}


def test_worker_forkserver_preload_starts_no_thread_and_builds_the_exporters():
    """What the workers' forkserver imports (tthc.batch._worker_preload): no thread (it forks), and the modules and
    exporters every worker needs (so a worker has nothing left to import but Typst's font book)."""
    out = _py("import json, sys, threading\n"
              "import tthc.batch._worker_preload\n"
              "from tthc import render\n"
              "print(json.dumps({'threads': threading.active_count(),"
              " 'missing': [m for m in ('papermill', 'nbformat', 'nbclient', 'openpyxl', 'typst', 'tthc.run',"
              " 'tthc.export_xlsx', 'tthc.render.pdf') if m not in sys.modules],"
              " 'exporters': render.html_exporter.cache_info().currsize,"
              " 'frozen': gc.get_freeze_count() > 100000,"
              " 'grammar': sys.modules.get('rfc3987_syntax') is not None}))".replace("import json", "import gc, json"))
    assert out == {"threads": 1, "missing": [], "exporters": 2, "frozen": True, "grammar": False}


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
