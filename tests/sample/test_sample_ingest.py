"""The sample through the real ingest: rows agree with the frame, personal data never reaches the warehouse, and
the warehouse is recognisably synthetic (spec §3, §10)."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from tthc.sample import JSON_NAME, XLSX_NAME, build_sample, generate_frame, is_synthetic, write_sample
from tthc.schema import DOSSIER_COLUMNS

pytest.importorskip("tthc.ingest")

N, SEED = 3000, 99


@pytest.fixture(scope="module")
def built(tmp_path_factory, registry):
    d = tmp_path_factory.mktemp("sample_ingest")
    wh = d / "wh.duckdb"
    paths, results = build_sample(d / "raw", n=N, seed=SEED, units=registry, warehouse=wh)
    return d, wh, paths, results


def test_ingest_stores_every_row(built):
    _, wh, paths, results = built
    assert [r.rows_read for r in results] == [r.rows_stored for r in results]
    assert sum(r.rows_stored for r in results) == N
    assert sum(r.rows_quarantined for r in results) == 0
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("SELECT count(*) FROM dossiers").fetchone()[0] == N
    con.close()


def test_warehouse_agrees_with_frame(built, registry):
    _, wh, _, _ = built
    con = duckdb.connect(str(wh), read_only=True)
    w = con.execute("SELECT * FROM dossiers ORDER BY ma_ho_so").df().set_index("ma_ho_so")
    con.close()
    f = generate_frame(N, seed=SEED, units=registry).sort_values("ma_ho_so").set_index("ma_ho_so")
    assert (w.index == f.index).all()
    for c in DOSSIER_COLUMNS:
        if c == "ma_ho_so":
            continue
        a, b = f[c], w[c]
        if c.startswith("ngay_"):  # the XLSX carries minutes only
            a, b = a.dt.floor("min"), pd.to_datetime(b).dt.floor("min")
        sa = [str(v) if ok else "NA" for v, ok in zip(a.tolist(), a.notna().tolist())]
        sb = [str(v) if ok else "NA" for v, ok in zip(b.tolist(), b.notna().tolist())]
        assert sa == sb, c


def test_no_personal_data_in_warehouse(built):
    d, wh, paths, _ = built
    objs = json.loads(paths[0].read_text(encoding="utf-8"))
    secrets = set()
    for o in objs:
        secrets |= {o["ChuHoSo"], o["SoGiayToChuHoSo"], o["SoDienThoaiChuHoSo"], o["DiaChiChuHoSo"]}
        if o["EmailChuHoSo"]:
            secrets.add(o["EmailChuHoSo"])
    assert len(secrets) > 1000
    con = duckdb.connect(str(wh), read_only=True)
    found = []
    for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
        cols = con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? AND "
                           "data_type = 'VARCHAR'", [table]).fetchall()
        for (col,) in cols:
            vals = {r[0] for r in con.execute(f'SELECT DISTINCT "{col}" FROM "{table}"').fetchall()}
            if vals & secrets:
                found.append((table, col))
    con.close()
    assert found == []
    raw = wh.read_bytes()
    assert objs[0]["SoGiayToChuHoSo"].encode() not in raw


def test_warehouse_is_marked_synthetic(built, tmp_path):
    _, wh, _, _ = built
    con = duckdb.connect(str(wh), read_only=True)
    assert is_synthetic(con)
    assert dict(con.execute("SELECT key, value FROM dataset_info").fetchall())["synthetic"] == "true"
    assert {r[0] for r in con.execute("SELECT DISTINCT tep_nguon FROM dossiers").fetchall()} == {JSON_NAME,
                                                                                                  XLSX_NAME}
    con.close()
    other = duckdb.connect(str(tmp_path / "real.duckdb"))
    other.execute("CREATE TABLE dossiers (ma_ho_so VARCHAR, tep_nguon VARCHAR)")
    other.execute("INSERT INTO dossiers VALUES ('A-1', 'export_thang6.xlsx')")
    assert not is_synthetic(other)
    other.execute("INSERT INTO dossiers VALUES ('A-2', 'motcua_sample.xlsx')")
    assert is_synthetic(other)
    other.close()


def test_cli_sample_no_ingest_and_parquet(tmp_path, registry):
    from tthc.cli import main

    out = tmp_path / "o"
    wh = tmp_path / "never.duckdb"
    assert main(["sample", "--dossiers", "400", "--seed", "5", "--out", str(out), "--no-ingest",
                 "--warehouse", str(wh)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([JSON_NAME, XLSX_NAME])
    assert not wh.exists()
    ref = write_sample(tmp_path / "ref", n=400, seed=5, units=registry)
    assert (out / JSON_NAME).read_bytes() == ref[0].read_bytes()
    assert main(["sample", "--dossiers", "1000", "--format", "parquet", "--out", str(tmp_path / "pq"),
                 "--warehouse", str(tmp_path / "pq.duckdb")]) == 0
    con = duckdb.connect(str(tmp_path / "pq.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM dossiers").fetchone()[0] == 1000
    assert is_synthetic(con)
    con.close()
