"""Paths and parameters (issue "Hardening", item 3): hostile UNIT/PERIOD/WINDOW/LANG values are rejected before
anything runs, with a one-line error, through ``tthc report``, ``tthc batch`` and ``make report``/``make reports``;
nothing is written outside ``outputs/`` (the project root's file tree is compared before and after)."""

from __future__ import annotations

import subprocess

import pytest

import hardening_helpers as hh

HOSTILE = [
    "../../etc", "/etc/passwd", "..", ".", "X001/../../x", "X001\\..\\x", "; rm -rf /", "$(id)", "`id`", "X001;id",
    "X001 && id", "X001|id", "'", '"', "X001'", "Х001",  # Cyrillic Х
    "Ｘ００１", "X００1",  # full-width
    "X001\x00", "X001\n", "X\u200b001", "x001", " X001", "X001 ", "A" * 5000, "", "-", "--unit", "%s%n", "{0}",
    "X001*", "X00?", "~root", "X001\u202e",
]
HOSTILE_PERIOD = ["../2025-Q1", "2025-Q1/../../x", "2025-Q5", "2025-13", "２０２５-Q1", "2025-Q1; id", "$(id)",
                  "2025-Q1\x00", "9" * 5000, "", "2025-q1"]
HOSTILE_WINDOW = ["../calendar", "calendar; id", "CALENDAR", "calendar\x00", ""]
HOSTILE_LANG = ["../vi", "vi; id", "VI", "vі",  # Cyrillic і
                "vi\x00", "", "e" * 500]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    r = hh.make_root(tmp_path_factory.mktemp("params") / "root")
    return r


def _one_line_error(err: str, cmd: str):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"tthc {cmd}: error: "), err
    assert "Traceback" not in err


def test_report_rejects_hostile_values_in_process(root, tmp_path, monkeypatch, capsys, tally):
    """Every value (NUL bytes included, which argv cannot carry) through ``tthc.cli.main``; exit 2, one line, and no
    file appears anywhere under the project root."""
    from tthc.cli import main

    monkeypatch.setenv("TTHC_UNITS", str(root / "params" / "units.yaml"))
    out_root = tmp_path / "out"
    before = hh.tree(root)
    n = 0
    cases = ([dict(unit=v) for v in HOSTILE] + [dict(period=v) for v in HOSTILE_PERIOD]
             + [dict(window=v) for v in HOSTILE_WINDOW] + [dict(lang=v) for v in HOSTILE_LANG])
    for c in cases:
        a = {"unit": "X001", "period": "2025-Q1", "window": "calendar", "lang": "vi", **c}
        argv = ["report", f"--unit={a['unit']}", f"--period={a['period']}", f"--lang={a['lang']}", "--out-root",
                str(out_root), "--units", str(root / "params" / "units.yaml"),
                "--warehouse", str(tmp_path / "w.duckdb")]
        if a["window"] in ("calendar", "report"):
            argv += ["--window", a["window"]]
            rc = main(argv)
        else:  # argparse choices: a usage error (exit 2 through SystemExit)
            with pytest.raises(SystemExit) as e:
                main(argv + ["--window", a["window"]])
            rc = e.value.code
        err = capsys.readouterr().err
        assert rc == 2, (c, err)
        if a["window"] in ("calendar", "report"):
            _one_line_error(err, "report")
        n += 1
    assert not out_root.exists() and not (tmp_path / "w.duckdb").exists()
    assert hh.tree(root) == before
    tally("hostile parameters", n, "tthc report in-process")


def test_report_cli_subprocess_and_tree_unchanged(root, tally):
    """Through the real CLI (argv), a handful of the worst values; the project root is unchanged."""
    before = hh.tree(root)
    vals = ["../../etc", "/etc", "; rm -rf /", "$(id)", "`id`", "Х001", "Ｘ００１", "A" * 100_000]
    for v in vals:
        r = hh.run_cli(["report", f"--unit={v}", "--period", "2025-Q1"], root, timeout=60)
        assert r.returncode == 2, r.stderr
        _one_line_error(r.stderr, "report")
    r = hh.run_cli(["report", "--unit", "X001", "--period", "../../etc"], root, timeout=60)
    assert r.returncode == 2
    _one_line_error(r.stderr, "report")
    assert hh.tree(root) == before
    tally("hostile parameters", len(vals) + 1, "tthc report subprocess")


def test_batch_rejects_hostile_values_before_running(root, tally):
    """``tthc batch``: a bad period/lang/units-list is rejected before the sample or cube is built (no warehouse
    appears); only the batch lock file may appear, inside outputs/."""
    before = hh.tree(root)
    cases = [["--period", "../../etc"], ["--period", "2025-Q1", "--lang", "vi; id"],
             ["--period", "2025-Q1", "--units-list", "../../etc,X001"],
             ["--period", "2025-Q1", "--units-list", "X001;id"], ["--period", "2025-Q1", "--units-list", "Х001"]]
    for c in cases:
        r = hh.run_cli(["batch", "--no-progress", *c], root, timeout=120)
        assert r.returncode == 2, (c, r.stdout[-500:], r.stderr[-1500:])
        _one_line_error(r.stderr, "batch")
    after = hh.tree(root)
    new = {k for k in set(after) - set(before)}
    assert new <= {"outputs", "outputs/.tthc-batch.lock"}, new
    assert {k for k in before if after.get(k) != before[k]} == set()
    tally("hostile parameters", len(cases), "tthc batch subprocess")


def test_other_commands_reject_hostile_units(root, tally):
    """``tthc bieu06`` / ``tthc export`` / ``tthc indicators`` with hostile values: exit 2, one line, nothing
    written (found: bieu06 printed an empty table and exited 0 for an unknown unit)."""
    before = hh.tree(root)
    cases = [["bieu06", "--period", "2025-Q1", "--unit=../../etc"], ["bieu06", "--period", "2025-Q1", "--unit=Х001"],
             ["export", "--period", "2025-Q1", "--unit=X001;id"], ["indicators", "--period", "../../etc"]]
    for c in cases:
        r = hh.run_cli(c, root, timeout=60)
        assert r.returncode == 2, (c, r.stderr)
        _one_line_error(r.stderr, c[0])
    assert hh.tree(root) == before
    tally("hostile parameters", len(cases), "tthc bieu06/export/indicators subprocess")


@pytest.mark.slow
def test_make_quotes_variables(root, tmp_path, tally):
    """``make report UNIT=…``: quotes, $(shell …), backticks and $(…) reach tthc as one literal argument, are
    rejected, and nothing runs (a marker file would appear if the shell or make executed them)."""
    marker = tmp_path / "pwned"
    env = hh.env_for(root)
    vals = [f"x';touch {marker};'", f"$(shell touch {marker})", f"`touch {marker}`", f"$$(touch {marker})",
            f'x";touch {marker};"', f"x\ntouch {marker}", "../../etc"]
    before = hh.tree(root)
    for v in vals:
        r = subprocess.run(["make", "-s", "-o", ".venv/.installed-stamp", "-C", str(hh.REPO), "report", f"UNIT={v}"], env=env, capture_output=True,
                           text=True, timeout=120)
        assert not marker.exists(), f"UNIT={v!r} executed a command"
        if "\n" in v:  # make splits the recipe at the newline: a shell syntax error, nothing runs
            assert r.returncode != 0, r.stderr
            continue
        assert r.returncode == 2, (v, r.stderr)
        assert "tthc report: error: invalid unit" in r.stderr, r.stderr
    for var, v in (("PERIOD", f"$(shell touch {marker})"), ("LANG", f"vi';touch {marker};'"),
                   ("WINDOW", f"`touch {marker}`")):
        r = subprocess.run(["make", "-s", "-o", ".venv/.installed-stamp", "-C", str(hh.REPO), "report", f"{var}={v}"], env=env, capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 2 and "tthc report: error: " in r.stderr and "invalid" in r.stderr, (var, r.stderr)
        assert not marker.exists(), f"{var}={v!r} executed a command"
    r = subprocess.run(["make", "-s", "-o", ".venv/.installed-stamp", "-C", str(hh.REPO), "reports", f"UNITS=X001;touch {marker}"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and not marker.exists(), r.stderr
    after = hh.tree(root)
    assert {k for k in set(after) - set(before)} <= {"outputs", "outputs/.tthc-batch.lock"}
    tally("hostile parameters", len(vals) + 4, "make report/reports")
