"""Regenerates the small bad-input files in this folder (committed; run only if the set must change).

Every CSV uses the motcua_hd headers; row 2 (the first data row) is always a valid dossier so that each file also
checks that good rows next to bad ones are stored."""

import csv
from pathlib import Path

HERE = Path(__file__).parent
HEAD = ["Mã hồ sơ", "Mã TTHC", "Tên thủ tục hành chính", "Mã lĩnh vực", "Đơn vị xử lý", "Hình thức nộp",
        "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày trả kết quả", "Trạng thái"]
GOOD = ["G1", "T1", "Cấp bản sao trích lục hộ tịch", "L1", "X001", "Trực tuyến", "03/03/2025 08:00",
        "05/03/2025", "04/03/2025 10:00", "Đã trả kết quả"]


def write(name, rows, head=HEAD):
    with (HERE / name).open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(head)
        w.writerows(rows)


def main():
    (HERE / "empty.csv").write_bytes(b"")
    write("wrong_headers.csv", [["1", "2", "3"]], head=["Code", "Procedure", "Date"])
    (HERE / "not_json.json").write_text("hello, this is not JSON\n", encoding="utf-8")
    bad = dict(zip(HEAD, GOOD))
    def r(code, **over):
        d = dict(bad, **{"Mã hồ sơ": code}, **over)
        return [d[h] for h in HEAD]
    write("impossible_date.csv", [GOOD, r("B1", **{"Ngày tiếp nhận": "31/02/2025"})])
    write("end_before_received.csv", [GOOD, r("B1", **{"Ngày tiếp nhận": "10/03/2025 08:00",
                                                       "Ngày hẹn trả": "07/03/2025"})])
    write("unknown_status.csv", [GOOD, r("B1", **{"Trạng thái": "Đã hủy"}), r("B2", **{"Trạng thái": "12"})])
    write("unknown_channel.csv", [GOOD, r("B1", **{"Hình thức nộp": "Fax"}), r("B2", **{"Hình thức nộp": "7"})])
    write("unknown_unit.csv", [GOOD, r("B1", **{"Đơn vị xử lý": "Z999"})])
    write("duplicate_codes.csv", [GOOD, r("D1"), r("D1", **{"Trạng thái": "Đang xử lý"}), r("D2"), r("D2")])
    write("long_field.csv", [GOOD, r("B1", **{"Tên thủ tục hành chính": "A" * 10_000})])
    write("formula.csv", [GOOD, r("B1", **{"Tên thủ tục hành chính": '=HYPERLINK("http://evil.example","bấm")'})])
    write("html.csv", [GOOD, r("B1", **{"Tên thủ tục hành chính": "<script>alert(1)</script>"}),
                       r("B2", **{"Mã TTHC": "<b>T1</b>"})])


if __name__ == "__main__":
    main()
