"""Report side of issue #13: the 766 section of a 2026 report (portal metric codes, version named) and the section
"Đối chiếu với Cổng DVCQG" (differences in dossiers, explaining dossiers by code only)."""

from __future__ import annotations

import duckdb
import pytest

from engine_fixtures import make_con
from test_portal import UNITS, metric, run_cli, shape_a, wh, write  # noqa: F401 (fixture)
from tthc.engine import query
from tthc.engine.cube import build_cube
from tthc.portal.reconcile import unit_reconciliation
from tthc.report import tables as T
from tthc.units import load_registry, parse_registry


def test_766_section_2026_names_version_and_metrics(tmp_path):
    rows = [dict(ma_don_vi="X101", ngay_tiep_nhan="2026-01-05", ngay_hen_tra="2026-01-12", trang_thai=10,
                 ngay_ket_thuc_xu_ly="2026-01-07", dong_bo_dvcqg=True, ket_qua_dien_tu=True)]
    con = make_con(rows)
    build_cube(con, parse_registry(UNITS, "u.yaml"), periods=["2026-01"], windows=("calendar",),
               out_dir=tmp_path / "c")
    con.close()
    items = query.index766("X101", "2026-01", cube_dir=tmp_path / "c")
    summ = query.index766_summary("X101", "2026-01", cube_dir=tmp_path / "c")
    assert summ["rules_version"] == "2026 portal"
    html = T.index766_html(items, summ, "vi")
    assert "Phiên bản quy tắc Bộ chỉ số 766: 2026 portal" in html
    for code in ("DOSSIER_SYNC", "PROGRESS", "PAYMENT", "ORIGINAL_RESULT_AVAILABLE", "PUBLISH_ON_TIME", "ONLINE"):
        assert f">{code}</td>" in html
    assert "không đủ dữ liệu" in html
    # 1 dossier, synced, early, electronic result: 6 + 20 + 6 + (A: no fee → 0 of 6) + SO_HOA 0 + REUSED 0 + SAT 0
    assert summ["text"] == "32,0 / 50 điểm có dữ liệu"
    assert "766 rules version: 2026 portal" in T.index766_html(items, summ, "en")


def test_reconciliation_section(wh):  # noqa: F811
    f = write(wh["dir"], "ev.json", shape_a([
        {"departmentId": "1001", "departmentCode": "G22.1.01", "departmentName": "UBND xã Một", "metrics": [
            metric("DOSSIER_SYNC", 2, 4, 3.0, 6, name="Đồng bộ hồ sơ"),
            metric("DOSSIER_RECEIVING_SATISFACTION", 2, 3, 4.44, 6),
            metric("ORIGINAL_RESULT_AVAILABLE", 1, 4, 1.5, 6)]}]))
    rc, _ = run_cli("portal", "import", f, "--period", "2026-02", "--units", wh["units"], "--warehouse",
                    wh["warehouse"])
    assert rc == 0
    con = duckdb.connect(wh["warehouse"], read_only=True)
    reg = load_registry(wh["units"])
    rec = unit_reconciliation(con, reg, "X101", "2026-02")
    assert unit_reconciliation(con, reg, "X102", "2026-02") is None      # no figures for that unit
    con.close()
    df = rec["rows"].set_index("metric")
    assert (df.loc["DOSSIER_SYNC", "own_numerator"], df.loc["DOSSIER_SYNC", "portal_numerator"]) == (3, 2)
    assert df.loc["DOSSIER_SYNC", "own_score"] == pytest.approx(4.5)
    why = {(m, x["reason"]): x["codes"] for (u, m), xs in rec["reasons"].items() for x in xs}
    assert why[("DOSSIER_SYNC", "not_synced")] == ["A3"]
    assert why[("DOSSIER_RECEIVING_SATISFACTION", "no_evaluation")] == ["A2", "A3"]
    assert not any(m == "ORIGINAL_RESULT_AVAILABLE" for m, _ in why)     # no difference, nothing to explain
    html = T.portal_html(rec, "vi")
    assert "Đồng bộ hồ sơ" in html and "+1 / 0" in html and "chưa đồng bộ lên Cổng DVCQG" in html
    assert "A2, A3" in html and "2026 portal" in html
    en = T.portal_html(rec, "en")
    assert "evaluation missing" in en and "Portal score" in en


def test_report_shows_the_section(wh, tmp_path, monkeypatch):  # noqa: F811
    """A unit report (its own small project root) shows "Đối chiếu với Cổng DVCQG" once figures are imported, and
    nothing before (no empty section)."""
    import shutil

    from tthc import config
    from tthc.report import context as C

    root = tmp_path / "root"
    shutil.copytree(config.params_dir(), root / "params")
    shutil.copy(wh["units"], root / "params" / "units.yaml")
    shutil.copy(config.project_root() / "pyproject.toml", root / "pyproject.toml")
    (root / "data").mkdir()
    shutil.copy(wh["warehouse"], root / "data" / "warehouse.duckdb")
    for k in ("TTHC_WAREHOUSE", "TTHC_UNITS", "TTHC_RULES766"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("TTHC_ROOT", str(root))
    config.project_root.cache_clear()
    shown = []
    monkeypatch.setattr(C, "_display", shown.append)
    try:
        from tthc.engine.cube import ensure_cube

        ensure_cube()  # the explicit build step: queries only read
        r = C.load("X101", "2026-02", "calendar", "vi", ensure=False)
        r.portal766()
        assert shown == []
        f = write(tmp_path, "ev.json", shape_a([{"departmentCode": "G22.1.01", "metrics": [
            metric("DOSSIER_SYNC", 2, 4, 3.0, 6)]}]))
        assert run_cli("portal", "import", f, "--period", "2026-02")[0] == 0
        r.portal766()  # a loaded report is a snapshot: the figures come with the next load
        assert shown == []
        r = C.load("X101", "2026-02", "calendar", "vi", ensure=False)
        r.index766()
        r.portal766()
        ov = C.load("T01", "2026-02", "calendar", "en", kind="overview", ensure=False)
        n = len(shown)
        ov.portal766()
        assert len(shown) == n + 1 and "Reconciliation with the national portal" in shown[-1]["text/html"]
        assert ">A3</td>" in shown[-1]["text/html"]
    finally:
        config.project_root.cache_clear()
    html = "".join(b.get("text/html", "") for b in shown)
    assert "Phiên bản quy tắc Bộ chỉ số 766: 2026 portal" in html
    assert "Đối chiếu với Cổng DVCQG" in html and ">A3</td>" in html   # the unsynchronised dossier, by code
