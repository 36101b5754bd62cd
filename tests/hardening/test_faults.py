"""Faults around the warehouse and the batch (issue "Hardening", item 5): SIGKILL of an ingest mid-file, two ingests
at once, two batches at once. (Output-root faults and a raising notebook are in test_e2e_outputs.py.)"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

import hardening_helpers as hh

HEAD = "Mã hồ sơ;Mã TTHC;Tên thủ tục hành chính;Mã lĩnh vực;Đơn vị xử lý;Hình thức nộp;Ngày tiếp nhận;Trạng thái\n"


def _csv(path, n, prefix="K", bad_every=0):
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEAD)
        for i in range(n):
            unit = "ZZZZ" if bad_every and i % bad_every == 1 else f"X{1 + i % 20:03d}"
            f.write(f"{prefix}-{i};1.000001;Đăng ký khai sinh;HT;{unit};Trực tuyến;0{1 + i % 9}/03/2025 08:00;"
                    f"Đã tiếp nhận\n")
    return path


def _state(wh):
    import duckdb

    from tthc import warehouse

    con = duckdb.connect(str(wh), read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM dossiers").fetchone()[0]
        log = con.execute("SELECT ingest_id, file, status, rows_read, rows_stored FROM ingest_log "
                          "ORDER BY ingest_id").fetchall()
    finally:
        con.close()
    return n, warehouse.content_hash(wh), log


@pytest.fixture
def root(tmp_path):
    return hh.make_root(tmp_path / "root")


@pytest.mark.slow
def test_sigkill_mid_file_leaves_warehouse_as_before(root, tmp_path, tally):
    wh = tmp_path / "w" / "warehouse.duckdb"
    small = _csv(tmp_path / "small.csv", 50, prefix="S")
    r = hh.run_cli(["ingest", "--allow-missing", "--warehouse", str(wh), str(small)], root)
    hh.assert_clean(r, allow=(0,))
    before = _state(wh)
    assert before[0] == 50
    big = _csv(tmp_path / "big.csv", 120_000, prefix="B", bad_every=1000)
    qdir = wh.parent / "quarantine"
    p = subprocess.Popen([hh.TTHC, "ingest", "--allow-missing", "--warehouse", str(wh), str(big)], env=hh.env_for(root), cwd=root,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=os.setsid)
    deadline = time.monotonic() + 300
    # "started writing": the first chunk was validated, its quarantine lines are being streamed to disk
    while not any(qdir.glob("*.csv.part")):
        assert p.poll() is None, ("the ingest finished before it could be killed", p.communicate())
        assert time.monotonic() < deadline, "the ingest never started writing"
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait(timeout=30)
    assert p.returncode == -signal.SIGKILL
    after = _state(wh)
    assert after == before, "a killed ingest changed the warehouse"
    # the lock is free again and the warehouse usable: the same file goes in completely afterwards
    r = hh.run_cli(["ingest", "--allow-missing", "--warehouse", str(wh), "--lock-timeout", "5", str(big)], root, timeout=600)
    hh.assert_clean(r, allow=(0,))
    assert "read 120000, stored 119880" in r.stdout and "quarantined 120" in r.stdout, r.stdout
    n, _, log = _state(wh)
    assert n == 50 + 119_880 and [x[2] for x in log] == ["ok", "ok"]
    tally("faults injected", 1, "SIGKILL of tthc ingest mid-file (120 000 rows)")


def test_two_ingests_at_once_are_serialised(root, tmp_path, tally):
    from tthc import warehouse

    wh = tmp_path / "w" / "warehouse.duckdb"
    f = _csv(tmp_path / "a.csv", 20)
    with warehouse.write_lock(wh):  # another ingest holds the warehouse
        t0 = time.monotonic()
        r = hh.run_cli(["ingest", "--allow-missing", "--warehouse", str(wh), "--lock-timeout", "1", str(f)], root)
        waited = time.monotonic() - t0
    assert r.returncode == 2 and "another ingest is running" in r.stderr, r.stderr
    hh.assert_clean(r)
    assert waited >= 1.0
    assert not wh.exists() or _state(wh)[0] == 0
    r = hh.run_cli(["ingest", "--allow-missing", "--warehouse", str(wh), str(f)], root)  # once free, it goes through
    hh.assert_clean(r, allow=(0,))
    assert _state(wh)[0] == 20
    tally("faults injected", 1, "concurrent ingest while the warehouse lock is held")


def test_two_batches_at_once(root, tmp_path, tally):
    from tthc.batch.lock import BatchLock

    out = tmp_path / "out"
    lock = BatchLock(out).acquire()
    try:
        r = hh.run_cli(["batch", "--period", "2025-Q1", "--units-list", "X001", "--no-progress", "--out-root",
                        str(out)], root, timeout=120)
    finally:
        lock.release()
    assert r.returncode == 2 and "another tthc batch is already running" in r.stderr, r.stderr
    hh.assert_clean(r)
    assert sorted(p.name for p in out.iterdir()) == [".tthc-batch.lock"]
    assert not (root / "data").exists(), "the second batch started work (sample/cube) before failing"
    tally("faults injected", 1, "concurrent batch on the same output root")


@pytest.mark.slow
def test_two_real_ingests_wait_for_each_other(root, tmp_path, tally):
    """Two ``tthc ingest`` processes started together on one warehouse: the second waits for the lock, both succeed,
    and every row is accounted for (nothing lost or doubled)."""
    wh = tmp_path / "w" / "warehouse.duckdb"
    a = _csv(tmp_path / "a.csv", 40_000, prefix="A", bad_every=500)
    b = _csv(tmp_path / "b.csv", 300, prefix="B")
    procs = [subprocess.Popen([hh.TTHC, "ingest", "--allow-missing", "--warehouse", str(wh), "--lock-timeout", "300", str(f)],
                              env=hh.env_for(root), cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for f in (a, b)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert "read 40000, stored 39920" in outs[0][0] and "read 300, stored 300" in outs[1][0], outs
    n, _, log = _state(wh)
    assert n == 39_920 + 300 and sorted(x[2] for x in log) == ["ok", "ok"]
    assert sorted(x[3] for x in log) == [300, 40_000]
    tally("faults injected", 1, "two ingest processes at once on one warehouse")
