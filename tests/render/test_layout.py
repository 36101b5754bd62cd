"""Letterhead values, the place-date line and report metadata lookup (no rendering)."""

from __future__ import annotations

import datetime as dt

import nbfactory
import pytest

from tthc.errors import ConfigError
from tthc.render import layout


@pytest.mark.parametrize("place, day, lang, expected", [
    ("Thanh Hà", dt.date(2025, 3, 31), "vi", "Thanh Hà, ngày 31 tháng 3 năm 2025"),
    # Decree 30: days below 10 and months 1-2 take a leading zero
    ("Thanh Hà", dt.date(2025, 2, 5), "vi", "Thanh Hà, ngày 05 tháng 02 năm 2025"),
    ("Thanh Hà", dt.date(2025, 11, 7), "vi", "Thanh Hà, ngày 07 tháng 11 năm 2025"),
    ("Thanh Hà", dt.date(2025, 1, 10), "vi", "Thanh Hà, ngày 10 tháng 01 năm 2025"),
    (None, dt.date(2025, 3, 31), "vi", "Ngày 31 tháng 3 năm 2025"),
    ("Thanh Ha", dt.date(2025, 3, 31), "en", "Thanh Ha, 31 March 2025"),
])
def test_place_date(place, day, lang, expected):
    assert layout.place_date(place, day, lang) == expected


def test_repo_settings_load_and_unit_override(project_root):
    s = layout.load_report_settings(project_root / "params" / "report.yaml")
    # a report applies the blocks of its ancestors valid in the period, then its own (meta["letterhead_units"])
    vi = layout.letterhead(s, ["H001", "X001"], "vi")
    assert vi["co_quan_chu_quan"] == "UBND HUYỆN THANH HÀ"
    assert vi["nguoi_ky"]["quyen_han"] == "KT. CHỦ TỊCH"
    assert vi["nguoi_ky"].get("ho_ten") is None
    # X006 has its own recipients (the commune itself), everything else from default
    x6 = layout.letterhead(s, ["H001", "X006"], "vi")
    assert "UBND xã Thanh Hồng;" in x6["noi_nhan"]
    assert x6["dia_danh"] == "Thanh Hà"
    en = layout.letterhead(s, ["H001", "X001"], "en")
    assert en["dia_danh"] == "Thanh Ha"
    assert en["nguoi_ky"] == {"quyen_han": "P.P. CHAIRMAN", "chuc_vu": "VICE CHAIRMAN", "ho_ten": None}
    # after the reform a commune of the city gets the city's letterhead, never the abolished district's
    x101 = layout.letterhead(s, ["T001", "X101"], "vi")
    assert (x101["co_quan_chu_quan"], x101["dia_danh"]) == ("UBND THÀNH PHỐ HẢI PHÒNG", "Hải Phòng")
    assert not any("huyện" in line.lower() for line in x101["noi_nhan"])
    assert layout.letterhead(s, ["T001", "X101"], "en")["co_quan_chu_quan"] == "HAI PHONG CITY PEOPLE'S COMMITTEE"


def test_unit_override_then_its_english(tmp_path):
    p = tmp_path / "report.yaml"
    p.write_text(
        "default:\n  dia_danh: A\n  nguoi_ky: {quyen_han: KT. CHỦ TỊCH, chuc_vu: PHÓ CHỦ TỊCH}\n"
        "  en: {dia_danh: A-en}\n"
        "units:\n  P001:\n    dia_danh: B\n    nguoi_ky: {ho_ten: Nguyễn Văn B}\n    en: {dia_danh: B-en}\n",
        encoding="utf-8")
    s = layout.load_report_settings(p)
    assert layout.letterhead(s, "P002", "vi")["dia_danh"] == "A"
    assert layout.letterhead(s, "P002", "en")["dia_danh"] == "A-en"
    assert layout.letterhead(s, "P001", "vi")["dia_danh"] == "B"
    assert layout.letterhead(s, "P001", "en")["dia_danh"] == "B-en"
    assert layout.letterhead(s, "P001", "vi")["nguoi_ky"] == {
        "quyen_han": "KT. CHỦ TỊCH", "chuc_vu": "PHÓ CHỦ TỊCH", "ho_ten": "Nguyễn Văn B"}


def test_settings_errors_name_file_and_key(tmp_path):
    p = tmp_path / "report.yaml"
    p.write_text("default:\n  dia_danhh: Thanh Hà\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"report\.yaml: default\.dia_danhh: unknown key"):
        layout.load_report_settings(p)
    p.write_text("default:\n  noi_nhan: Lưu VT\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="noi_nhan must be a list"):
        layout.load_report_settings(p)
    p.write_text("units:\n  X001:\n    ngay_ban_hanh: 31/03/2025\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"units\.X001\.ngay_ban_hanh"):
        layout.load_report_settings(p)
    assert layout.load_report_settings(tmp_path / "absent.yaml") == {"default": {}, "units": {}}


def test_unset_parts_are_left_out(vi_meta):
    front = layout.front_matter_html(vi_meta, {}, "vi")
    assert "Số:" not in front and "tthc-cqbh" not in front
    # place unset: the date alone, from the generation time
    assert "Ngày 31 tháng 3 năm 2025" in front
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in front and "BÁO CÁO" in front
    assert layout.closing_html({}, "vi") == ""
    closing = layout.closing_html({"nguoi_ky": {"quyen_han": "KT. CHỦ TỊCH"}}, "vi")
    assert "KT. CHỦ TỊCH" in closing and "Nơi nhận" not in closing and "tthc-ho-ten" not in closing


def test_configured_date_wins_over_generation_date(vi_meta):
    front = layout.front_matter_html(vi_meta, {"dia_danh": "Thanh Hà", "ngay_ban_hanh": dt.date(2025, 4, 2)}, "vi")
    assert "Thanh Hà, ngày 02 tháng 4 năm 2025" in front


def test_doc_meta_from_metadata_then_outputs(vi_meta):
    nb = nbfactory.report_notebook()
    assert layout.doc_meta(nb)["unit"] == "X006"
    nb.metadata["tthc"] = {**vi_meta, "unit": "X007"}
    assert layout.doc_meta(nb)["unit"] == "X007"
    assert layout.doc_meta(nbfactory.generic_notebook()) is None
    nb = nbfactory.report_notebook()
    nb.cells[3].outputs[0]["data"][nbfactory.MIMETYPE] = '{"unit": "X008", "lang": "en"}'
    assert layout.doc_meta(nb) == {"unit": "X008", "lang": "en"}


def test_values_are_escaped():
    meta = {"subject": "<b>x</b>", "unit_name": "A & B"}
    lh = {"co_quan_ban_hanh": "<script>alert(1)</script>", "noi_nhan": ['"><img src=x>'],
          "nguoi_ky": {"ho_ten": "<i>n</i>"}}
    html = layout.front_matter_html(meta, lh, "vi") + layout.closing_html(lh, "vi")
    assert "<script>" not in html and "<img" not in html and "<b>x" not in html and "<i>n" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&quot;&gt;&lt;img src=x&gt;" in html
