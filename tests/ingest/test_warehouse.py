"""Idempotence, the replacement rule, transactions, the writer lock and the content hash."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
from pathlib import Path

import pytest

from tthc import warehouse
from tthc.errors import InputError, TthcError
from tthc.ingest import ingest_files, pipeline

from ingest_helpers import dossier, query, write_json


def test_reingest_same_file_changes_nothing(tmp_path, wh):
    f = write_json(tmp_path / "a.json", [dossier("A"), dossier("B")])
    (r1,) = ingest_files([f], warehouse=wh)
    h1 = warehouse.content_hash(wh)
    (r2,) = ingest_files([f], warehouse=wh)
    assert (r1.rows_new, r1.already_ingested) == (2, False)
    assert r2.already_ingested and r2.ingest_id == r1.ingest_id
    assert "already ingested" in r2.summary()
    assert warehouse.content_hash(wh) == h1
    assert query(wh, "SELECT count(*) FROM ingest_log") == [(1,)]


def test_newer_export_replaces_older_does_not(tmp_path, wh):
    v1 = write_json(tmp_path / "v1.json", [
        dossier("A", TrangThaiHoSo=4, NgayKetThucXuLy=None, NgayTra=None),   # phien_ban = hen tra 05/03 17:00
        dossier("B")])
    v2 = write_json(tmp_path / "v2.json", [
        dossier("A", TrangThaiHoSo=10, NgayKetThucXuLy="20250306100000", NgayTra="20250306110000"),  # newer
        dossier("B"),                                                      # same content → unchanged
        dossier("C")])                                                     # new
    v0 = write_json(tmp_path / "v0.json", [
        dossier("A", TrangThaiHoSo=2, NgayHenTra="20250304170000", NgayKetThucXuLy=None, NgayTra=None)])  # older
    ingest_files([v1], warehouse=wh)
    (r2,) = ingest_files([v2], warehouse=wh)
    assert (r2.rows_read, r2.rows_new, r2.rows_replaced, r2.rows_unchanged, r2.rows_older) == (3, 1, 1, 1, 0)
    assert r2.summary().split(": ", 1)[1].startswith("read 3, stored 3 (new 1, replaced 1, unchanged 1), quarantined 0; ")
    (r0,) = ingest_files([v0], warehouse=wh)
    assert (r0.rows_stored, r0.rows_older, r0.rows_replaced) == (1, 1, 0)
    assert query(wh, "SELECT ma_ho_so, trang_thai, phien_ban, ingest_id FROM dossiers ORDER BY 1") == [
        ("A", 10, dt.datetime(2025, 3, 6, 11), 2), ("B", 10, dt.datetime(2025, 3, 5, 17), 1),
        ("C", 10, dt.datetime(2025, 3, 5, 17), 2)]
    assert query(wh, "SELECT ingest_id, rows_new, rows_replaced, rows_unchanged, rows_older FROM ingest_log "
                     "ORDER BY 1") == [(1, 2, 0, 0, 0), (2, 1, 1, 1, 0), (3, 0, 0, 0, 1)]


def test_equal_version_later_ingest_wins(tmp_path, wh):
    a = write_json(tmp_path / "a.json", [dossier("A", TenTTHC="Tên cũ")])
    b = write_json(tmp_path / "b.json", [dossier("A", TenTTHC="Tên mới")])
    ingest_files([a], warehouse=wh)
    (r,) = ingest_files([b], warehouse=wh)
    assert r.rows_replaced == 1
    assert query(wh, "SELECT ten_tthc FROM dossiers") == [("Tên mới",)]


def test_failure_mid_file_rolls_back(tmp_path, wh, monkeypatch):
    good = write_json(tmp_path / "good.json", [dossier("A")])
    ingest_files([good], warehouse=wh)
    h = warehouse.content_hash(wh)
    # a truncated array: the first 2,000 records are read (and staged) before the reader hits the broken end
    recs = [dossier(f"T{i}") for i in range(2000)]
    f = write_json(tmp_path / "trunc.json", recs)
    f.write_text(f.read_text(encoding="utf-8")[:-40], encoding="utf-8")
    monkeypatch.setattr(pipeline, "CHUNK_ROWS", 500)  # several chunks staged before the error
    with pytest.raises(InputError, match=r"trunc\.json: malformed JSON in record 2000"):
        ingest_files([f, good], warehouse=wh)
    assert warehouse.content_hash(wh) == h
    assert query(wh, "SELECT count(*) FROM dossiers") == [(1,)]
    assert query(wh, "SELECT status FROM ingest_log ORDER BY ingest_id") == [("ok",), ("error",)]
    assert not list((wh.parent).glob("quarantine/*.part"))


def test_crash_inside_merge_rolls_back(tmp_path, wh, monkeypatch):
    ingest_files([write_json(tmp_path / "a.json", [dossier("A")])], warehouse=wh)
    h = warehouse.content_hash(wh)

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "_log", boom)  # fails after the rows were inserted, before COMMIT
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_files([write_json(tmp_path / "b.json", [dossier("B"), dossier("A", TenTTHC="x")])], warehouse=wh)
    assert warehouse.content_hash(wh) == h
    assert query(wh, "SELECT ma_ho_so, ten_tthc FROM dossiers") == [("A", "Đăng ký khai sinh")]


def _hold_lock(path, ready, release):
    with warehouse.write_lock(path):
        ready.set()
        release.wait(20)


def test_concurrent_ingest_is_refused(tmp_path, wh):
    ctx = mp.get_context("fork")
    ready, release = ctx.Event(), ctx.Event()
    p = ctx.Process(target=_hold_lock, args=(wh, ready, release))
    p.start()
    try:
        assert ready.wait(20)
        with pytest.raises(TthcError, match="another ingest is running"):
            ingest_files([write_json(tmp_path / "a.json", [dossier("A")])], warehouse=wh, lock_timeout=0.5)
    finally:
        release.set()
        p.join(20)
    (r,) = ingest_files([tmp_path / "a.json"], warehouse=wh, lock_timeout=5)
    assert r.rows_new == 1


def test_content_hash_ignores_order_and_provenance(tmp_path):
    a = write_json(tmp_path / "a.json", [dossier("A"), dossier("B")])
    b1 = write_json(tmp_path / "b1.json", [dossier("B")], "lines")
    a1 = write_json(tmp_path / "a1.json", [dossier("A")], "data")
    w1, w2 = tmp_path / "1" / "w.duckdb", tmp_path / "2" / "w.duckdb"
    ingest_files([a], warehouse=w1)
    ingest_files([b1, a1], warehouse=w2)
    assert warehouse.content_hash(w1) == warehouse.content_hash(w2)
    ingest_files([write_json(tmp_path / "c.json", [dossier("A", TrangThaiHoSo=9)])], warehouse=w2)
    assert warehouse.content_hash(w1) != warehouse.content_hash(w2)


def test_connect_read_only_needs_warehouse(tmp_path):
    with pytest.raises(InputError, match="no warehouse yet"):
        warehouse.connect(tmp_path / "none.duckdb", read_only=True)
    con = warehouse.connect(tmp_path / "new.duckdb")
    tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    con.close()
    assert {"dossiers", "ingest_log", "catalogue"} <= tables


def _ingest_and_die(f, wh):
    import os
    import signal

    def die(*a, **k):  # SIGKILL with the file's rows inserted but not committed
        os.kill(os.getpid(), signal.SIGKILL)

    pipeline._log = die
    ingest_files([f], warehouse=wh)


def test_killed_process_leaves_warehouse_as_before(tmp_path, wh):
    ingest_files([write_json(tmp_path / "a.json", [dossier("A")])], warehouse=wh)
    h = warehouse.content_hash(wh)
    f = write_json(tmp_path / "b.json", [dossier(f"K{i}") for i in range(3000)] + [dossier("A", TenTTHC="x")]
                   + [dossier("Q1", DonViXuLy="ZZZ9", NoiNopHoSo="ZZZ9")])  # one quarantined row
    p = mp.get_context("fork").Process(target=_ingest_and_die, args=(f, wh))
    p.start()
    p.join(60)
    assert p.exitcode == -9
    assert warehouse.content_hash(wh) == h
    assert query(wh, "SELECT count(*) FROM ingest_log") == [(1,)]
    qdir = pipeline.quarantine_dir_for(wh)
    assert [x.name for x in qdir.glob("*.part")] == ["00002-b.csv.part"]  # left by the killed ingest
    (r,) = ingest_files([f], warehouse=wh)  # the lock died with the process; the file is ingested normally
    assert (r.rows_new, r.rows_replaced, r.rows_quarantined) == (3000, 1, 1)
    assert list(qdir.glob("*.part")) == [] and r.quarantine_path and Path(r.quarantine_path).exists()


def test_ingest_refreshes_the_pre_aggregate(tmp_path):
    """``tthc ingest`` leaves a fresh pre-aggregate behind (stamp = dossier signature + catalogue hash)."""
    import duckdb

    from tthc.engine import days

    wh = tmp_path / "w.duckdb"
    ingest_files([write_json(tmp_path / "a.json", [dossier("A"), dossier("B", KenhNop=2)])], warehouse=wh)
    con = duckdb.connect(str(wh), read_only=True)
    assert days.stored_stamp(con) == days.stamp(con)
    assert con.execute(f"SELECT sum(n) FROM {days.TABLE}").fetchone()[0] == 2
    con.close()
