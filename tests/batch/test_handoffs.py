"""Issue #16, one-way hand-offs: the settings a batch gives its workers, zygote and kernels are explicit values
(:class:`tthc.settings.RunSettings`, the zygote's argv, papermill parameters), never environment variables;
``tthc batch`` parses its period once; queries only read (a missing cube is a one-line error, nothing written);
the index reads the one run.json schema (no legacy error.json)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from batch_helpers import batch, records, root_env

pytestmark = pytest.mark.xdist_group("batch")


# -- the settings value ------------------------------------------------------------------------------------------
def test_run_settings_round_trip_and_reject_unknown_fields():
    from tthc.settings import RunSettings

    s = RunSettings(rules766="2026 portal", shared_zygote=False, test_pipeline="noop")
    assert RunSettings.from_json(s.to_json()) == s
    assert RunSettings.from_dict(s.as_dict()) == s
    assert RunSettings.from_dict(None) == RunSettings()
    assert RunSettings().as_dict() == {"rules766": None, "fork_kernels": True, "shared_zygote": True,
                                       "early_pool": True, "zygote_gc_freeze": True, "test_pipeline": None}
    with pytest.raises(ValueError, match="unknown run settings: slice_cache"):
        RunSettings.from_dict({"slice_cache": "/x"})
    with pytest.raises(Exception):
        s.rules766 = None  # frozen


def test_cli_builds_the_settings_from_flags():
    import argparse

    from tthc.commands import batch as B
    from tthc.errors import ParameterError

    sub = argparse.ArgumentParser().add_subparsers()
    p = B.register(sub)
    args = p.parse_args(["--period", "2025-Q1", "--rules", "2026", "--no-shared-zygote", "--no-gc-freeze"])
    s = B.run_settings(args)
    assert (s.rules766, s.fork_kernels, s.shared_zygote, s.early_pool, s.zygote_gc_freeze) == (
        "2026 portal", True, False, True, False)
    assert "--no-shared-zygote" not in p.format_help()  # hidden switches
    with pytest.raises(ParameterError, match="unknown 766 rules version '2030'"):
        B.run_settings(p.parse_args(["--period", "2025-Q1", "--rules", "2030"]))


def test_zygote_arguments_round_trip():
    from tthc.batch.kernels import zygote_argv
    from tthc.batch.zygote import parse_args

    argv = zygote_argv("Agg", listen="/tmp/z.sock", warm=("2025-Q1", "report", "en"), gc_freeze=False)
    assert argv[1:3] == ["-m", "tthc.batch.zygote"]
    assert parse_args(argv[3:]) == {"listen": "/tmp/z.sock", "backend": "Agg", "warm": ("2025-Q1", "report", "en"),
                                    "gc_freeze": False}
    assert parse_args(zygote_argv("Agg")[3:]) == {"listen": None, "backend": "Agg", "warm": None, "gc_freeze": True}
    with pytest.raises(ValueError, match="unknown zygote argument '--period'"):
        parse_args(["--period", "2025-Q1"])


def test_rules_is_a_parameter_only_when_asked():
    from tthc.errors import ParameterError
    from tthc.report.params import ReportParams, check_rules

    base = ReportParams("X001", "2025-Q1", "calendar", "vi")
    assert base.papermill() == {"unit": "X001", "period": "2025-Q1", "window": "calendar", "lang": "vi"}
    assert ReportParams("X001", "2025-Q1", "calendar", "vi", rules="2026 portal").papermill()["rules"] == "2026 portal"
    assert check_rules(None) is None and check_rules("2026") == "2026 portal"
    with pytest.raises(ParameterError, match="invalid rules 7"):
        check_rules(7)


# -- the batch: plan specs, parse_period once, rules reach the kernel -------------------------------------------
@pytest.fixture
def in_root(batch_root, monkeypatch):
    """This process pointed at the batch test root (as `tthc batch` there would be)."""
    from tthc import config

    for k, v in root_env(batch_root).items():
        if k.startswith("TTHC_"):
            monkeypatch.setenv(k, v)
    for k in ("TTHC_WAREHOUSE", "TTHC_UNITS"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.chdir(batch_root)
    config.project_root.cache_clear()
    yield batch_root
    config.project_root.cache_clear()


def test_plan_specs_carry_settings_not_environment(in_root, tmp_path):
    from tthc.batch.plan import plan_batch
    from tthc.batch.worker import worker_config
    from tthc.settings import RunSettings

    plan = plan_batch("2025-Q1", out_root=tmp_path, units_list="X001,H001", force=True,
                      settings=RunSettings(rules766="2026 portal", fork_kernels=False))
    assert [s["unit"] for s in plan.runs] == ["X001", "H001"]
    for s in plan.runs:
        assert set(s["env"]) == {"TTHC_ROOT"} and s["env"]["TTHC_ROOT"] == str(in_root)
        assert s["settings"]["rules766"] == "2026 portal" and s["settings"]["fork_kernels"] is False
        assert s["pipeline"] == "tthc"
        conf = worker_config(s)
        assert conf["warm"] == ["2025-Q1", "calendar", "vi"] and conf["zygote"] is None
        json.dumps(conf)  # goes through a pipe / pickled to Dask as it is
    # the rules are part of the stamp's parameters: a report under other rules is not "up to date"
    plain = plan_batch("2025-Q1", out_root=tmp_path, units_list="X001", force=True)
    assert plain.runs[0]["stamp"] != plan.runs[0]["stamp"]


def test_batch_parses_its_period_once(in_root, tmp_path, monkeypatch):
    """`tthc batch` → runner → plan → stamps → pool → index: parse_period runs once in the batch process (the CLI's
    parse; the Period goes down from there). Runs use the pool's noop test pipeline, so no kernel is involved."""
    from tthc.cli import main
    from tthc.commands import batch as B
    from tthc.settings import RunSettings

    calls = _count_parse_period(monkeypatch)
    monkeypatch.setattr(B, "run_settings", lambda args: RunSettings(test_pipeline="noop"))
    out = tmp_path / "out"
    code = main(["batch", "--period", "2025-Q1", "--units-list", "X001,X002,H001", "--jobs", "2", "--force",
                 "--out-root", str(out), "--no-progress"])
    assert code == 0
    assert calls == ["2025-Q1"]
    assert (out / "index.html").is_file()


def _count_parse_period(monkeypatch) -> list:
    import sys

    import tthc.periods as P

    real = P.parse_period
    calls = []

    def counting(text):
        calls.append(text)
        return real(text)

    monkeypatch.setattr(P, "parse_period", counting)
    for name, mod in list(sys.modules.items()):  # modules that imported the name before the patch
        if name.startswith("tthc") and getattr(mod, "parse_period", None) is real:
            monkeypatch.setattr(mod, "parse_period", counting)
    return calls


def test_report_run_parses_its_period_once(in_root, tmp_path, monkeypatch):
    """The report run (`tthc report`, a batch worker) parses a period code once — validation, overview, data hash,
    headline all take the Period — and not at all when the caller hands it a Period (a worker parses its batch's
    code once per process). The notebook's execution is stubbed: this counts the runner's own process."""
    from tthc import run as R
    from tthc.periods import parse_period

    per = parse_period("2025-Q1")
    calls = _count_parse_period(monkeypatch)
    kw = dict(ensure=False, executor=lambda nb, job: nb, formats=("ipynb",), xlsx=False)
    rec = R.run_report("H001", "2025-Q1", out_root=tmp_path / "a", **kw)
    assert rec["status"] == "ok" and rec["outputs"] == ["report.ipynb", "overview.ipynb"]
    assert rec["indicators"]["D1"]["denominator"] >= 0  # the headline was read (with the Period)
    assert calls == ["2025-Q1"]
    calls.clear()
    R.run_report("X001", per, out_root=tmp_path / "b", **kw)
    assert calls == []


def test_rules_reach_the_kernel_as_a_parameter(batch_root, tmp_path):
    """`tthc batch --rules` → settings → worker → papermill parameter in the kernel: the executed notebook's
    injected parameters and run.json say the version; no environment variable carries it."""
    import nbformat

    out = tmp_path / "out"
    r = batch(batch_root, out, "--rules", "2026", units="X001")
    assert r.returncode == 0, r.stderr[-2000:]
    rec = records(out)["X001"]
    assert rec["status"] == "ok" and rec["parameters"]["rules"] == "2026 portal"
    nb = nbformat.read(out / "2025-Q1" / "X001" / "report.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'rules = "2026 portal"' in injected.source


# -- queries only read ------------------------------------------------------------------------------------------
def _tree(root: Path) -> dict:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")}


def test_query_on_a_missing_cube_is_one_line_and_writes_nothing(tmp_path, monkeypatch):
    from tthc import config
    from tthc.engine import query as q
    from tthc.errors import InputError

    root = tmp_path / "root"
    (root / "params").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname='x'\n")
    monkeypatch.setenv("TTHC_ROOT", str(root))
    for k in ("TTHC_WAREHOUSE", "TTHC_UNITS"):
        monkeypatch.delenv(k, raising=False)
    config.project_root.cache_clear()
    try:
        before = _tree(root)
        for call in (lambda: q.indicators("2025-Q1"), lambda: q.bieu06("2025-Q1"), lambda: q.meta(),
                     lambda: q.index766("X001", "2025-Q1")):
            with pytest.raises(InputError) as e:
                call()
            msg = str(e.value)
            assert "\n" not in msg and "no indicator cube" in msg and "`tthc cube`" in msg
            assert msg.startswith(str(root / "data" / "processed" / "cube"))
        assert _tree(root) == before  # no warehouse, no cube, no folder made
    finally:
        config.project_root.cache_clear()


def test_query_for_a_period_the_cube_lacks_is_one_line_and_writes_nothing(in_root):
    from tthc.engine import query as q
    from tthc.engine.cube import default_cube_dir
    from tthc.errors import InputError

    d = default_cube_dir()
    before = _tree(d)
    with pytest.raises(InputError, match=r"has no period 2031-Q1 .*`tthc cube --period 2031-Q1`$"):
        q.indicators("2031-Q1")
    assert _tree(d) == before
    assert len(q.indicators("2025-Q1"))  # a period it holds reads as before


def test_ensure_data_builds_a_period_outside_the_data_explicitly(in_root):
    """The explicit step (`tthc report`, `tthc batch`, `tthc publish` run it) extends the cube to a period the
    data does not cover, as the build-on-read used to; the query then reads it."""
    from tthc.bootstrap import ensure_data
    from tthc.engine import query as q
    from tthc.engine.cube import default_cube_dir

    meta = json.loads((default_cube_dir() / "meta.json").read_text())
    assert "2030-Q1" not in meta["periods"]
    try:
        done = ensure_data(verbose=False, period="2030-Q1")
        assert done["cube_rebuilt"] and "2030-Q1" in done["cube_meta"]["periods"]
        assert set(meta["periods"]) <= set(done["cube_meta"]["periods"])
        assert q.indicators("2030-Q1") is not None
        again = ensure_data(verbose=False, period="2030-Q1")
        assert not again["cube_rebuilt"]
    finally:  # the shared test root's cube as it was
        from tthc.engine.cube import ensure_cube

        ensure_cube(force=True)
        assert json.loads((default_cube_dir() / "meta.json").read_text())["periods"] == meta["periods"]


# -- the index reads the one run.json schema ---------------------------------------------------------------------
def test_index_ignores_legacy_error_json(tmp_path):
    from tthc.batch.index import scan, status_of

    d = tmp_path / "2025-Q1" / "X001"
    d.mkdir(parents=True)
    (d / "report.html").write_text("r")
    (d / "run.json").write_text(json.dumps({"status": "ok", "stamp": "s", "outputs": ["report.html"]}))
    (d / "error.json").write_text(json.dumps({"status": "failed", "error": "old"}))
    os.utime(d / "error.json", (2e9, 2e9))  # newer than run.json: it used to win
    only_legacy = tmp_path / "2025-Q1" / "X002"
    only_legacy.mkdir()
    (only_legacy / "error.json").write_text(json.dumps({"status": "failed", "error": "old"}))
    entries = scan(tmp_path)
    assert [(e["unit"], status_of(e)) for e in entries] == [("X001", "ok")]
    assert "error" not in entries[0]
