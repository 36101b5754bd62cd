"""``tthc portal import`` and ``tthc reconcile`` (spec §9): both response shapes, null kept, unmatched units kept,
idempotent re-import, rule scores on the portal's own figures, and a round trip from the office's own dossiers."""

from __future__ import annotations

import csv
import io
import json
import math
from contextlib import redirect_stdout

import pytest
import yaml

from engine_fixtures import make_con
from tthc.cli import main
from tthc.engine.index766 import load_rules
from tthc.errors import InputError
from tthc.portal.figures import detect_group, read_file
from tthc.portal.reconcile import CSV_COLUMNS, fmt_csv, reconcile, rule_score

UNITS = {"units": [
    {"code": "T01", "name": "UBND tỉnh", "level": "tinh", "parent": None, "valid_from": "2015-01-01",
     "valid_to": None, "ma_dvcqg": "G22"},
    {"code": "X101", "name": "UBND xã Một", "level": "xa", "parent": "T01", "valid_from": "2025-07-01",
     "valid_to": None, "ma_dvcqg": "G22.1.01"},
    {"code": "X102", "name": "UBND xã Hai", "level": "xa", "parent": "T01", "valid_from": "2025-07-01",
     "valid_to": None, "ma_dvcqg": "G22.1.02"},
]}
FEB = dict(ma_don_vi="X101", ngay_tiep_nhan="2026-02-03", ngay_hen_tra="2026-02-10")
ROWS = [
    dict(**FEB, ma_ho_so="A1", trang_thai=10, ngay_ket_thuc_xu_ly="2026-02-05", dong_bo_dvcqg=True,
         ket_qua_dien_tu=True, so_hoa_ho_so=True, tai_su_dung=True, muc_hai_long=3, co_danh_gia=True, co_phi=True,
         thanh_toan_truc_tuyen=1, kenh=2),
    dict(**FEB, ma_ho_so="A2", trang_thai=10, ngay_ket_thuc_xu_ly="2026-02-12", dong_bo_dvcqg=True,
         so_hoa_ho_so=True, co_phi=True, kenh=1),
    dict(**FEB, ma_ho_so="A3", trang_thai=4, so_hoa_ho_so=True, kenh=None, ngay_hen_tra_override=None),
    dict(ma_don_vi="X101", ma_ho_so="A4", ngay_tiep_nhan="2026-02-20", ngay_hen_tra="2026-03-10", trang_thai=4,
         dong_bo_dvcqg=True, muc_hai_long=2, co_danh_gia=True),
    dict(ma_don_vi="X102", ma_ho_so="B1", ngay_tiep_nhan="2026-02-04", ngay_hen_tra="2026-02-06", trang_thai=10,
         ngay_ket_thuc_xu_ly="2026-02-06", dong_bo_dvcqg=True, ket_qua_dien_tu=True),
]
for r in ROWS:
    r.pop("ngay_hen_tra_override", None)


def shape_a(units):
    return {"success": True, "data": {"overview": {"totalScore": 50.0}, "evaluation": units}}


def metric(code, n, d, score, mx, ratio=None, name=None):
    return {"code": code, "name": name or code, "numerator": n, "denominator": d, "ratio": ratio, "score": score,
            "maxScore": mx}


@pytest.fixture
def wh(tmp_path):
    reg = tmp_path / "units.yaml"
    reg.write_text(yaml.safe_dump(UNITS, allow_unicode=True), encoding="utf-8")
    path = tmp_path / "wh.duckdb"
    make_con(ROWS, path).close()
    return dict(units=str(reg), warehouse=str(path), dir=tmp_path)


def write(dirpath, name, doc):
    p = dirpath / name
    p.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return str(p)


def run_cli(*argv):
    buf = io.StringIO()
    with redirect_stdout(buf):
        rc = main(list(argv))
    return rc, buf.getvalue()


def reconcile_csv(wh, period="2026-02"):
    rc, out = run_cli("reconcile", "--period", period, "--format", "csv", "--units", wh["units"], "--warehouse",
                      wh["warehouse"])
    assert rc == 0, out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert out.splitlines()[0] == ",".join(CSV_COLUMNS)
    return {(r["unit"], r["metric"]): r for r in rows}


# -- reading -----------------------------------------------------------------------------------------------------
def test_shape_a_rows_keep_null(tmp_path):
    f = write(tmp_path, "a.json", shape_a([
        {"departmentId": "1001", "departmentName": "UBND xã Một", "departmentCode": "G22.1.01", "totalScore": 20,
         "totalMaxScore": 40, "metrics": [metric("DOSSIER_SYNC", 97, 100, 5.82, 6, 97.0),
                                          metric("PUBLISH_ON_TIME", None, None, None, 6)]},
        {"departmentId": "2002", "departmentName": "Sở X", "metrics": [metric("DOSSIER_SYNC", "4", "5", 4.8, 6)]},
    ]))
    shape, rows, sha = read_file(f)
    assert shape == "A" and len(rows) == 3 and len(sha) == 64
    r0 = rows[0]
    assert (r0["portal_code"], r0["metric"], r0["numerator"], r0["denominator"], r0["score"], r0["grp"]) == \
        ("G22.1.01", "DOSSIER_SYNC", 97.0, 100.0, 5.82, "transparency")
    assert rows[1]["numerator"] is None and rows[1]["score"] is None      # null stays null
    assert rows[2]["portal_code"] is None and rows[2]["portal_id"] == "2002" and rows[2]["numerator"] == 4.0


def test_shape_b_nested_tree(tmp_path):
    f = write(tmp_path, "tree.json", {"data": {"parent": {"departmentCode": "G22", "totalReceived": 3, "totalOnTime": 2,
                                                         "totalOverdue": 1, "score": 13.33, "maxScore": 20},
                                              "children": [{"departmentCode": "G22.1", "totalReceived": 3,
                                                            "totalOnTime": 2, "totalOverdue": 1, "score": 13.33,
                                                            "maxScore": 20, "children": [
                                                  {"departmentCode": "G22.1.01", "totalReceived": 1,
                                                   "totalOnTime": 1, "totalOverdue": 0, "score": 20,
                                                   "maxScore": 20}]}]}})
    shape, rows, _ = read_file(f)
    assert shape == "B" and [r["portal_code"] for r in rows] == ["G22", "G22.1", "G22.1.01"]
    assert rows[2]["numerator"] == 1 and rows[2]["denominator"] == 1 and rows[2]["overdue"] == 0


def test_shape_b_groups_detected():
    assert detect_group({"departmentCode": "x", "totalReceived": 3, "totalOnTime": 2}) == "PROGRESS"
    assert detect_group({"departmentCode": "x", "totalDossierFinancialObligation": 3}) == "PAYMENT"
    assert detect_group({"departmentCode": "x", "ratio": 80, "totalScore": 9, "totalMaxScore": 12}) == "ONLINE"


@pytest.mark.parametrize("doc, needle", [
    ("not json", "not valid JSON"),
    ({"data": {"something": []}}, "neither data.evaluation"),
    ({"data": {"evaluation": [{"departmentName": "x", "metrics": []}]}}, "data.evaluation[0]: neither"),
    ({"data": {"evaluation": [{"departmentCode": "G", "metrics": [{"code": "DOSSIER_SYNC", "numerator": "abc"}]}]}},
     "data.evaluation[0].metrics[0]: field 'numerator'"),
    ({"data": {"children": [{"departmentCode": "G", "foo": 1}]}}, "cannot tell the group"),
    ([1, 2], "expected a JSON object"),
])
def test_malformed_one_line(tmp_path, doc, needle):
    p = tmp_path / "bad.json"
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_file(p)
    assert str(p) in str(e.value) and needle in str(e.value) and "\n" not in str(e.value)


# -- rule scores on the portal's figures -------------------------------------------------------------------------
def test_rule_score_per_metric():
    cfg = load_rules().get("2026 portal")
    rs = lambda **kw: rule_score(cfg, {"numerator": None, "denominator": None, **kw})  # noqa: E731
    assert rs(metric="DOSSIER_SYNC", numerator=97, denominator=100) == pytest.approx(5.82)
    assert math.isnan(rs(metric="DOSSIER_SYNC", numerator=0, denominator=0))            # N/A
    assert rs(metric="PROGRESS", numerator=45, denominator=50) == pytest.approx(18.0)
    assert rs(metric="PROGRESS", numerator=0, denominator=0) == 0.0
    assert rs(metric="PAYMENT", numerator=3, denominator=4, b_numerator=1, b_denominator=5, c_numerator=2,
              c_denominator=5) == pytest.approx(6.0)
    assert rs(metric="PAYMENT", numerator=0, denominator=0, b_numerator=0, b_denominator=0, c_numerator=0,
              c_denominator=0) == 0.0
    assert rs(metric="DOSSIER_RECEIVING_SATISFACTION", numerator=0, denominator=0) == 0.0
    assert rs(metric="PETITION_PROCESSING_ON_TIME", numerator=0, denominator=0) == 6.0
    assert rs(metric="REUSED_DIGITIZED_DATA", numerator=70, denominator=100) == pytest.approx(1.75)
    assert math.isnan(rs(metric="ONLINE", numerator=None, denominator=None))
    assert math.isnan(rs(metric="ELECTRONIC_CERTIFIED_COPY", numerator=1, denominator=1))
    assert math.isnan(rs(metric="UNKNOWN_CODE", numerator=1, denominator=1))
    assert (fmt_csv(5.82), fmt_csv(18.0), fmt_csv(float("nan")), fmt_csv(1 / 3)) == ("5.82", "18", "", "0.3333")


# -- import: matching, unmatched, idempotence ------------------------------------------------------------------
def province_files(d):
    a = write(d, "digitized.json", shape_a([
        {"departmentId": "1001", "departmentCode": "G22.1.01", "departmentName": "UBND xã Một",
         "metrics": [metric("ORIGINAL_RESULT_AVAILABLE", 1, 4, 1.5, 6),
                     metric("SO_HOA_GIAY_TO_GIAI_QUYET", 3, 4, 3.0, 4),
                     metric("ELECTRONIC_CERTIFIED_COPY", None, None, 2.0, 2)]},
        {"departmentId": "9009", "departmentName": "Sở Không Có", "metrics": [
            metric("ORIGINAL_RESULT_AVAILABLE", 10, 20, 3.0, 6)]},
    ]))
    b = write(d, "progress.json", {"data": {"parent": {"departmentCode": "G22", "totalReceived": 5, "totalOnTime": 3,
                                                      "totalOverdue": 2, "score": 12.0, "maxScore": 20},
                                           "children": [
        {"departmentCode": "G22.1.01", "totalReceived": 4, "totalOnTime": 2, "totalOverdue": 2, "score": 10.0,
         "maxScore": 20},
        {"departmentCode": "G99.9", "totalReceived": 0, "totalOnTime": 0, "totalOverdue": 0, "score": 0,
         "maxScore": 20}]}})
    c = write(d, "payment.json", {"data": {"parent": None, "children": [
        {"departmentCode": "G22.1.01", "totalDossierOnlinePaymentSuccess": 1, "totalDossierFinancialObligation": 2,
         "totalDossierOnlineFormalityPaymentSuccess": 1, "totalFeeFormality": 2, "totalFeeDossierFormality": 1,
         "totalScore": 5.5}]}})
    return [a, b, c]


def test_import_idempotent_and_unmatched_kept(wh):
    files = province_files(wh["dir"])
    common = ["--units", wh["units"], "--warehouse", wh["warehouse"]]
    rc, out = run_cli("portal", "import", *files, "--period", "2026-02", *common)
    assert rc == 0
    assert "8 figures — 8 new, 0 replaced, 0 unchanged" in out
    assert "2 units not in the registry" in out and "9009" in out and "G99.9" in out
    import duckdb

    con = duckdb.connect(wh["warehouse"], read_only=True)
    before = con.execute("SELECT * FROM portal_figures ORDER BY unit, metric").fetchall()
    cert = con.execute("SELECT numerator, denominator, score FROM portal_figures WHERE metric = "
                       "'ELECTRONIC_CERTIFIED_COPY'").fetchall()
    units = dict(con.execute("SELECT unit, matched FROM portal_figures GROUP BY ALL").fetchall())
    con.close()
    assert cert == [(None, None, 2.0)]                                         # null stays null
    assert units == {"X101": True, "T01": True, "9009": False, "G99.9": False}
    rc, out = run_cli("portal", "import", *files, "--period", "2026-02", *common)
    assert "0 new, 0 replaced, 8 unchanged" in out
    con = duckdb.connect(wh["warehouse"], read_only=True)
    after = con.execute("SELECT * FROM portal_figures ORDER BY unit, metric").fetchall()
    con.close()
    assert after == before
    # reconcile: unmatched units are listed with empty own figures; rule scores from the portal's figures
    rows = reconcile_csv(wh)
    assert rows[("9009", "ORIGINAL_RESULT_AVAILABLE")]["own_score"] == ""
    assert rows[("9009", "ORIGINAL_RESULT_AVAILABLE")]["rule_score"] == "3"
    assert rows[("G99.9", "PROGRESS")]["rule_score"] == "0"
    p = rows[("X101", "PAYMENT")]
    assert (p["portal_numerator"], p["portal_denominator"], p["portal_score"]) == ("1", "2", "5.5")
    assert p["rule_score"] == "5.5"     # 6·1/2 + min(2, 2.5·1/2) + 2.5·1/2 = 3 + 1.25 + 1.25
    assert p["own_numerator"] == "1" and p["own_denominator"] == "2" and p["own_score"] == ""   # B, C: catalogue
    assert rows[("X101", "ELECTRONIC_CERTIFIED_COPY")]["rule_score"] == ""
    # own figures of X101 in February 2026: 4 received (A1–A4), none carried over
    o = rows[("X101", "ORIGINAL_RESULT_AVAILABLE")]
    assert (o["own_numerator"], o["own_denominator"], o["own_score"]) == ("1", "4", "1.5")
    pr = rows[("X101", "PROGRESS")]
    # on time: A1 early, A4 pending within its deadline (10/03); A2 late, A3 pending overdue (due 10/02)
    assert (pr["own_numerator"], pr["own_denominator"], pr["own_score"]) == ("2", "4", "10")
    # the province (T01) aggregates its communes: 5 dossiers, 3 on time (A1, A4, B1 on the due day)
    t = rows[("T01", "PROGRESS")]
    assert (t["own_numerator"], t["own_denominator"], t["own_score"], t["rule_score"]) == ("3", "5", "12", "12")


def test_reimport_with_changed_value_replaces(wh):
    files = province_files(wh["dir"])
    common = ["--units", wh["units"], "--warehouse", wh["warehouse"]]
    run_cli("portal", "import", *files, "--period", "2026-02", *common)
    doc = json.loads(open(files[1], encoding="utf-8").read())
    doc["data"]["children"][0]["score"] = 11.0
    f2 = write(wh["dir"], "progress2.json", doc)
    rc, out = run_cli("portal", "import", f2, "--period", "2026-02", *common)
    assert "0 new, 1 replaced, 2 unchanged" in out


def test_bad_file_is_one_line(wh, capsys):
    p = wh["dir"] / "bad.json"
    p.write_text("{oops", encoding="utf-8")
    rc = main(["portal", "import", str(p), "--period", "2026-02", "--units", wh["units"], "--warehouse",
               wh["warehouse"]])
    err = capsys.readouterr().err
    assert rc == 2 and str(p) in err and len(err.strip().splitlines()) == 1


# -- round trip --------------------------------------------------------------------------------------------------
def test_round_trip_from_own_dossiers(wh):
    """A portal file written from the warehouse's own dossiers reconciles with zero difference on every computable
    metric (scores as the portal would publish them: the rule on n/d, rounded to 2 decimals)."""
    import duckdb

    from tthc.portal.reconcile import own_items
    from tthc.units import load_registry

    cfg = load_rules().get("2026 portal")
    reg = load_registry(wh["units"])
    con = duckdb.connect(wh["warehouse"], read_only=True)
    own = own_items(con, reg, "2026-02", cfg, ["T01", "X101", "X102"])
    con.close()
    code = {u: reg.units[u].ma_dvcqg for u in ("T01", "X101", "X102")}
    files = portal_files_from_own(own, code, wh["dir"], "rt")
    rc, _ = run_cli("portal", "import", *files, "--period", "2026-02", "--units", wh["units"], "--warehouse",
                    wh["warehouse"])
    assert rc == 0
    rows = reconcile_csv(wh)
    assert len(rows) == 3 * 7
    checked = 0
    for (unit, m), r in rows.items():
        assert r["own_numerator"] == r["portal_numerator"] and r["own_denominator"] == r["portal_denominator"]
        if r["portal_score"] != "":
            assert abs(float(r["rule_score"]) - float(r["portal_score"])) < 0.006
        if r["own_score"] != "":
            assert abs(float(r["own_score"]) - float(r["portal_score"])) < 0.006
            checked += 1
    assert checked >= 3 * 5     # every computable metric (PAYMENT needs the catalogue for B, C)


def portal_files_from_own(own, code: dict, d, prefix: str) -> list[str]:
    """The portal's three responses (shape A for the dossier metrics, shape B for progress and payment) written
    from own items, scores rounded to 2 decimals as the portal publishes them."""
    ev, prog, pay = [], [], []
    for unit, g in own.groupby("unit"):
        g = g.set_index("item")
        ms = []
        for m in ("DOSSIER_SYNC", "ORIGINAL_RESULT_AVAILABLE", "SO_HOA_GIAY_TO_GIAI_QUYET", "REUSED_DIGITIZED_DATA",
                  "DOSSIER_RECEIVING_SATISFACTION"):
            x = g.loc[m]
            sc = None if math.isnan(x["score"]) else round(float(x["score"]), 2)
            ms.append(metric(m, int(x["numerator"]), int(x["denominator"]), sc, x["points_max"]))
        ev.append({"departmentId": unit, "departmentCode": code[unit], "metrics": ms})
        p = g.loc["PROGRESS"]
        prog.append({"departmentCode": code[unit], "totalReceived": int(p["denominator"]),
                     "totalOnTime": int(p["numerator"]), "totalOverdue": int(p["denominator"] - p["numerator"]),
                     "score": round(float(p["score"]), 2), "maxScore": 20})
        a = g.loc["PAYMENT"]
        pay.append({"departmentCode": code[unit], "totalDossierOnlinePaymentSuccess": int(a["numerator"]),
                    "totalDossierFinancialObligation": int(a["denominator"]),
                    "totalDossierOnlineFormalityPaymentSuccess": 0, "totalFeeFormality": 0,
                    "totalFeeDossierFormality": 0, "totalScore": round(float(a["score"]), 2)})
    return [write(d, f"{prefix}_a.json", shape_a(ev)),
            write(d, f"{prefix}_p.json", {"data": {"parent": None, "children": prog}}),
            write(d, f"{prefix}_pay.json", {"data": {"parent": None, "children": pay}})]


def test_round_trip_on_the_sample(tmp_path, monkeypatch):
    """The bundled synthetic sample (a small draw), every unit given a portal code: portal files written from its
    own dossiers under the 2026 portal rules (--rules for a 2025 period) reconcile with zero difference."""
    import shutil

    import duckdb

    from tthc import config
    from tthc.portal.reconcile import own_items
    from tthc.sample import build_sample
    from tthc.units import load_registry

    root = tmp_path / "root"
    shutil.copytree(config.params_dir(), root / "params")
    shutil.copy(config.project_root() / "pyproject.toml", root / "pyproject.toml")
    for k in ("TTHC_WAREHOUSE", "TTHC_UNITS", "TTHC_RULES766"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("TTHC_ROOT", str(root))
    config.project_root.cache_clear()
    try:
        build_sample(n=1500, seed=7)
        doc = yaml.safe_load((root / "params" / "units.yaml").read_text(encoding="utf-8"))
        for u in doc["units"]:
            u["ma_dvcqg"] = f"DV.{u['code']}"
        units = tmp_path / "units_dvcqg.yaml"
        units.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        wh = str(config.default_warehouse())
        reg = load_registry(units)
        con = duckdb.connect(wh, read_only=True)
        own = own_items(con, reg, "2025-03", load_rules().get("2026 portal"))
        con.close()
        assert own["unit"].nunique() >= 5
        files = portal_files_from_own(own, {u: f"DV.{u}" for u in own["unit"].unique()}, tmp_path, "s")
        common = ["--units", str(units), "--warehouse", wh]
        assert run_cli("portal", "import", *files, "--period", "2025-03", *common)[0] == 0
        rc, out = run_cli("reconcile", "--period", "2025-03", "--format", "csv", "--rules", "2026", *common)
    finally:
        config.project_root.cache_clear()
    assert rc == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 7 * own["unit"].nunique()
    compared = 0
    for r in rows:
        assert (r["own_numerator"], r["own_denominator"]) == (r["portal_numerator"], r["portal_denominator"]), r
        if r["portal_score"] != "":
            assert abs(float(r["rule_score"]) - float(r["portal_score"])) < 0.006, r
        if r["own_score"] != "":
            assert abs(float(r["own_score"]) - float(r["portal_score"])) < 0.006, r
            compared += 1
    assert compared >= 4 * own["unit"].nunique()
