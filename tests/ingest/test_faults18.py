"""Issue #18 items 1, 4 and 10: one odd value quarantines only its row (property test), a duplicated header column is
refused by name, and a DVCQG JSON whose dossier array is not the first member is streamed."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from tthc.errors import InputError
from tthc.ingest import ingest_files, readers

from ingest_helpers import HEAD, UNITS, dossier, qlines, query, write_csv, write_json

ROW = ["HS1", "1.000001", "Đăng ký khai sinh", "HT", "X001", "X001", "Trực tuyến", "03/03/2025 08:00",
       "05/03/2025 17:00", "04/03/2025 16:30", "Đã trả kết quả"]


def _rows(n=3):
    return [[f"HS{i}", *ROW[1:]] for i in range(1, n + 1)]


# ---------------------------------------------------------------- item 1
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40) | st.sampled_from([
    "2025-03-01T08:30:15+07", "2025-03-01T08:30+0700", "2025-03-01T08:30:15.5-01", "20250301T0830Z", "1e400",
    "-0", "NaN", "inf", "9" * 30, "null", "[]", "{}", "0x1F", "１２", "٣", "\x00", "=1+1", "  ", "31/12/1899",
    "2025-02-29", "24:00", "True", "ĐÃ TRẢ KẾT QUẢ", "\u0301"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(col=st.integers(0, len(HEAD) - 1), value=ANY_TEXT, shape=st.sampled_from(["csv", "json"]))
def test_any_string_in_any_field_quarantines_at_most_that_row(tmp_path_factory, col, value, shape):
    tmp = tmp_path_factory.mktemp("p")
    wh = tmp / "w.duckdb"
    if shape == "csv":
        rows = _rows()
        rows[1][col] = value
        f = write_csv(tmp / "f.csv", rows)
    else:
        keys = ["MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "DonViXuLy", "NoiNopHoSo", "KenhThucHien",
                "NgayTiepNhan", "NgayHenTra", "NgayTra", "TrangThaiHoSo"]
        recs = [dossier(f"HS{i}") for i in range(1, 4)]
        recs[1][keys[col]] = value
        f = write_json(tmp / "f.json", recs)
    (r,) = ingest_files([f], warehouse=wh, units=UNITS)
    assert r.rows_read == 3 and r.rows_read == r.rows_stored + r.rows_quarantined
    stored = {c for (c,) in query(wh, "SELECT ma_ho_so FROM dossiers")}
    assert {"HS1", "HS3"} <= stored  # the other rows are always stored
    assert {int(q["row"]) for q in qlines(r)} <= ({3} if shape == "csv" else {2})


# ---------------------------------------------------------------- item 4
def test_duplicated_header_column_refused_naming_it(tmp_path, wh):
    head = HEAD + ["Trạng thái"]
    f = write_csv(tmp_path / "d.csv", [ROW + ["Đang xử lý"]], head=head)
    with pytest.raises(InputError, match=r"d\.csv: row 1: column 'Trạng thái' \(column K\) and column 'Trạng thái' "
                                         r"\(column L\) both give trang_thai; .* delete or rename one"):
        ingest_files([f], warehouse=wh, units=UNITS)
    wb = Workbook()
    ws = wb.active
    ws.append(["DANH SÁCH"])
    ws.append(HEAD[:2] + ["mã hồ sơ "] + HEAD[2:])  # the same header written another way (case, space)
    ws.append(ROW[:2] + ["HS9"] + ROW[2:])
    wb.save(tmp_path / "d.xlsx")
    with pytest.raises(InputError, match=r"d\.xlsx: row 2: column 'Mã hồ sơ' \(column A\) and column 'mã hồ sơ ' "
                                         r"\(column C\) both give ma_ho_so"):
        ingest_files([tmp_path / "d.xlsx"], warehouse=wh, units=UNITS)
    assert query(wh, "SELECT count(*) FROM dossiers") == [(0,)]


# ---------------------------------------------------------------- item 10
def test_data_array_after_meta_is_streamed(tmp_path, wh, monkeypatch):
    recs = [dossier(f"HS{i}") for i in range(1, 2001)]
    meta = {"nguon": "DVCQG", "ghi_chu": "x" * 200_000, "so_ban_ghi": 2000, "ds": [1, 2, {"a": "]"}]}
    f = tmp_path / "m.json"
    f.write_text(json.dumps({"meta": meta, "count": 2000, "data": recs, "tail": {"ok": True}}, ensure_ascii=False),
                 encoding="utf-8")

    def whole(*a, **k):  # reading the whole document is what must not happen
        raise AssertionError("the JSON document was read whole")

    monkeypatch.setattr(readers.json, "load", whole)
    seen = []
    orig = readers._iter_array

    def spy(fh, path, rest):
        seen.append(len(rest))
        return orig(fh, path, rest)

    monkeypatch.setattr(readers, "_iter_array", spy)
    (r,) = ingest_files([f], warehouse=wh, units=UNITS)
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (2000, 2000, 0)
    assert len(seen) == 1 and seen[0] < 2 * readers._BLOCK + 300_000


def test_object_without_data_array_is_one_line_error(tmp_path, wh):
    f = tmp_path / "n.json"
    f.write_text(json.dumps({"meta": {"a": 1}, "items": [dossier("A")]}, indent=1), encoding="utf-8")
    with pytest.raises(InputError, match=r"n\.json: a JSON object must hold the dossiers as a list under \"data\""):
        ingest_files([f], warehouse=wh, units=UNITS)
