"""Hand-over of pending dossiers at the 01/07/2025 reform (spec §2, Decision "successors"): every counter path
(reference join, event prefix sums, per-dossier classification) agrees, and no counted dossier vanishes."""

from __future__ import annotations

from datetime import date

import pytest

from tthc.engine import build_cube
from tthc.engine.classify import classify
from tthc.engine.targets import Rules
from tthc.errors import ConfigError
from tthc.units import parse_registry

from engine_fixtures import make_con
from test_events import assert_same_cube

U = lambda code, level, parent, vf, vt=None, succ=None: {  # noqa: E731
    "code": code, "name": f"Đơn vị {code}", "level": level, "parent": parent, "valid_from": vf, "valid_to": vt,
    **({"successors": succ} if succ else {})}

REFORM = {"units": [
    U("H001", "huyen", None, "2015-01-01", "2025-06-30", ["T001"]),
    U("P001", "phong", "H001", "2015-01-01", "2025-06-30", ["S001", "X101"]),   # one-to-many: first listed
    U("X001", "xa", "H001", "2015-01-01", "2025-06-30", ["X101"]),              # many-to-one
    U("X002", "xa", "H001", "2015-01-01", "2025-06-30", ["X101"]),
    U("T001", "tinh", None, "2025-07-01"),
    U("S001", "so", "T001", "2025-07-01"),
    U("X101", "xa", "T001", "2025-07-01"),
]}

ROWS = [
    # A: X001, pending at the reform, due 10/07 → X101 from 01/07, overdue at 30/09
    dict(ma_don_vi="X001", ngay_tiep_nhan="2025-06-10", ngay_hen_tra="2025-07-10", trang_thai=4),
    # B: X002, pending at the reform, resolved 03/07 before its due date 05/07 → X101, trước hạn
    dict(ma_don_vi="X002", ngay_tiep_nhan="2025-06-20", ngay_hen_tra="2025-07-05", trang_thai=10,
         ngay_ket_thuc_xu_ly="2025-07-03"),
    # C: X001, resolved before the reform → stays with X001
    dict(ma_don_vi="X001", ngay_tiep_nhan="2025-06-02", ngay_hen_tra="2025-06-30", trang_thai=10,
         ngay_ket_thuc_xu_ly="2025-06-25"),
    # D: X101's own dossier, pending, overdue at 30/09
    dict(ma_don_vi="X101", ngay_tiep_nhan="2025-07-15", ngay_hen_tra="2025-08-01", trang_thai=4, kenh=2),
    # E, F: P001 pending at the reform → S001 (first listed successor) unless the mapping says X101
    dict(ma_don_vi="P001", ngay_tiep_nhan="2025-06-25", ngay_hen_tra="2025-08-01", trang_thai=4),
    dict(ma_don_vi="P001", ngay_tiep_nhan="2025-06-26", ngay_hen_tra="2025-08-01", trang_thai=4),
    # G: X001, received and ended on the closing day → stays with X001
    dict(ma_don_vi="X001", ngay_tiep_nhan="2025-06-30", ngay_hen_tra="2025-07-02", trang_thai=10,
         ngay_ket_thuc_xu_ly="2025-06-30"),
]
PERIODS = ["2025-Q2", "2025-Q3", "2025", "2025-H1", "2025-H2"]


def _registry(tmp_path, mapping: str | None = None, enabled: bool = True):
    doc = {**REFORM, "handover": {"pending_to_successor": enabled}}
    if mapping is not None:
        (tmp_path / "map.csv").write_text(mapping, encoding="utf-8")
        doc["handover"]["mapping"] = "map.csv"
    return parse_registry(doc, tmp_path / "units.yaml")


def _cubes(con, reg, calendar):
    kw = dict(periods=PERIODS, windows=("calendar", "report"), calendar=calendar, rules=Rules(), write=False,
              stamp="t")
    ev, ref = build_cube(con, reg, **kw), build_cube(con, reg, method="reference", **kw)
    assert_same_cube(ev, ref)
    return ev


def _c(cube, unit, period, col, window="calendar"):
    c = cube["counts"]
    r = c[(c["unit"] == unit) & (c["period"] == period) & (c["window"] == window)]
    return int(r[col].iloc[0]) if len(r) else 0


def test_many_to_one_and_one_to_many(tmp_path, calendar):
    reg = _registry(tmp_path)
    con = make_con(ROWS)
    cube = _cubes(con, reg, calendar)
    # before the reform the dossiers are at their own units
    assert (_c(cube, "X001", "2025-Q2", "n_tong"), _c(cube, "X001", "2025-Q2", "n_dang_gq")) == (3, 1)
    assert (_c(cube, "X002", "2025-Q2", "n_dang_gq"), _c(cube, "P001", "2025-Q2", "n_dang_gq")) == (1, 2)
    # from 01/07: A and B carried over at X101 (Biểu 06 col 6), D new; E and F at S001 (first successor)
    assert _c(cube, "X101", "2025-Q3", "n_ky_truoc") == 2
    assert _c(cube, "X101", "2025-Q3", "n_moi") == 1
    assert _c(cube, "X101", "2025-Q3", "n_truoc_han") == 1          # B
    assert _c(cube, "X101", "2025-Q3", "n_qua_han_dang") == 2       # A (due 10/07) and D (due 01/08)
    assert _c(cube, "S001", "2025-Q3", "n_ky_truoc") == 2
    assert _c(cube, "P001", "2025-Q3", "n_tong") == 0 and _c(cube, "X001", "2025-Q3", "n_tong") == 0
    b = cube["bieu06"]
    row = b[(b["unit"] == "X101") & (b["period"] == "2025-Q3") & (b["window"] == "calendar")
            & (b["ma_linh_vuc"] == "TONG")].iloc[0]
    assert (row["col6"], row["col3"], row["col3"]) == (2, 3, row["col7"] + row["col11"])
    # the province rolls up its successors: 4 carried over (A, B, E, F) + 1 new
    assert (_c(cube, "T001", "2025-Q3", "n_ky_truoc"), _c(cube, "T001", "2025-Q3", "n_tong")) == (4, 5)
    # per-dossier classification agrees, and reads the predecessors' dossiers for X101
    df = classify(con, "2025-Q3", calendar=calendar, rules=Rules(), unit="X101", registry=reg)
    assert sorted(df["ma_ho_so"]) == ["HS0000", "HS0001", "HS0003"]
    assert sorted(df["ma_don_vi_goc"]) == ["X001", "X002", "X101"] and set(df["ma_don_vi"]) == {"X101"}
    assert list(df.set_index("ma_ho_so").loc[["HS0000", "HS0001"], "nhom"]) == ["ky_truoc", "ky_truoc"]


def test_no_dossier_vanishes_at_the_reform(tmp_path, calendar):
    reg = _registry(tmp_path)
    con = make_con(ROWS)
    cube = _cubes(con, reg, calendar)
    roots_before = [u.code for u in reg if not u.parent and u.overlaps(*_bounds("2025-Q2"))]
    roots_after = [u.code for u in reg if not u.parent and u.overlaps(*_bounds("2025-Q3"))]
    pending_q2 = sum(_c(cube, u, "2025-Q2", "n_dang_gq") for u in roots_before)
    carried_q3 = sum(_c(cube, u, "2025-Q3", "n_ky_truoc") for u in roots_after)
    assert pending_q2 == carried_q3 == 4
    h1 = sum(_c(cube, u, "2025-H1", "n_dang_gq") for u in ("H001",))
    assert h1 == sum(_c(cube, u, "2025-H2", "n_ky_truoc") for u in ("T001",)) == 4
    # switched off, the pending dossiers stay with the closed units: they vanish from the units valid after
    off = _cubes(make_con(ROWS), _registry(tmp_path, enabled=False), calendar)
    assert sum(_c(off, u, "2025-Q3", "n_ky_truoc") for u in roots_after) == 0


def test_unit_valid_in_part_of_a_period(tmp_path, calendar):
    """The year 2025 spans the reform: X001 reports what it resolved itself, X101 what it holds at 31/12 (the
    handed-over dossiers count as received in the period there), every dossier exactly once."""
    reg = _registry(tmp_path)
    cube = _cubes(make_con(ROWS), reg, calendar)
    assert _c(cube, "X001", "2025", "n_tong") == 2                  # C, G
    assert _c(cube, "X101", "2025", "n_tong") == 3                  # A, B, D
    assert _c(cube, "S001", "2025", "n_tong") == 2                  # E, F
    assert _c(cube, "X002", "2025", "n_tong") == 0 and _c(cube, "P001", "2025", "n_tong") == 0
    assert _c(cube, "H001", "2025", "n_tong") + _c(cube, "T001", "2025", "n_tong") == len(ROWS)
    # report window of 2025-Q3 (15/06–14/09) spans the reform too: C (ended 25/06) stays with X001
    assert _c(cube, "X001", "2025-Q3", "n_tong", "report") == 2      # C, G
    assert _c(cube, "X101", "2025-Q3", "n_tong", "report") == 3
    units_2025 = set(cube["counts"].query("period == '2025' and window == 'calendar'")["unit"])
    assert {"X001", "X101", "H001", "T001"} <= units_2025


def test_dossier_level_mapping(tmp_path, calendar):
    reg = _registry(tmp_path, mapping="ma_ho_so,successor\nHS0005,X101\n")
    con = make_con(ROWS)
    cube = _cubes(con, reg, calendar)
    assert _c(cube, "X101", "2025-Q3", "n_ky_truoc") == 3           # A, B and the mapped F
    assert _c(cube, "S001", "2025-Q3", "n_ky_truoc") == 1           # E only
    df = classify(con, "2025-Q3", calendar=calendar, rules=Rules(), unit="X101", registry=reg)
    assert "HS0005" in set(df["ma_ho_so"])


def test_chain_of_successors(tmp_path, calendar):
    """A successor that itself closes passes the still-pending dossier on."""
    doc = {"units": [U("X001", "xa", None, "2015-01-01", "2025-06-30", ["X101"]),
                     U("X101", "xa", None, "2025-07-01", "2025-09-30", ["X201"]),
                     U("X201", "xa", None, "2025-10-01")]}
    reg = parse_registry(doc, tmp_path / "u.yaml")
    rows = [dict(ma_don_vi="X001", ngay_tiep_nhan="2025-06-10", ngay_hen_tra="2025-12-10", trang_thai=4),
            dict(ma_don_vi="X001", ngay_tiep_nhan="2025-06-11", ngay_hen_tra="2025-12-10", trang_thai=10,
                 ngay_ket_thuc_xu_ly="2025-08-01")]
    kw = dict(periods=["2025-Q3", "2025-Q4"], windows=("calendar",), calendar=calendar, rules=Rules(),
              write=False, stamp="t")
    con = make_con(rows)
    ev, ref = build_cube(con, reg, **kw), build_cube(con, reg, method="reference", **kw)
    assert_same_cube(ev, ref)
    assert (_c(ev, "X101", "2025-Q3", "n_ky_truoc"), _c(ev, "X201", "2025-Q4", "n_ky_truoc")) == (2, 1)


@pytest.mark.parametrize("text, msg", [
    ("ma_ho_so,successor\nHS0001,Z999\n", "row 2, column successor"),
    ("ma_ho_so\nHS0001\n", "missing column"),
    ("ma_ho_so,successor\nHS0001,X101\nHS0001,X101\n", "row 3, column ma_ho_so"),
])
def test_bad_mapping_is_one_line(tmp_path, text, msg):
    reg = _registry(tmp_path, mapping=text)
    with pytest.raises(ConfigError, match=msg) as e:
        reg.mapping_frame()
    assert "\n" not in str(e.value) and "map.csv" in str(e.value)


def _bounds(code):
    from tthc.periods import parse_period

    return parse_period(code).bounds("calendar")


def test_sample_whole_registry_nothing_vanishes(registry, calendar):
    """On the synthetic sample (the real registry, 6,000 dossiers): every unit's counted dossiers, summed over the
    whole registry, are the same on both sides of 30/06/2025 — pending at the end of 2025-Q2 (and of June) equals
    carried over into 2025-Q3 (and July), and the year 2025 counts each dossier once."""
    import duckdb

    from tthc.sample import generate_frame
    from tthc.schema import DOSSIER_COLUMNS, META_COLUMNS, dossiers_ddl

    df = generate_frame(6000, seed=3, units=registry, calendar=calendar)
    con = duckdb.connect(":memory:")
    con.execute(dossiers_ddl())
    con.register("df", df)
    cols = ", ".join([f"CAST({c} AS {t}) AS {c}" for c, t in DOSSIER_COLUMNS.items()]
                     + [f"CAST(NULL AS {t}) AS {c}" for c, t in META_COLUMNS.items()])
    con.execute(f"INSERT INTO dossiers SELECT {cols} FROM df")
    counted = con.execute("SELECT count(*) FROM dossiers WHERE trang_thai NOT IN (1, 3)").fetchall()[0][0]
    kw = dict(periods=["2025-Q3", "2025-07", "2025"], windows=("calendar",), calendar=calendar, rules=Rules(),
              write=False, stamp="t")
    ev, ref = build_cube(con, registry, **kw), build_cube(con, registry, method="reference", **kw)
    assert_same_cube(ev, ref)
    c = ev["counts"]
    roots = {u.code for u in registry if not u.parent}

    def total(period, col):
        x = c[(c["period"] == period) & c["unit"].isin(roots)]
        return int(x[col].sum())

    assert total("2025-Q2", "n_dang_gq") == total("2025-Q3", "n_ky_truoc") > 20
    assert total("2025-06", "n_dang_gq") == total("2025-07", "n_ky_truoc")
    # dossier by dossier, every unit: what is pending at 30/06 is carried over from 01/07, each at a unit valid then
    q2 = classify(con, "2025-Q2", calendar=calendar, rules=Rules(), registry=registry)
    q3 = classify(con, "2025-Q3", calendar=calendar, rules=Rules(), registry=registry)
    pend = set(q2.loc[q2["trang_thai_gq"] == "dang_giai_quyet", "ma_ho_so"])
    carried = q3[q3["nhom"] == "ky_truoc"]
    assert pend == set(carried["ma_ho_so"])
    assert all(registry.get(u).valid_from <= date(2025, 7, 1) and registry.get(u).valid_to is None
               for u in set(carried["ma_don_vi"]))
    per_unit = c[(c["period"] == "2025-Q3")].set_index("unit")["n_ky_truoc"]
    leaves = {u for u in set(carried["ma_don_vi"]) if not registry.children(u)}  # T001 rolls up its subtree
    assert {u: n for u, n in carried.groupby("ma_don_vi").size().items() if u in leaves} == {
        u: int(per_unit[u]) for u in leaves}
    assert len(leaves) >= 5
    # the year 2025 (spanning the reform): each counted dossier received up to 31/12/2025 exactly once
    in_2025 = con.execute("""SELECT count(*) FROM dossiers WHERE trang_thai NOT IN (1, 3)
        AND CAST(ngay_tiep_nhan AS DATE) <= DATE '2025-12-31'
        AND coalesce(CAST(ngay_ket_thuc_xu_ly AS DATE), DATE '9999-12-31') >= DATE '2025-01-01'""").fetchall()[0][0]
    assert total("2025", "n_tong") == in_2025 <= counted
    assert _c(ev, "X101", "2025-Q3", "n_ky_truoc") > 0


def test_successor_trend_and_change_use_predecessors(tmp_path, calendar):
    """Before X101 began (01/07/2025) its trend shows the aggregate of X001 + X002, flagged "tiền thân"; its
    change against 2025-Q2 compares with that aggregate (D1: 0 of 4 online in Q2, 1 of 1 in Q3)."""
    from tthc.engine import query as q

    reg = _registry(tmp_path)
    assert reg.continuity_predecessors("X101") == ["X001", "X002"]       # P001 (an office) is not a commune
    assert reg.continuity_predecessors("T001") == ["H001"]
    out = tmp_path / "cube"
    build_cube(make_con(ROWS), reg, periods=["2025-Q3"], windows=("calendar",), calendar=calendar, rules=Rules(),
               out_dir=out, stamp="t")
    tr = q.trend("X101", "2025-Q3", cube_dir=out)
    d1 = tr[tr["indicator"] == "D1"].set_index("month")
    assert d1.loc["2025-06", "tien_than"] and d1.loc["2025-06", "value"] == 0.0      # B, C, G received in June
    assert not d1.loc["2025-07", "tien_than"] and d1.loc["2025-07", "value"] == 100.0  # D online
    assert not d1.loc["2024-12", "tien_than"]                                    # nothing counted then
    ind = q.indicators("2025-Q3", units="X101", cube_dir=out).set_index("indicator")
    assert (ind.loc["D1", "prev_value"], ind.loc["D1", "change"]) == (0.0, 100.0)


def test_reception_regardless_of_boundary(calendar):
    from tthc.engine import query as q

    rows = [dict(ma_don_vi="X101", don_vi_tiep_nhan="X102", ngay_tiep_nhan="2025-08-04"),
            dict(ma_don_vi="X101", don_vi_tiep_nhan="X102", ngay_tiep_nhan="2025-08-05"),
            dict(ma_don_vi="S001", don_vi_tiep_nhan="X101", ngay_tiep_nhan="2025-08-06"),
            dict(ma_don_vi="X101", don_vi_tiep_nhan="X101", ngay_tiep_nhan="2025-08-06"),
            dict(ma_don_vi="S001", don_vi_tiep_nhan="X101", ngay_tiep_nhan="2025-08-06", trang_thai=3),  # not received
            dict(ma_don_vi="S001", don_vi_tiep_nhan="X101", ngay_tiep_nhan="2025-06-06")]               # other period
    flows = q.reception(make_con(rows), ["X101"], "2025-Q3")
    assert flows.to_dict("records") == [{"tiep_nhan": "X102", "xu_ly": "X101", "so_ho_so": 2},
                                        {"tiep_nhan": "X101", "xu_ly": "S001", "so_ho_so": 1}]
    assert q.reception_counts(flows, "X101") == {"for_others": 1, "by_others": 2}


def test_reception_matrix_of_largest_flows():
    import pandas as pd

    from tthc.engine.query import reception_matrix

    flows = pd.DataFrame({"tiep_nhan": ["T001", "X107", "X102", "X107"], "xu_ly": ["S001", "S001", "S001", "X101"],
                          "so_ho_so": [305, 52, 42, 3]})
    m = reception_matrix(flows, top=2)
    assert list(m.index) == ["T001", "X107"] and list(m.columns) == ["S001", "X101"]
    assert m.loc["X107"].tolist() == [52, 3] and m.loc["T001"].tolist() == [305, 0]
