"""Loading a report from the sample cube: the header bundle carries the metadata the renderer needs, the
synthetic flag follows the warehouse, every section renders."""

from __future__ import annotations

import pytest

from tthc import config
from tthc.report import context as C

KEYS = {"kind", "unit", "unit_name", "level", "parent_name", "period", "period_label", "window", "date_from",
        "date_to", "lang", "synthetic", "data_hash", "generated", "version", "title", "subject"}


@pytest.fixture
def shown(monkeypatch):
    bundles = []
    monkeypatch.setattr(C, "_display", bundles.append)
    return bundles


def test_unit_report_header_metadata_and_sections(on_sample, shown, capsys):
    import tthc.report

    r = tthc.report.load("X001", "2025-Q1", "report", "vi")
    for name in ("header", "scorecard", "trends", "bieu06", "index766", "dossiers", "quality"):
        getattr(r, name)()
    first = shown[0]
    from tthc.render.blocks import CHART_MIMETYPE, SECTION_MIMETYPE

    assert set(first) == {"text/html", C.META_MIME, SECTION_MIMETYPE}
    meta = first[C.META_MIME]
    assert KEYS <= set(meta) and "sources" not in meta
    assert meta["synthetic"] is True
    assert (meta["unit"], meta["unit_name"], meta["level"], meta["parent_name"]) == (
        "X001", "UBND xã Thanh An", "xa", "UBND huyện Thanh Hà")
    assert (meta["period"], meta["period_label"], meta["window"]) == ("2025-Q1", "Quý I năm 2025", "report")
    assert (meta["date_from"], meta["date_to"]) == ("2024-12-15", "2025-03-14")   # Decree 09/2019 window
    assert meta["title"] == "BÁO CÁO" and "UBND xã Thanh An, Quý I năm 2025" in meta["subject"]
    assert len(meta["data_hash"]) == 64
    html = first["text/html"]
    assert "DỮ LIỆU MẪU" in html and "từ ngày 15/12/2024 đến ngày 14/03/2025" in html
    assert [k for b in shown for k in b if k.startswith("image/")] == ["image/svg+xml"] * 3   # scorecard, trends, 766
    heads = [b["text/html"].split("<h2>")[1].split("</h2>")[0] for b in shown if "text/html" in b]
    assert heads == ["1. Thông tin chung", "2. Kết quả thực hiện các chỉ tiêu theo Công văn 353/UBND-VP",
                     "3. Diễn biến 12 tháng gần nhất", "4. Biểu số 06: Tình hình, kết quả giải quyết TTHC theo lĩnh vực",
                     "5. Bộ chỉ số 766: điểm theo nhóm", "6. Hồ sơ quá hạn và sắp đến hạn",
                     "7. Ghi chú về chất lượng dữ liệu"]
    # every section carries its structure (the PDF is typeset from it) with the same title as its HTML
    assert [b[SECTION_MIMETYPE]["title"] for b in shown if SECTION_MIMETYPE in b] == heads
    assert [b[CHART_MIMETYPE]["chart"] for b in shown if CHART_MIMETYPE in b] == ["scorecard", "trends", "index766"]
    r.values()
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "unit,indicator,numerator,denominator,value" and out[1].startswith("X001,D1,")


def test_not_synthetic_without_the_marker(on_sample, shown):
    import duckdb

    wh = config.default_warehouse()
    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert C.is_synthetic(con) is True
    finally:
        con.close()
    from tthc.report.params import validate
    from tthc.units import load_registry

    reg = load_registry()
    meta = C.build_meta(validate("X001", "2025-Q1", registry=reg), reg, False, "0" * 64, [])
    r = C.Report(validate("X001", "2025-Q1", registry=reg), reg, None, meta)
    r.header()
    assert shown[0][C.META_MIME]["synthetic"] is False
    assert "DỮ LIỆU MẪU" not in shown[0]["text/html"]


def test_overview_sections_english(on_sample, shown):
    import tthc.report

    r = tthc.report.load("H001", "2025-Q1", "calendar", "en", kind="overview")
    for name in ("header", "league", "targets_met", "ranking766", "bieu06_levels", "behind", "quality"):
        getattr(r, name)()
    meta = shown[0][C.META_MIME]
    assert meta["kind"] == "overview" and meta["lang"] == "en" and meta["period_label"] == "Q1 2025"
    assert meta["parent_name"] is None
    html = "".join(b.get("text/html", "") for b in shown)
    assert "League table of units on targets D1–D8" in html and "D8 Returned" in html and "UBND xã Thanh An" in html
    assert "Form 06 aggregated by level and field" in html
    # league: one row per unit with data (the district first), each with 7 indicator cells
    league = [b["text/html"] for b in shown if "League table" in b.get("text/html", "")][0]
    units = list(dict.fromkeys(r.data.indicators["unit"]))
    assert units[0] == "H001" and len(units) == 1 + len(r.data.children) and len(r.data.children) > 20
    body = league.split("<tbody>")[1]
    assert body.count("<tr") == len(units)
    assert body.count('class="num ') == 8 * len(units)  # D1–D8


def test_unit_without_dossiers_says_so(on_sample, shown):
    import datetime

    import tthc.report
    from tthc.engine import query as q
    from tthc.units import load_registry

    have = set(q.indicators("2025-Q1", "calendar")["unit"])
    a, b = datetime.date(2025, 1, 1), datetime.date(2025, 3, 31)
    empty = [u.code for u in load_registry() if u.overlaps(a, b) and u.code not in have]
    assert empty, "the seeded 4 000-dossier sample leaves some offices without dossiers in 2025-Q1"
    r = tthc.report.load(empty[0], "2025-Q1")
    for name in ("header", "scorecard", "trends", "bieu06", "index766", "dossiers", "quality"):
        getattr(r, name)()
    assert "Đơn vị không có hồ sơ nào được tính trong kỳ báo cáo." in shown[1]["text/html"]
