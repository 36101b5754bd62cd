"""CLI CSV interfaces (exact headers), the Biểu 06 workbook, and a LibreOffice round-trip."""

from __future__ import annotations

import csv
import io
import shutil
import os
import subprocess
import sys
from contextlib import redirect_stdout

import numpy as np
import pytest
from openpyxl import load_workbook

from tthc.cli import main
from tthc.export_xlsx import safe_text, write_bieu06_workbook

from engine_fixtures import ROWS, make_con

EVIL = "=HYPERLINK(\"http://x\")\x07"


@pytest.fixture
def wh(tmp_path, monkeypatch, project_root):
    rows = [dict(r) for r in ROWS]
    rows[0]["ten_linh_vuc"] = EVIL
    rows[0]["ma_linh_vuc"] = "LVX"
    path = tmp_path / "w.duckdb"
    make_con(rows, path).close()
    units = tmp_path / "units.yaml"
    import yaml

    from engine_fixtures import SMALL_UNITS

    units.write_text(yaml.safe_dump(SMALL_UNITS), encoding="utf-8")
    return dict(path=path, units=units, cube=tmp_path / "cube")


def _run(args) -> str:
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(args) == 0
    return buf.getvalue()


def test_indicators_csv(wh):
    out = _run(["indicators", "--period", "2025-03", "--warehouse", str(wh["path"]), "--units", str(wh["units"]),
                "--cube", str(wh["cube"]), "--format", "csv"])
    lines = out.splitlines()
    assert lines[0] == "unit,indicator,numerator,denominator,value,target,status,gap"
    rows = list(csv.DictReader(io.StringIO(out)))
    x1 = {r["indicator"]: r for r in rows if r["unit"] == "X001"}
    assert list(x1) == ["D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "ON_TIME", "BO_SUNG", "766_2.1", "766_3.3",
                        "766_4.1", "766_4.2", "766_4.3", "766_5.4", "766_TOTAL"]
    # D8: nothing returned in X001 (0 of 5 new) → Đạt; H001 holds X003's not-received dossier of 20/03:
    # 1 returned over 8 new + 1 = 9 → Chưa đạt, gap 1. BO_SUNG: no supplement request among X001's 5 new dossiers
    assert [x1["D8"][k] for k in ("numerator", "denominator", "value", "target", "status", "gap")] == \
        ["0", "5", "0", "0", "Đạt", "0"]
    h1 = {r["indicator"]: r for r in rows if r["unit"] == "H001"}
    assert [h1["D8"][k] for k in ("numerator", "denominator", "value", "status", "gap")] == \
        ["1", "9", "1", "Chưa đạt", "1"]
    assert [x1["BO_SUNG"][k] for k in ("numerator", "denominator", "value", "target", "status")] == \
        ["0", "5", "0.00", "", ""]
    assert (x1["D1"]["numerator"], x1["D1"]["denominator"], x1["D1"]["value"], x1["D1"]["status"],
            x1["D1"]["gap"]) == ("3", "5", "60.00", "Đạt", "0")
    assert (x1["D2"]["value"], x1["D2"]["status"], x1["D2"]["gap"]) == ("", "Không có dữ liệu", "0")
    assert x1["766_2.1"]["value"] == "80.00"


def test_cube_refresh_brings_the_pre_aggregate_up_to_date(wh, tmp_path):
    """`tthc cube --refresh` (for a warehouse written before the pre-aggregate existed) stores it, then builds the
    cube from it; a second call finds it up to date; a missing warehouse is a one-line error."""
    import duckdb

    from tthc.engine import days

    args = ["cube", "--warehouse", str(wh["path"]), "--units", str(wh["units"]), "--out", str(wh["cube"]),
            "--period", "2025-03", "--refresh"]
    out = _run(args)
    assert "pre-aggregate: rebuilt" in out and "cube built" in out
    assert "pre-aggregate: up to date" in _run(args)
    con = duckdb.connect(str(wh["path"]), read_only=True)
    assert days.stored_stamp(con) == days.stamp(con)
    con.close()
    assert main(["cube", "--warehouse", str(tmp_path / "none.duckdb"), "--refresh"]) == 2
    assert not (tmp_path / "none.duckdb").exists()


def test_bieu06_csv(wh):
    out = _run(["bieu06", "--period", "2025-03", "--warehouse", str(wh["path"]), "--units", str(wh["units"]),
                "--cube", str(wh["cube"]), "--format", "csv"])
    lines = out.splitlines()
    assert lines[0] == "unit,linh_vuc,col3,col4,col5,col6,col7,col8,col9,col10,col11,col12,col13"
    assert "H001,TONG,9,5,3,1,2,1,0,1,7,6,1" in lines
    for r in csv.DictReader(io.StringIO(out)):
        c = {k: int(v) for k, v in r.items() if k.startswith("col")}
        assert c["col3"] == c["col4"] + c["col5"] + c["col6"] == c["col7"] + c["col11"]


def _workbook(wh, tmp_path):
    from tthc.engine import build_cube
    from tthc.units import parse_registry

    from engine_fixtures import SMALL_UNITS

    reg = parse_registry(SMALL_UNITS, "u.yaml")
    build_cube(wh["path"], reg, periods=["2025-03"], windows=("calendar",), out_dir=wh["cube"])
    return write_bieu06_workbook(tmp_path / "b.xlsx", "H001", "2025-03", cube_dir=wh["cube"], registry=reg)


def test_workbook(wh, tmp_path):
    path = _workbook(wh, tmp_path)
    wb = load_workbook(path)
    ws = wb["Bieu06"]
    assert ws["A1"].value == "Biểu số 06"
    assert ws["A3"].value == "Kỳ báo cáo: từ ngày 01/03/2025 đến ngày 31/03/2025"
    assert ws["A4"].value.startswith("Đơn vị báo cáo: UBND huyện A")
    assert ws["A5"].value.startswith("Đơn vị nhận báo cáo:")
    assert ws["M6"].value == "Đơn vị tính: Số hồ sơ TTHC"
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert {"A7:A8", "B7:B8", "C7:F7", "G7:J7", "K7:M7"} <= merged
    assert [ws.cell(row=9, column=c).value for c in (1, 13)] == ["(1)", "(13)"]
    last = ws.max_row
    assert ws.cell(row=last, column=2).value == "TỔNG SỐ"
    assert [ws.cell(row=last, column=c).value for c in range(3, 14)] == [9, 5, 3, 1, 2, 1, 0, 1, 7, 6, 1]
    assert all(ws.cell(row=last, column=c).data_type == "n" for c in range(3, 14))
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    evil = [t for t in texts if "HYPERLINK" in t]
    assert evil and set(evil) == {"'=HYPERLINK(\"http://x\")"}  # inert: apostrophe, control char stripped
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    ws2 = wb["ChiTieu"]
    assert [ws2.cell(row=r, column=1).value for r in range(2, 9)] == ["D1", "D2", "D3", "D4", "D5", "D6", "D7"]
    assert ws2["E2"].value == pytest.approx(62.5) and ws2["G2"].value == "Đạt"


def test_workbook_without_targets_leaves_those_cells_empty(wh, tmp_path, monkeypatch):
    """A unit with no target in force on the period's end (outside every rule's applies_to, or before the first
    dated target) still gets its workbook: value and counts, with empty target, status and gap cells (found by the
    province-scale run: it stopped on int(NaN))."""
    import numpy as np

    from tthc.engine import query

    real = query.indicators

    def no_targets(*a, **k):
        return real(*a, **k).assign(target=np.nan, status=None, gap=np.nan)

    monkeypatch.setattr(query, "indicators", no_targets)
    ws2 = load_workbook(_workbook(wh, tmp_path))["ChiTieu"]
    assert ws2["A2"].value == "D1" and ws2["E2"].value == pytest.approx(62.5)
    assert [ws2.cell(row=2, column=c).value for c in (6, 7, 8)] == [None, None, None]


def test_safe_text():
    assert safe_text("+84 912") == "'+84 912"
    assert safe_text("@x") == "'@x" and safe_text("-1") == "'-1" and safe_text("a\x00b") == "ab"
    assert safe_text("Hộ tịch") == "Hộ tịch"


def test_libreoffice_round_trip(wh, tmp_path):
    lo = shutil.which("libreoffice") or shutil.which("soffice")
    if not lo:
        pytest.skip("LibreOffice not installed (/usr/bin/libreoffice): round-trip not checked")
    path = _workbook(wh, tmp_path)
    out = tmp_path / "lo"
    subprocess.run([lo, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=180)
    rows = list(csv.reader((out / "b.csv").read_text(encoding="utf-8").splitlines()))
    total = [r for r in rows if len(r) > 1 and r[1] == "TỔNG SỐ"][0]
    assert [int(v) for v in total[2:13]] == [9, 5, 3, 1, 2, 1, 0, 1, 7, 6, 1]
    assert any(r[1] == "'=HYPERLINK(\"http://x\")" for r in rows)  # shown as typed, never evaluated


def test_export_default_path_beside_the_reports(wh, tmp_path, monkeypatch):
    # outputs/<PERIOD>/<UNIT>/bieu06.xlsx: the same folder `tthc report` writes to
    monkeypatch.setattr("tthc.config.outputs_dir", lambda: tmp_path / "outputs")
    out = _run(["export", "--period", "2025-03", "--unit", "X001", "--warehouse", str(wh["path"]),
                "--units", str(wh["units"]), "--cube", str(wh["cube"])])
    assert out.strip() == str(tmp_path / "outputs" / "2025-03" / "X001" / "bieu06.xlsx")
    assert (tmp_path / "outputs" / "2025-03" / "X001" / "bieu06.xlsx").stat().st_size > 0


def test_broken_pipe_is_quiet(wh, monkeypatch):
    # `tthc indicators ... | head -1`: the reader has gone; exit quietly (141, as Unix tools do), no traceback
    r, w = os.pipe()
    os.close(r)
    stream = os.fdopen(w, "w", buffering=1)
    monkeypatch.setattr(sys, "stdout", stream)
    rc = main(["indicators", "--period", "2025-03", "--warehouse", str(wh["path"]), "--units", str(wh["units"]),
               "--cube", str(wh["cube"]), "--format", "csv"])
    assert rc == 141


def test_index766_status_query_api(wh):
    """The public query behind the 766 rows of ``tthc indicators`` (status and rounding live in the engine)."""
    from tthc.engine import query

    out = _run(["indicators", "--period", "2025-03", "--warehouse", str(wh["path"]), "--units", str(wh["units"]),
                "--cube", str(wh["cube"]), "--format", "csv"])
    rows = {(r["unit"], r["indicator"]): r for r in csv.DictReader(io.StringIO(out))}
    items, tot = query.index766_status("2025-03", "calendar", cube_dir=wh["cube"])
    x = items[(items["unit"] == "X001")].set_index("item")
    # X001, 2.1: 4 of 5 dossiers resolved on time or pending in time → 80 %, short of the 100 % of full points
    assert (x.loc["2.1", "value_pct"], x.loc["2.1", "target_pct"], x.loc["2.1", "status"]) == (80.0, 100.0, "Chưa đạt")
    for iid in ("2.1", "3.3", "4.1", "4.2", "4.3", "5.4"):
        r = rows[("X001", f"766_{iid}")]
        assert r["status"] == x.loc[iid, "status"]
        assert r["value"] == ("" if np.isnan(x.loc[iid, "value_pct"]) else f"{x.loc[iid, 'value_pct']:.2f}")
    t = tot[tot["unit"] == "X001"].iloc[0]
    assert rows[("X001", "766_TOTAL")]["value"] == f"{t['score_rounded']:.2f}"
