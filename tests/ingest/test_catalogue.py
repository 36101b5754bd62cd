"""The optional procedure catalogue: CSV/YAML → table ``catalogue``, all-or-nothing validation."""

from __future__ import annotations

import pytest

from tthc.cli import main
from tthc.errors import InputError
from tthc.ingest.catalogue import ingest_catalogue

from ingest_helpers import query


def test_catalogue_csv_and_yaml_upsert(tmp_path, wh):
    c = tmp_path / "cat.csv"
    c.write_text("ma_tthc;ten_tthc;ma_linh_vuc;muc_do_dvc;co_phi;yeu_cau_ket_qua_giay;thoi_han_gq\n"
                 "1.000001;Đăng ký khai sinh;HT;toan_trinh;không;có;3\n"
                 "1.000002;Đăng ký kết hôn;HT;mot_phan;có;;5\n", encoding="utf-8-sig")
    assert ingest_catalogue(c, warehouse=wh) == 2
    y = tmp_path / "cat.yaml"
    y.write_text("catalogue:\n  - {ma_tthc: '1.000002', muc_do_dvc: none, co_phi: false, thoi_han_gq: 7}\n",
                 encoding="utf-8")
    assert main(["ingest", "--catalogue", str(y), "--warehouse", str(wh)]) == 0
    assert query(wh, "SELECT ma_tthc, ten_tthc, muc_do_dvc, co_phi, yeu_cau_ket_qua_giay, thoi_han_gq "
                     "FROM catalogue ORDER BY 1") == [
        ("1.000001", "Đăng ký khai sinh", "toan_trinh", False, True, 3),
        ("1.000002", None, "none", False, None, 7)]


@pytest.mark.parametrize("body,msg", [
    ("ma_tthc,muc_do_dvc\nA,truc_tuyen\n", r"row 2, column muc_do_dvc: 'truc_tuyen'; use toan_trinh"),
    ("ma_tthc,thoi_han_gq\nA,ba\n", r"row 2, column thoi_han_gq: 'ba' is not a number of working days"),
    ("ma_tthc,co_phi\nA,có\nA,không\n", r"row 3, column ma_tthc: 'A' already listed on row 2"),
    ("code,name\nA,B\n", r"row 1: no 'ma_tthc' column"),
])
def test_catalogue_rejects_bad_file(tmp_path, wh, body, msg):
    c = tmp_path / "cat.csv"
    c.write_text(body, encoding="utf-8")
    with pytest.raises(InputError, match=msg):
        ingest_catalogue(c, warehouse=wh)
    assert not wh.exists()
