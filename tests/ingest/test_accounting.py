"""Row accounting on messy files: rows read = stored + quarantined, every quarantined row has a line, and the
stored rows are exactly the rows without a problem."""

from __future__ import annotations

import csv

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tthc.ingest import ingest_files

from ingest_helpers import HEAD, UNITS, query, write_csv

CELLS = {
    "Mã hồ sơ": st.sampled_from(["A", "B", "C", "", "=1+1"]),
    "Mã TTHC": st.sampled_from(["T1", "", "<i>T</i>"]),
    "Tên thủ tục hành chính": st.sampled_from(["Khai sinh", "", "x" * 1001]),
    "Mã lĩnh vực": st.sampled_from(["HT", ""]),
    "Đơn vị xử lý": st.sampled_from(["X001", "P002", "", "Q1"]),
    "Nơi tiếp nhận": st.sampled_from(["X001", ""]),
    "Hình thức nộp": st.sampled_from(["Trực tuyến", "trực tiếp", "", "2", "Fax"]),
    "Ngày tiếp nhận": st.sampled_from(["03/03/2025", "2025-03-04T08:00:00", "31/02/2025", ""]),
    "Ngày hẹn trả": st.sampled_from(["05/03/2025", "", "01/03/2025"]),
    "Ngày trả kết quả": st.sampled_from(["", "20250306000000", "2025-13-01"]),
    "Trạng thái": st.sampled_from(["Đang xử lý", "10", "Đã hủy", ""]),
}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.fixed_dictionaries(CELLS), min_size=1, max_size=12))
def test_accounting_holds(tmp_path_factory, rows):
    d = tmp_path_factory.mktemp("acc")
    f = write_csv(d / "m.csv", [[r[h] for h in HEAD] for r in rows])
    (res,) = ingest_files([f], warehouse=d / "w.duckdb", units=UNITS)
    assert res.rows_read == len(rows) == res.rows_stored + res.rows_quarantined
    bad = set()
    if res.quarantine_path:
        with open(res.quarantine_path, encoding="utf-8-sig") as fh:
            bad = {int(q["row"]) for q in csv.DictReader(fh)}
    stored = {r for (r,) in query(d / "w.duckdb", "SELECT dong_nguon FROM dossiers")}
    assert len(bad) == res.rows_quarantined and len(stored) == res.rows_stored
    assert stored | bad == set(range(2, len(rows) + 2)) and not stored & bad
