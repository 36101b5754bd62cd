"""HTML tables: values, status classes, Biểu 06 layout, escaping of every data string."""

from __future__ import annotations

import re

import pandas as pd

from tthc.report import tables as T
from tthc.report.context import bieu06_by_level, canonical_text, furthest_behind, targets_met_table


def cells(html: str, row_label: str) -> list[str]:
    """The text of every <td> of the first row whose text contains ``row_label``."""
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        if row_label in tr and "<td" in tr:
            return [re.sub(r"<[^>]+>", " ", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
    raise AssertionError(f"no row with {row_label!r}")


def test_scorecard_values_and_status(scorecard_frame):
    html = T.scorecard_html(scorecard_frame, "vi")
    assert 'class="tthc-table scorecard"' in html and "<thead>" in html
    d1 = cells(html, "D1")
    assert d1[0] == "D1" and d1[1] == "Tỷ lệ hồ sơ tiếp nhận trực tuyến"
    assert d1[2].split() == ["32,97%", "30/91"]
    assert d1[3:] == ["≥ 60%", "Chưa đạt", "25", "−1,50", "3/21"]
    assert cells(html, "D3")[2].split() == ["100,00%", "1.234/1.234"]
    assert cells(html, "D4")[2:5] == ["Không có dữ liệu  0/0", "100%", "Không có dữ liệu"]  # empty denominator
    d5 = cells(html, "D5")
    assert d5[2].startswith("3") and "tỷ lệ quá hạn 3,00%" in d5[2] and d5[3] == "0" and d5[6] == "−2"
    assert re.search(r'<td class="dat" style="[^"]*color:#0a5c1f[^"]*">Đạt</td>', html)
    assert re.search(r'<td class="chua-dat" style="[^"]*color:#b00020[^"]*">Chưa đạt</td>', html)
    assert re.search(r'<td class="nodata" style="[^"]*">Không có dữ liệu</td>', html)
    # JupyterLab has no export stylesheet: text cells carry their own alignment, D1 row is addressable
    assert '<tr data-indicator="D1"><td style="text-align:left">D1</td>' in html


def test_scorecard_english(scorecard_frame):
    html = T.scorecard_html(scorecard_frame, "en")
    d1 = cells(html, "D1")
    assert d1[1] == "Dossiers received online" and d1[2].split() == ["32.97%", "30/91"] and d1[4] == "Not met"
    assert "1,234/1,234" in html


def test_escaping_makes_script_inert(make_ind):
    evil = "<script>alert('x')</script>"
    b = pd.DataFrame([dict(unit="X001", ma_linh_vuc="F1", ten_linh_vuc=evil, **{c: 1 for c in T.BIEU06_COLS}),
                      dict(unit="X001", ma_linh_vuc="TONG", ten_linh_vuc=None, **{c: 1 for c in T.BIEU06_COLS})])
    dossiers = pd.DataFrame([dict(ma_ho_so='H"1', ma_tthc="1.0001", ten_tthc=evil, ngay_hen_tra="2025-03-14",
                                  so_ngay_tre=2, co_phieu_xin_loi=True)])
    league = make_ind([("D1", 1, 2, 50.0, 60.0, "Chưa đạt", 1, 0, 1, 1)], unit_name=evil)
    for html in (T.bieu06_html(b, "vi"), T.dossiers_html(dossiers, "overdue", "vi"), T.league_html(league, "vi"),
                 T.section(evil, T.note(evil)), T.quality_html({"x": evil, "quarantine_files": [f"/a/{evil}"]})):
        assert "<script>" not in html
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "H&quot;1" in T.dossiers_html(dossiers, "overdue", "vi")


def test_dossier_list_columns_and_limit():
    df = pd.DataFrame([dict(ma_ho_so=f"X001-{i:03d}", ma_tthc="1.004884", ten_tthc="Cấp Giấy xác nhận tình trạng hôn "
                            "nhân", ngay_hen_tra=pd.Timestamp("2025-03-03"), so_ngay_tre=40 - i,
                            co_phieu_xin_loi=i % 2 == 0) for i in range(35)])
    html = T.dossiers_html(df, "overdue", "vi", limit=30)
    assert cells(html, "X001-000") == ["X001-000", "1.004884", "Cấp Giấy xác nhận tình trạng hôn nhân", "03/03/2025",
                                       "40", "Có"]
    assert cells(html, "X001-001")[-1] == "Không"
    assert "X001-030" not in html and "… và 5 hồ sơ khác" in html
    assert "Hồ sơ quá hạn (35)" in html
    soon = T.dossiers_html(df.head(2), "due_soon", "en")
    assert "Working days late" not in soon and "Due date" in soon
    assert T.dossiers_html(df.head(0), "overdue", "vi") == '<p class="note">Không có hồ sơ quá hạn trong kỳ.</p>'


def test_bieu06_table_layout():
    rows = pd.DataFrame([
        dict(ma_linh_vuc="HT", ten_linh_vuc="Hộ tịch", col3=38, col4=2, col5=35, col6=1, col7=37, col8=33, col9=0,
             col10=4, col11=1, col12=0, col13=1),
        dict(ma_linh_vuc="", ten_linh_vuc=None, col3=2, col4=0, col5=2, col6=0, col7=1, col8=1, col9=0, col10=0,
             col11=1, col12=1, col13=0),
        dict(ma_linh_vuc="TONG", ten_linh_vuc=None, col3=1040, col4=2, col5=1037, col6=1, col7=38, col8=34, col9=0,
             col10=4, col11=2, col12=1, col13=1),
    ])
    html = T.bieu06_html(rows, "vi")
    assert 'class="tthc-table wide bieu06"' in html
    assert cells(html, "Hộ tịch") == ["1", "Hộ tịch", "38", "2", "35", "1", "37", "33", "0", "4", "1", "0", "1"]
    assert cells(html, "Chưa xác định lĩnh vực")[:3] == ["2", "Chưa xác định lĩnh vực", "2"]
    assert cells(html, "Tổng cộng")[2] == "1.040"
    assert "".join(f"({i})" for i in range(1, 14)) in re.sub(r"<[^>]+>", "", html)
    for head in ("Số hồ sơ nhận giải quyết", "Trực tuyến", "Trực tiếp, dịch vụ bưu chính", "Từ kỳ trước",
                 "Trả trước hạn", "Trả đúng thời hạn", "Trả quá hạn", "Trong hạn", "Quá hạn"):
        assert head in html


def test_bieu06_by_level_counts_own_figures_once(registry):
    # H001 roll-up = its own desk + P001 + X001; by level must give each unit's own dossiers once
    def row(unit, field, n):
        return dict(unit=unit, ma_linh_vuc=field, ten_linh_vuc={"HT": "Hộ tịch", "DD": "Đất đai"}.get(field),
                    col3=n, col4=0, col5=n, col6=0, col7=n, col8=n, col9=0, col10=0, col11=0, col12=0, col13=0)
    rows = pd.DataFrame([row("H001", "HT", 10), row("H001", "DD", 7), row("H001", "TONG", 17),
                         row("P001", "DD", 5), row("P001", "TONG", 5),
                         row("X001", "HT", 8), row("X001", "TONG", 8)])
    own, total = bieu06_by_level(rows, "H001", registry)
    got = {(r.level, r.ma_linh_vuc): r.col3 for r in own.itertuples()}
    assert got == {("huyen", "HT"): 2, ("huyen", "DD"): 2, ("phong", "DD"): 5, ("xa", "HT"): 8}
    assert total["col3"] == 17 and own["col3"].sum() == 17
    html = T.bieu06_by_level_html(own, total, "vi")
    assert cells(html, "Cấp huyện")[:3] == ["I", "Cấp huyện", "4"]
    assert cells(html, "Phòng chuyên môn")[:3] == ["II", "Phòng chuyên môn", "5"]
    assert cells(html, "Cấp xã")[:3] == ["III", "Cấp xã", "8"]


def test_league_targets_met_and_behind(make_ind):
    a = make_ind([("D1", 70, 100, 70.0, 60.0, "Đạt", 0, 0, 1, 2), ("D5", 0, 50, 0.0, 0.0, "Đạt", 0, 0, 1, 2),
                  ("D6", 10, 20, 50.0, 100.0, "Chưa đạt", 10, 0, 2, 2)], unit="X001", unit_name="Xã A")
    b = make_ind([("D1", 30, 100, 30.0, 60.0, "Chưa đạt", 30, 0, 2, 2), ("D5", 4, 50, 4.0, 0.0, "Chưa đạt", 4, 0, 2, 2),
                  ("D6", 0, 0, float("nan"), 100.0, "Không có dữ liệu", float("nan"), 0, None, 2)],
                 unit="X002", unit_name="Xã B")
    league = pd.concat([a, b], ignore_index=True)
    html = T.league_html(league, "vi")
    assert cells(html, "Xã A")[:3] == ["X001", "Xã A", "70,00%"]
    assert re.search(r'<td class="num chua-dat" style="[^"]*background:#fbe5e7[^"]*">30,00%</td>', html)
    assert re.search(r'<td class="num dat" style="[^"]*background:#e4f3e8[^"]*">0</td>', html)
    assert re.search(r'<td class="num nodata" style="[^"]*">–</td>', html)
    met = targets_met_table(league, "vi").set_index("indicator")
    assert met.loc["D1. Tỷ lệ hồ sơ tiếp nhận trực tuyến"].tolist() == ["1", "2", "50,00%"]
    assert met.loc["D6. Tỷ lệ hồ sơ có phiếu đánh giá mức độ hài lòng"].tolist() == ["0", "1", "0,00%"]
    assert met.loc["D2. Tỷ lệ hồ sơ thanh toán trực tuyến"].tolist() == ["0", "0", "–"]
    behind = furthest_behind(league)
    assert behind["unit"].tolist() == ["X002", "X001"]
    assert behind["gap"].tolist() == [34, 10] and behind["missed"].tolist() == [2, 1]
    assert behind.loc[0, "detail"] == "D1: 30, D5: 4"


def test_canonical_text_is_stable(scorecard_frame):
    txt = canonical_text(scorecard_frame)
    lines = txt.splitlines()
    assert lines[0] == "unit,indicator,numerator,denominator,value"
    assert lines[1] == "X001,D1,30,91,32.97"
    assert lines[4] == "X001,D4,0,0,NA"
    assert [ln.split(",")[1] for ln in lines[1:]] == ["D1", "D2", "D3", "D4", "D5", "D6", "D7"]


def test_index766_table_uses_partly_computable_points():
    items = pd.DataFrame([
        dict(item="1.1-1.3", group="1", group_name="Công khai, minh bạch", points_max=12.0, score=float("nan"),
             computable=False, note="không đủ dữ liệu", points_computable=0.0),
        dict(item="1.4", group="1", group_name="Công khai, minh bạch", points_max=6.0, score=5.5, computable=True,
             note="", points_computable=6.0),
        dict(item="TT", group="TT", group_name="Thanh toán trực tuyến", points_max=10.0, score=3.0, computable=True,
             note="chỉ tính A", points_computable=6.0),
    ])
    summary = dict(score=8.5, computable_max=12.0, band="Yếu", band_assumed=False, as_observed_note="quan sát")
    html = T.index766_html(items, summary, "vi")
    assert cells(html, "Công khai, minh bạch") == ["Công khai, minh bạch", "5,50", "6", "18"]
    assert cells(html, "Thanh toán trực tuyến") == ["Thanh toán trực tuyến", "3,00", "6", "10"]
    assert cells(html, "Tổng cộng") == ["Tổng cộng", "8,50", "12", "28"]
    assert "8,5 / 12 điểm có dữ liệu" in html and "Tỷ lệ điểm tính được: 42,86%" in html
    assert "giả định" not in html  # Yếu is a published band
    summary.update(band="Khá", band_assumed=True)
    assert "ngưỡng xếp loại giả định" in T.index766_html(items, summary, "vi")


def test_index766_english_translates_configured_names():
    items = pd.DataFrame([
        dict(item="1.1-1.3", group="1", group_name="Công khai, minh bạch", points_max=12.0, score=float("nan"),
             computable=False, note="cần dữ liệu công khai TTHC: không đủ dữ liệu", points_computable=0.0),
        dict(item="1.4", group="1", group_name="Công khai, minh bạch", points_max=6.0, score=6.0, computable=True,
             note="", points_computable=6.0)])
    html = T.index766_html(items, dict(score=6.0, computable_max=6.0, band="Khá", band_assumed=True), "en")
    assert cells(html, "Publicity") == ["Publicity and transparency", "6.00", "6", "18"]
    assert "Band: <strong>Fair</strong>" in html and "assumed band thresholds" in html
    assert "insufficient data" in html and "cần dữ liệu" not in html


def test_scorecard_d8_is_a_count_and_bo_sung_an_extra(make_ind):
    """D8 (returned dossiers, target 0): value, target, gap and change in dossiers; BO_SUNG among the extras."""
    ind = make_ind([("D8", 2, 40, 2.0, 0.0, "Chưa đạt", 2, 1.0, 4, 21),
                    ("BO_SUNG", 3, 40, 7.5, float("nan"), "", float("nan"), -0.5, float("nan"), 21)])
    html = T.scorecard_html(ind, "vi")
    d8 = cells(html, "D8")
    assert d8[:7] == ["D8", "Số hồ sơ trả lại cho công dân", "2", "0", "Chưa đạt", "2", "+1"]
    extra = T.extras_html(ind, "en")
    assert "New dossiers with a supplement request" in extra and "7.50%" in extra and "3/40" in extra
