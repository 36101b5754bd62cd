"""Issue #18 item 5, full disk: one line naming the path from ingest, report and batch; ``batch.log`` never holds
half a line. Deterministic seams (a write that raises ENOSPC or writes short) plus one real small tmpfs for the
ingest (skipped where mounting is not allowed). The batch on a full tmpfs is in tests/batch/test_batch_interrupts.py."""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest

import hardening_helpers as hh


def test_eventlog_never_cut_mid_line(tmp_path, monkeypatch):
    from tthc.batch import eventlog

    log = eventlog.EventLog(tmp_path / "batch.log")
    log("batch start: first line")
    before = (tmp_path / "batch.log").read_bytes()
    real = os.write

    def short(fd, data):  # the disk takes 10 bytes, then is full
        return real(fd, data[:10])

    monkeypatch.setattr(eventlog.os, "write", short)
    with pytest.raises(OSError) as ei:
        log("done X001 in 1.00 s — a line the disk cannot take")
    assert ei.value.errno == errno.ENOSPC and ei.value.filename == str(tmp_path / "batch.log")
    assert (tmp_path / "batch.log").read_bytes() == before

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(eventlog.os, "write", full)
    with pytest.raises(OSError) as ei:
        log("another")
    assert ei.value.filename == str(tmp_path / "batch.log")
    monkeypatch.setattr(eventlog.os, "write", real)
    log("after space was freed")
    lines = (tmp_path / "batch.log").read_text(encoding="utf-8").splitlines()
    assert [ln.split(" ", 1)[1] for ln in lines] == ["batch start: first line", "after space was freed"]
    log.close()


def test_disk_full_line_names_the_path():
    from tthc.batch.pool import disk_full_line

    r = dict(status="failed", out_dir="/o/2025-Q1/X001",
             error="OSError: [Errno 28] No space left on device: '/o/2025-Q1/X001/.report.pdf.tmp'")
    assert disk_full_line(r).startswith("/o/2025-Q1/X001/.report.pdf.tmp: No space left on device; free space")
    r = dict(status="failed", out_dir="/o/2025-Q1/X002", error="OSError: [Errno 28] No space left on device")
    assert disk_full_line(r).startswith("/o/2025-Q1/X002: No space left on device")
    assert disk_full_line(dict(status="failed", out_dir="/o", error="CellExecutionError: boom")) is None
    assert disk_full_line(dict(status="ok", out_dir="/o")) is None


def test_report_full_disk_message_names_the_path(monkeypatch, capsys, tmp_path):
    """Found: "cannot write the outputs: : No space left on device" (the OSError had no filename)."""
    from tthc import cli
    from tthc import run as R

    def full(*a, **kw):
        raise OSError(errno.ENOSPC, "No space left on device")  # e.g. from a flush: no filename

    monkeypatch.setattr(R, "run_report", full)
    rc = cli.main(["report", "--unit", "X001", "--period", "2025-Q1", "--out-root", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2
    assert err == (f"tthc report: error: cannot write the outputs: {tmp_path}/2025-Q1/X001: No space left on device; "
                   f"give a writable --out-root folder with free space\n")


@pytest.fixture
def tiny(tiny_disk):
    return tiny_disk("400k")


def test_ingest_on_a_full_disk_is_one_line_then_recovers(tiny, tmp_path, tally):
    from test_warehouse_faults import _csv

    root = hh.make_root(tmp_path / "root")
    big = _csv(tmp_path / "big.csv", 30_000, "B")  # a minimal export: --allow-missing stores it anyway
    wh = tiny / "w.duckdb"
    r = hh.run_cli(["ingest", "--allow-missing", "--warehouse", str(wh), str(big)], root, timeout=300)
    assert "Traceback" not in r.stderr and r.returncode == 2, r.stderr[-2000:]
    last = [ln for ln in r.stderr.splitlines() if ln.strip()][-1]
    assert last == (f"tthc ingest: error: {wh}: no space left on the device holding the warehouse (nothing of the "
                    f"failed file was stored); free space and try again"), last
    subprocess.run(["mount", "-o", "remount,size=16m", str(tiny)], check=True)
    r = hh.run_cli(["ingest", "--allow-missing", "--warehouse", str(wh), str(big)], root, timeout=300)
    hh.assert_clean(r, allow=(0,))
    assert "read 30000, stored 30000 (new 30000" in r.stdout, r.stdout
    import duckdb

    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM dossiers").fetchone()[0] == 30_000
        ok = con.execute("SELECT rows_read, rows_stored FROM ingest_log WHERE status = 'ok'").fetchall()
        assert ok == [(30_000, 30_000)]
    finally:
        con.close()
    tally("faults injected", 1, "full disk (400 KiB tmpfs) under the warehouse")
