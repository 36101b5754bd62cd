"""Acceptance of issue #12: unseen exports — a national-schema DVCQG JSON (supplements, moved due dates) and a CSV
in a new layout read with exactly one YAML map passed by path — give `tthc indicators` and `tthc bieu06` equal to an
independent reference (plain Python over the generated records, spec §6–§8) for every unit and both windows.
Two warehouses side by side keep their own cubes."""

from __future__ import annotations

import csv
import io
import random
from contextlib import redirect_stdout
from datetime import date, datetime, timedelta

import pytest
import yaml

from tthc.cli import main

UNITS = {"units": [
    {"code": "H001", "name": "UBND huyện A", "level": "huyen", "parent": None, "valid_from": "2015-01-01"},
    {"code": "X001", "name": "UBND xã Một", "level": "xa", "parent": "H001", "valid_from": "2015-01-01"},
    {"code": "X002", "name": "UBND xã Hai", "level": "xa", "parent": "H001", "valid_from": "2015-01-01"},
    {"code": "P001", "name": "Phòng Tư pháp", "level": "phong", "parent": "H001", "valid_from": "2015-01-01"},
]}
PERIOD = "2025-Q1"
WINDOWS = {"calendar": (date(2025, 1, 1), date(2025, 3, 31)), "report": (date(2024, 12, 15), date(2025, 3, 14))}

# a new one-stop layout: English headers, status words of its own, yes/no as Y/N
MAP = {
    "name": "newsys", "format": "tabular", "header_marker": "Case ID",
    "columns": {"Case ID": "ma_ho_so", "Procedure": "ma_tthc", "Field": "ma_linh_vuc", "Office": "don_vi_xu_ly",
                "Channel": "kenh", "Received": "ngay_tiep_nhan", "Due": "ngay_hen_tra", "Finished": "ngay_ket_thuc_xu_ly",
                "State": "trang_thai", "Supplements": "so_lan_bo_sung", "Suppl. requested": "ngay_yeu_cau_bo_sung",
                "Suppl. back": "ngay_hoan_thanh_bo_sung", "Due moved": "han_da_doi", "Fee": "co_phi",
                "Paid online": "thanh_toan_truc_tuyen", "Digitised": "so_hoa_ho_so", "E-result": "ket_qua_dien_tu",
                "Rated": "co_danh_gia", "Reused": "tai_su_dung"},
    "drop": ["Applicant"],
    "values": {"trang_thai": {"open": 4, "waiting": 5, "done": 9, "returned": 10, "rejected": 3, "stopped": 8},
               "kenh": {"desk": 1, "web": 2, "post": 3},
               "boolean": {"Y": True, "N": False, "": False}},
}
STATE_WORD = {4: "open", 5: "waiting", 9: "done", 10: "returned", 3: "rejected", 8: "stopped"}
CHANNEL_WORD = {1: "desk", 2: "web", 3: "post"}


def _records(seed=12, n=160):
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        recv = date(2024, 11, 20) + timedelta(days=rnd.randint(0, 150))
        due = recv + timedelta(days=rnd.randint(2, 25))
        r = dict(code=f"E{i:04d}", unit=rnd.choice(["X001", "X002", "P001", "H001"]), recv=recv, due=due,
                 kenh=rnd.choice([1, 2, 2, 3]), field=rnd.choice(["HT", "DD", "CT"]), nbs=0, req=None, back=None,
                 moved=False, co_phi=rnd.random() < 0.4, tt=rnd.choice([0, 1, 2]), so_hoa=rnd.random() < 0.6,
                 kq=rnd.random() < 0.5, dg=rnd.random() < 0.3, tsd=rnd.random() < 0.3)
        end = recv + timedelta(days=rnd.randint(0, 35)) if rnd.random() < 0.7 else None
        r["nbs"] = rnd.choice([0, 0, 0, 1, 1, 2])
        if r["nbs"]:
            r["req"] = recv + timedelta(days=rnd.randint(0, 5))
            if rnd.random() < 0.75:
                r["back"] = r["req"] + timedelta(days=rnd.randint(0, 8))
                if end is not None and end < r["back"]:
                    end = r["back"] + timedelta(days=rnd.randint(0, 3))
            if r["nbs"] == 1 and r["back"] is not None and rnd.random() < 0.5:
                r["moved"] = True  # the system moved the promised date by the pause: NgayHenTra is the new date
                r["due_before"] = r["due"]
                r["due"] = r["due"] + (r["back"] - r["req"])
        r["end"] = end
        r["status"] = rnd.choice([9, 10, 10, 8]) if end is not None else (5 if r["nbs"] and r["back"] is None else 4)
        if rnd.random() < 0.06:  # not received (returned at intake): counts only in D8
            r.update(status=3, nbs=0, req=None, back=None, moved=False, end=recv)
        out.append(r)
    return out


# ---------------------------------------------------------------- writers
def _dt(d: date | None, fmt="%Y%m%d%H%M%S", hour=9) -> str | None:
    return None if d is None else datetime(d.year, d.month, d.day, hour).strftime(fmt)


def _json_obj(r) -> dict:
    items = []
    if r["nbs"]:
        items.append({"NgayBoSung": _dt(r["req"]), "NgayTiepNhanBoSung": _dt(r["back"]),
                      "NgayHenTraTruoc": _dt(r.get("due_before", r["due"]), hour=17),
                      "NgayHenTraMoi": _dt(r["due"], hour=17) if r["moved"] else None,
                      "TrangThaiBoSung": 2 if r["back"] else 1})
        if r["nbs"] == 2:
            items.append({"NgayBoSung": _dt(r["req"] + timedelta(days=1)), "NgayTiepNhanBoSung": None,
                          "NgayHenTraTruoc": _dt(r["due"], hour=17), "NgayHenTraMoi": "", "TrangThaiBoSung": 1})
    return {"MaHoSo": r["code"], "MaTTHC": "1.0001", "MaLinhVuc": r["field"], "TenLinhVuc": r["field"],
            "DonViXuLy": r["unit"], "KenhThucHien": r["kenh"], "NgayTiepNhan": _dt(r["recv"], hour=8),
            "NgayHenTra": _dt(r["due"], hour=17), "NgayKetThucXuLy": _dt(r["end"], hour=15),
            "TrangThaiHoSo": r["status"], "DuocThanhToanTrucTuyen": r["tt"], "ChuHoSo": "Nguyễn Văn A",
            "TaiLieuNop": [{"DuocSoHoa": r["so_hoa"], "DuocTaiSuDung": r["tsd"], "DuocLayTuKhoDMQG": False}],
            "DanhSachGiayToKetQua": [{"DuongDanTepTinKetQua": "/kq.pdf" if r["kq"] else ""}],
            "DanhSachLePhi": [{"Gia": 50000 if r["co_phi"] else 0}],
            "DanhGiaHaiLong": {"MucDo": 2} if r["dg"] else None, "DanhSachHoSoBoSung": items}


def _csv_row(r) -> list:
    yn = lambda b: "Y" if b else "N"  # noqa: E731
    f = "%d/%m/%Y %H:%M"
    return [r["code"], "1.0001", r["field"] or "", r["unit"], CHANNEL_WORD[r["kenh"]], _dt(r["recv"], f, 8),
            _dt(r["due"], f, 17), _dt(r["end"], f, 15) or "", STATE_WORD[r["status"]], str(r["nbs"]),
            _dt(r["req"], f) or "", _dt(r["back"], f) or "", yn(r["moved"]), yn(r["co_phi"]), str(r["tt"]),
            yn(r["so_hoa"]), yn(r["kq"]), yn(r["dg"]), yn(r["tsd"]), "Trần Thị B", "ghi chú"]


# ---------------------------------------------------------------- the independent reference (spec §6–§8)
def _classify(r, a, b):
    """None when not counted in [a, b]; else (new, resolved, class)."""
    end = r["end"]
    if r["status"] == 3 or r["recv"] > b or (end is not None and end < a):
        return None
    resolved = end is not None and end <= b
    due = r["due"]
    if r["nbs"] == 1 and not r["moved"] and r["req"] is not None:
        stop = r["back"] or end or b  # a pause never completed runs to the end of processing, or to b
        due = due + timedelta(days=max(0, (stop - r["req"]).days))
    if r["nbs"] > 1:
        cls = "qua_han"
    elif resolved:
        cls = "truoc_han" if end < due else "dung_han" if end == due else "qua_han"
    else:
        cls = "trong_han" if b <= due else "qua_han"
    return a <= r["recv"], resolved, cls


def _reference(records, window):
    a, b = WINDOWS[window]
    children = {"H001": ["H001", "X001", "X002", "P001"]}
    out_b06, out_ind = {}, {}
    for unit in ("H001", "X001", "X002", "P001"):
        own = children.get(unit, [unit])
        rows = [(r, c) for r in records if r["unit"] in own and (c := _classify(r, a, b)) is not None]
        if not rows:
            continue
        new = [r for r, c in rows if c[0]]
        res = [(r, c) for r, c in rows if c[1]]
        pend = [(r, c) for r, c in rows if not c[1]]
        k = lambda xs, cls: sum(1 for _, c in xs if c[2] == cls)  # noqa: E731
        out_b06[unit] = dict(col3=len(rows), col4=sum(r["kenh"] == 2 for r in new),
                             col5=sum(r["kenh"] != 2 for r in new), col6=len(rows) - len(new), col7=len(res),
                             col8=k(res, "truoc_han"), col9=k(res, "dung_han"), col10=k(res, "qua_han"),
                             col11=len(pend), col12=k(pend, "trong_han"), col13=k(pend, "qua_han"))
        out_ind[unit] = {
            "D1": (sum(r["kenh"] == 2 for r in new), len(new)),
            "D2": (sum(r["co_phi"] and r["tt"] in (1, 2) for r in new), sum(r["co_phi"] for r in new)),
            "D3": (sum(r["so_hoa"] for r in new), len(new)),
            "D4": (sum(r["kq"] for r, _ in res), len(res)),
            "D5": (k(res, "qua_han") + k(pend, "qua_han"), len(rows)),
            "D6": (sum(r["dg"] for r, _ in res), len(res)),
            "D7": (sum(r["tsd"] for r in new), len(new)),
            "ON_TIME": (k(res, "truoc_han") + k(res, "dung_han"), len(res)),
            "BO_SUNG": (sum(r["nbs"] >= 1 for r in new), len(new)),
            "D8": (sum(r["status"] == 8 for r, _ in res) + len(rej := [r for r in records if r["unit"] in own
                                                                   and r["status"] == 3 and a <= r["recv"] <= b]),
                   len(new) + len(rej)),
        }
    return out_b06, out_ind


def _run(args) -> str:
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(args) == 0
    return buf.getvalue()


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e12")
    units = tmp / "units.yaml"
    units.write_text(yaml.safe_dump(UNITS, allow_unicode=True), encoding="utf-8")
    recs = _records()
    js, tab = recs[0::2], recs[1::2]
    import json

    (tmp / "quocgia.json").write_text(json.dumps({"meta": {"nguon": "DVCQG"}, "data": [_json_obj(r) for r in js]},
                                                 ensure_ascii=False), encoding="utf-8")
    with (tmp / "newsys.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Báo cáo hồ sơ"])
        w.writerow([*MAP["columns"], "Applicant", "Notes"])
        for r in tab:
            w.writerow(_csv_row(r))
    mp = tmp / "maps" / "newsys.yaml"
    mp.parent.mkdir()
    mp.write_text(yaml.safe_dump(MAP, allow_unicode=True), encoding="utf-8")
    wh = tmp / "a" / "warehouse.duckdb"
    common = ["--warehouse", str(wh), "--units", str(units)]
    out_json = _run(["ingest", str(tmp / "quocgia.json"), *common])
    out_csv = _run(["ingest", str(tmp / "newsys.csv"), "--source", str(mp), *common])
    return dict(tmp=tmp, units=units, wh=wh, recs=recs, out_json=out_json, out_csv=out_csv, common=common)


def test_ingest_summaries(setup):
    assert f"read {len(setup['recs']) // 2}, stored {len(setup['recs']) // 2}" in setup["out_json"]
    assert "quarantined 0" in setup["out_csv"] and "columns mapped to nothing: Notes" in setup["out_csv"]
    assert "Trần" not in setup["out_csv"] and "Applicant" not in setup["out_csv"]


@pytest.mark.parametrize("window", list(WINDOWS))
def test_indicators_and_bieu06_equal_the_reference(setup, window):
    ref_b06, ref_ind = _reference(setup["recs"], window)
    args = ["--period", PERIOD, "--window", window, *setup["common"], "--format", "csv"]
    b06 = {r["unit"]: r for r in csv.DictReader(io.StringIO(_run(["bieu06", *args]))) if r["linh_vuc"] == "TONG"}
    assert set(b06) == set(ref_b06)
    for unit, want in ref_b06.items():
        assert {k: int(v) for k, v in b06[unit].items() if k.startswith("col")} == want, unit
    ind = list(csv.DictReader(io.StringIO(_run(["indicators", *args]))))
    got = {(r["unit"], r["indicator"]): (int(r["numerator"] or 0), int(r["denominator"] or 0)) for r in ind
           if r["indicator"] in ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "ON_TIME", "BO_SUNG")}
    for unit, want in ref_ind.items():
        for i, nd in want.items():
            assert got[(unit, i)] == nd, (unit, i)
    # the generated data exercises every case: moved dates, open pauses, two supplements
    assert sum(r["moved"] for r in setup["recs"]) >= 10 and sum(r["nbs"] == 2 for r in setup["recs"]) >= 10
    assert sum(r["status"] == 3 for r in setup["recs"]) >= 5 and sum(r["status"] == 8 for r in setup["recs"]) >= 5
    assert any(nd[0] > 0 for u in ref_ind.values() for i, nd in u.items() if i == "D8")


def test_two_warehouses_never_share_a_cube(setup):
    tmp = setup["tmp"]
    wh_b = tmp / "b" / "warehouse.duckdb"
    common_b = ["--warehouse", str(wh_b), "--units", str(setup["units"])]
    _run(["ingest", str(tmp / "quocgia.json"), *common_b])  # B holds only half of A's dossiers
    args = ["--period", PERIOD, "--format", "csv"]
    a = _run(["bieu06", *args, *setup["common"]])
    b = _run(["bieu06", *args, *common_b])
    assert a != b
    assert (tmp / "a" / "warehouse.cube" / "meta.json").is_file()
    assert (tmp / "b" / "warehouse.cube" / "meta.json").is_file()
    assert _run(["bieu06", *args, *setup["common"]]) == a  # A's figures again, not B's
