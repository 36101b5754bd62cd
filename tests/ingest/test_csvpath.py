"""The CSV fast path (DuckDB + set-based SQL, tthc/ingest/csvpath.py) against the general row-wise path: identical
stored rows, identical quarantine lines (row, column, reason code, value shown) and counts, on a realistic export
with every bad-value kind, on hand-made edge cases, and on random cell values; files the fast path must not read
(blank lines between multi-line records, short rows, UTF-16) take the general path and still give its answer."""

from __future__ import annotations

import csv
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tthc.ingest import csvpath, ingest_files, pipeline

from ingest_helpers import HEAD, UNITS, qlines, query, write_csv


def _both(tmp_path, f, monkeypatch, units=UNITS):
    """Ingest ``f`` by each path into its own warehouse; returns {fast: (counts, lines, rows)} and whether the fast
    path really read the file."""
    used = []
    orig = csvpath.load

    def spy(con, path, sm, *a):
        p = orig(con, path, sm, *a)
        used.append(p is not None)
        return p

    monkeypatch.setattr(csvpath, "load", spy)
    out = {}
    for fast in (True, False):
        monkeypatch.setattr(pipeline, "FAST_CSV", fast)
        w = tmp_path / ("fast" if fast else "general") / "w.duckdb"
        (r,) = ingest_files([f], warehouse=w, units=units)
        lines = [(q["row"], q["column"], q["reason_code"], q["value"]) for q in qlines(r)]
        rows = query(w, "SELECT * EXCLUDE (ingest_id) FROM dossiers ORDER BY ma_ho_so")
        out[fast] = ((r.rows_read, r.rows_stored, r.rows_quarantined, r.reasons, r.unmapped, r.empty), lines, rows)
    return out, used == [True]


def test_realistic_export_with_every_bad_kind(tmp_path, monkeypatch):
    from tthc.bench.ingest_file import BAD_KINDS, write_export_csv

    f = tmp_path / "motcua.csv"
    kinds = write_export_csv(f, 2_000, seed=7, bad_share=0.05)
    assert set(kinds) == set(BAD_KINDS) and min(kinds.values()) >= 4
    out, fast_used = _both(tmp_path, f, monkeypatch, units=None)
    assert fast_used
    assert out[True] == out[False]
    (read, stored, quarantined, reasons, *_), lines, rows = out[True]
    assert read == 2_000 and read == stored + quarantined
    codes = {"bad_number" if k == "bad_number_word" else k for k in BAD_KINDS}
    assert codes <= set(reasons), codes - set(reasons)
    # personal columns never reach the warehouse or the quarantine
    text = (tmp_path / "fast" / "quarantine").glob("*.csv")
    with f.open(encoding="utf-8-sig") as fh:
        rdr = csv.reader(fh, delimiter=";")
        next(rdr), next(rdr)
        head = next(rdr)
        first = next(rdr)
    name, cccd = first[head.index("Chủ hồ sơ")], first[head.index("Số CCCD/CMND")]
    blob = "".join(p.read_text(encoding="utf-8-sig") for p in text) + repr(rows)
    assert name and cccd and name not in blob and cccd not in blob


# one-stop headers (HEAD) + a personal column; rows written by hand with the edge cases of CSV text
HEAD2 = HEAD + ["Chủ hồ sơ", "Hạn trả đã điều chỉnh", "Mức độ hài lòng"]
BASE = ["HS1", "1.000001", "Đăng ký khai sinh", "HT", "X001", "X001", "Trực tuyến", "03/03/2025 08:00",
        "05/03/2025 17:00", "04/03/2025 16:30", "Đã trả kết quả", "Nguyễn Văn A", "Không", "Hài lòng"]


def _row(code, **cells):
    r = list(BASE)
    r[0] = code
    for k, v in cells.items():
        r[int(k[1:])] = v
    return r


EDGE_ROWS = [
    _row("E01"),
    _row("E02", c2="Đăng ký\nkhai sinh", c11="Trần\r\nThị B"),        # multi-line cells (a mapped one, a personal one)
    _row("E03", c7=" 03/03/2025 08:00\u00a0", c6="\u3000trực TUYẾN "),  # Unicode spaces around values
    _row("E04", c2=unicodedata.normalize("NFD", "Đăng ký kết hôn")),    # NFD text: stored NFC
    _row("E05", c2="+Tổng(1)"),                                          # formula with a Vietnamese name
    _row("E06", c7="2025-03-03T08:00:00+07:00", c8="3/3/2025", c9="20250304163000"),  # other date forms
    _row("E07", c7="2025-03-03 01:00:00Z", c8="2025-03-10", c9="04/03/2025T16:30"),
    _row("E08", c7="31/02/2025 08:00"),                                  # impossible date
    _row("E09", c7="1999-12-31 08:00:00"),                               # implausible
    _row("E10", c7="01/01/1899 08:00"),                                  # before 1900: unreadable
    ["", "", "", "", "", "", "", "", "", "", "", "", "", ""],            # a row of empty cells: not a record
    _row("E11", c10="10", c6="3", c12="x", c13=""),                      # codes as numbers, yes = x
    _row("E12", c10="Đã hủy", c6="Fax", c12="có lẽ", c13="Tuyệt vời"),  # unknown words
    _row("E13", c4="Z999", c0="E\t13"),                                  # unknown unit, control char
    _row("E14", c2="<b>x</b>", c3="=1+1", c1=""),                        # html, formula, missing required
    _row("E15", c9="01/03/2025 16:30", c8=" "),                          # end before received
    _row("E01"),                                                         # duplicate
    _row("E05", c2="Khác"),                      # another copy of a bad row: stored, not a conflict
    _row("E16", c2="A" * 1001),
]


def test_edge_cases_agree_and_rows_are_spreadsheet_rows(tmp_path, monkeypatch):
    f = tmp_path / "edge.csv"
    with f.open("w", encoding="utf-8-sig", newline="") as fh:
        fh.write("SỞ NỘI VỤ\r\nDANH SÁCH HỒ SƠ\r\n\r\n")
        w = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        w.writerow(HEAD2)
        w.writerows(EDGE_ROWS)
    out, fast_used = _both(tmp_path, f, monkeypatch)
    assert fast_used
    assert out[True] == out[False]
    counts, lines, rows = out[True]
    assert counts[:3] == (18, 8, 10)
    got = {(r, c, k) for r, c, k, _ in lines}
    # header on line 4; E02 spans lines 6-8 (two cells with a line break), so E03 is on line 9, E08 on 14
    assert ("11", "ten_tthc", "formula") in got                 # E05: +Tổng( is a function call
    assert ("14", "ngay_tiep_nhan", "bad_date") in got          # E08
    assert ("15", "ngay_tiep_nhan", "implausible_date") in got  # E09
    assert ("16", "ngay_tiep_nhan", "bad_date") in got          # E10 (1899)
    assert ("19", "trang_thai", "unknown_status") in got and ("19", "muc_hai_long", "bad_value") in got
    assert ("20", "ma_ho_so", "control_char") in got and ("20", "ma_don_vi", "unknown_unit") in got
    assert ("22", "ngay_tra", "end_before_received") in got
    assert ("23", "ma_ho_so", "duplicate", "E01") in {x for x in lines}
    assert len(lines) == 17 and not {k for *_, k in got} & {"duplicate_conflict"}
    stored = {r[0]: r for r in rows}
    assert sorted(stored) == ["E01", "E02", "E03", "E04", "E05", "E06", "E07", "E11"]
    assert stored["E02"][2] == "Đăng ký\nkhai sinh" and stored["E05"][2] == "Khác"
    assert stored["E04"][2] == unicodedata.normalize("NFC", "Đăng ký kết hôn")
    assert [r[-2] for r in rows if r[0] in ("E01", "E02", "E03", "E05")] == [5, 6, 9, 24]  # dong_nguon


def test_files_the_fast_path_leaves_to_the_general_path(tmp_path, monkeypatch):
    rows = [_row("F1", c2="a\nb"), [], _row("F2")]  # a blank line between records and a multi-line cell
    f = write_csv(tmp_path / "b.csv", rows, head=HEAD2)
    out, fast_used = _both(tmp_path / "1", f, monkeypatch)
    assert not fast_used and out[True] == out[False] and out[True][0][:3] == (2, 2, 0)
    g = write_csv(tmp_path / "s.csv", [_row("S1"), _row("S2")[:5]], head=HEAD2)  # a short row
    out, fast_used = _both(tmp_path / "2", g, monkeypatch)
    assert not fast_used and out[True] == out[False]
    h = tmp_path / "u.csv"
    h.write_text("\t".join(HEAD2) + "\n" + "\t".join(_row("U1")) + "\n", encoding="utf-16")
    out, fast_used = _both(tmp_path / "3", h, monkeypatch)
    assert not fast_used and out[True][0][:3] == (1, 1, 0)


def test_blank_lines_without_multiline_cells_stay_fast(tmp_path, monkeypatch):
    f = write_csv(tmp_path / "b.csv", [_row("B1"), [], [], _row("B2", c10="Đã hủy"), []], head=HEAD2)
    out, fast_used = _both(tmp_path, f, monkeypatch)
    assert out[True] == out[False]
    assert out[True][1] == [("5", "trang_thai", "unknown_status", "Đã hủy")]


ANY = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30) | st.sampled_from([
    "2025-03-01T08:30:15+07", "20250301T0830Z", "1e400", "-0", "9" * 30, "１２", "\x00", "=1+1", "  ", "31/12/1899",
    "2025-02-29", "29/02/2024 24:00", "ĐÃ TRẢ KẾT QUẢ", "\u0301", "a\nb", "\u00a0x\u3000", "+Ñ(", "<ſcript>",
    "3/3/2025 8:00", "2025-03-03 08:00", "03/03/2025 08:00:60", "00/01/2025", "Có", "không", "X", "2.0", "2.5",
    "\x00\U00030000"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(col=st.integers(0, len(HEAD2) - 1), value=ANY, other=ANY)
def test_any_value_same_answer_on_both_paths(tmp_path_factory, col, value, other):
    tmp = tmp_path_factory.mktemp("d")
    rows = [_row("R1"), _row("R2"), _row("R3")]
    rows[1][col] = value
    rows[2][(col + 5) % len(HEAD2)] = other
    f = write_csv(tmp / "f.csv", rows, head=HEAD2)
    with pytest.MonkeyPatch.context() as mp:
        out, _ = _both(tmp, f, mp)
    assert out[True] == out[False]


def test_sql_regexes_mean_what_python_means():
    """Patterns with \\s and \\w are Unicode-aware in Python (pandas runs them through re) and ASCII in RE2:
    sql_regex spells them out, so DuckDB flags exactly the values the general path flags."""
    import re

    import duckdb

    from tthc.ingest.validate import _FORMULA, _HTML, sql_regex

    values = ["+Tổng(1)", "+SUM(1)", "+\u00a0SUM(1)", "=x", "- 5", "-Đ|", "+Ñ(", "<b>x</b>", "<\u3000script",
              "javascript\u2003:", "a <Đ>", "x"]
    con = duckdb.connect()
    for pat in (_FORMULA, _HTML):
        py = [bool(re.search(pat, v)) for v in values]
        sql = [con.execute("SELECT regexp_matches(?, ?)", [v, sql_regex(pat)]).fetchone()[0] for v in values]
        assert sql == py, (pat, values)
    assert [bool(re.search(_FORMULA, v)) for v in values[:3]] == [True, True, True]


def test_parquet_fast_path_reads_unicode_formulas_like_the_general_path(tmp_path, monkeypatch):
    import pandas as pd

    df = pd.DataFrame({"ma_ho_so": ["P1", "P2", "P3"], "ma_tthc": ["T", "T", "T"], "ma_linh_vuc": ["L"] * 3,
                       "ten_tthc": ["+Tổng(1)", "+\u00a0SUM(1)", "Khai sinh"], "don_vi_xu_ly": ["X001"] * 3,
                       "ngay_tiep_nhan": pd.to_datetime(["2025-03-03"] * 3), "trang_thai": [4, 4, 4]})
    f = tmp_path / "p.parquet"
    df.to_parquet(f)
    out = {}
    for fast in (True, False):
        monkeypatch.setattr(pipeline, "FAST_PARQUET", fast)
        (r,) = ingest_files([f], warehouse=tmp_path / str(fast) / "w.duckdb", units=UNITS)
        out[fast] = [(q["row"], q["reason_code"]) for q in qlines(r)]
    assert out[True] == out[False] == [("1", "formula"), ("2", "formula")]


def test_quoted_header_is_fast_multiline_title_is_not(tmp_path, monkeypatch):
    """With ',' the header 'Có phí, lệ phí' is quoted: still one record per line above the data, so DuckDB reads
    the file. A title cell spanning two lines makes DuckDB's skip (records) differ from lines: general path."""
    head = HEAD2 + ["Có phí, lệ phí"]
    rows = [_row("Q1") + ["Có"], _row("Q2", c10="Đã hủy") + ["Không"]]
    f = tmp_path / "q.csv"
    with f.open("w", encoding="utf-8", newline="") as fh:
        fh.write("DANH SÁCH\r\n\r\n")
        w = csv.writer(fh)
        w.writerow(head)
        w.writerows(rows)
    out, fast_used = _both(tmp_path / "1", f, monkeypatch)
    assert fast_used and out[True] == out[False]
    assert out[True][1] == [("5", "trang_thai", "unknown_status", "Đã hủy")]
    g = tmp_path / "t.csv"
    g.write_bytes(f.read_bytes().replace("DANH SÁCH\r\n\r\n".encode(), '"DANH SÁCH\r\nHỒ SƠ"\r\n'.encode()))
    out, fast_used = _both(tmp_path / "2", g, monkeypatch)
    assert not fast_used and out[True] == out[False]
    assert out[True][1] == [("5", "trang_thai", "unknown_status", "Đã hủy")]
    # title lines ending in LF above a CRLF body: DuckDB skips differently, the line count disagrees, general path
    h = write_csv(tmp_path / "m.csv", rows, head=head, title_rows=["DANH SÁCH", ""])
    out, fast_used = _both(tmp_path / "3", h, monkeypatch)
    assert not fast_used and out[True][1] == [("5", "trang_thai", "unknown_status", "Đã hủy")]


def _two_loads(tmp_path, first, second, monkeypatch, legacy_pk=False):
    """Ingest ``first`` then ``second`` into one warehouse by each path; returns {fast: (counts of the second
    ingest, the stored rows)}. ``legacy_pk``: the warehouse was created with the old PRIMARY KEY on dossiers."""
    import duckdb

    from tthc.schema import DOSSIER_COLUMNS, META_COLUMNS

    out = {}
    for fast in (True, False):
        monkeypatch.setattr(pipeline, "FAST_CSV", fast)
        w = tmp_path / ("fast" if fast else "general") / "w.duckdb"
        if legacy_pk:
            w.parent.mkdir(parents=True)
            body = ", ".join(f"{c} {t}" for c, t in {**DOSSIER_COLUMNS, **META_COLUMNS}.items())
            with duckdb.connect(str(w)) as con:
                con.execute(f"CREATE TABLE dossiers ({body}, PRIMARY KEY (ma_ho_so))")
        (r1,) = ingest_files([first], warehouse=w, units=UNITS)
        assert (r1.rows_new, r1.rows_stored) == (4, 4)
        (r,) = ingest_files([second], warehouse=w, units=UNITS)
        rows = query(w, "SELECT * EXCLUDE (ingest_id, file_hash, tep_nguon) FROM dossiers ORDER BY ma_ho_so")
        out[fast] = ((r.rows_read, r.rows_stored, r.rows_new, r.rows_replaced, r.rows_unchanged, r.rows_older,
                      r.rows_quarantined), rows)
        assert query(w, "SELECT count(*), count(DISTINCT ma_ho_so) FROM dossiers") == [(5, 5)]
        pk = query(w, "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'dossiers' "
                      "AND constraint_type = 'PRIMARY KEY'")
        assert pk == [(1 if legacy_pk else 0,)]
    return out


@pytest.mark.parametrize("legacy_pk", [False, True])
def test_changed_file_with_overlapping_keys_merges_like_the_general_path(tmp_path, monkeypatch, legacy_pk):
    """First load: every row new (a plain insert). A changed export with the same keys: R1 unchanged, R2 replaced
    (changed name and return date, same version stamp: the later ingest wins), R3 older (its latest date is before the stored one: the stored row stays), R5 new and a
    second identical R5 (a duplicate). The same counts and rows on both paths, and in a warehouse that still has
    the old PRIMARY KEY."""
    first = write_csv(tmp_path / "a.csv", [_row("R1"), _row("R2"), _row("R3"), _row("R4")], head=HEAD2)
    second = write_csv(tmp_path / "b.csv", [
        _row("R1"), _row("R2", c2="Đăng ký lại", c9="05/03/2025 10:00"),
        _row("R3", c2="Bản cũ", c8="04/03/2025 09:00", c9="04/03/2025 08:30"), _row("R5"), _row("R5")], head=HEAD2)
    out = _two_loads(tmp_path, first, second, monkeypatch, legacy_pk)
    assert out[True] == out[False]
    counts, rows = out[True]
    assert counts == (5, 4, 1, 1, 1, 1, 1)  # read, stored, new, replaced, unchanged, older, quarantined
    names = {r[0]: r[2] for r in rows}
    assert names == {"R1": "Đăng ký khai sinh", "R2": "Đăng ký lại", "R3": "Đăng ký khai sinh",
                     "R4": "Đăng ký khai sinh", "R5": "Đăng ký khai sinh"}


@pytest.mark.parametrize("data, want", [
    (b"a;b\r\nc;d\r\n\r\n", 2),       # CRLF, trailing blank line: the last non-empty line is 2
    (b"a;b\nc;d", 2),                 # LF, no final line end
    (b"a;b\r\nc\rd\r\n", None),       # a lone CR inside
    (b"ab\r\ncd\r", None),            # a CR last in the file
    (b"abc\rd\r\nef\r\n", None),      # a lone CR last in a 4-byte block, the next block not starting with LF
    (b"abc\r\nde\r\nf", 3),           # CR last in a block, its LF first in the next
    (b"a;b\r\nc\x00\r\n", None),      # NUL
])
def test_scan_counts_lines_and_refuses_lone_cr(tmp_path, monkeypatch, data, want):
    monkeypatch.setattr(csvpath, "_BLOCK", 4)
    f = tmp_path / "s.csv"
    f.write_bytes(data)
    assert csvpath._scan(f) == want


def test_line_scan_started_beside_the_hash_is_used_once(tmp_path, monkeypatch):
    """ingest_files starts the CSV line scan in a thread while it hashes the file; load takes that result (it does
    not scan again), and no scan is left behind, also for a file already ingested."""
    import duckdb

    from tthc.ingest.readers import detect_source
    from tthc.ingest.sources import load_all_sources

    f = write_csv(tmp_path / "p.csv", [_row("P1"), _row("P2")], head=HEAD2)
    csvpath.prescan(f)
    assert csvpath._SCANS[f].result() == 3
    monkeypatch.setattr(csvpath, "_scan", lambda path: pytest.fail("scanned twice"))
    con = duckdb.connect()
    p = csvpath.load(con, f, detect_source(f, load_all_sources(), None))
    assert p is not None and p.rows == "2 + s.rowid" and f not in csvpath._SCANS
    monkeypatch.undo()
    for _ in range(2):  # stored, then already ingested
        (r,) = ingest_files([f], warehouse=tmp_path / "w.duckdb", units=UNITS)
        assert not csvpath._SCANS
    assert r.already_ingested


def test_a_coded_column_of_mostly_garbage_agrees(tmp_path, monkeypatch):
    """More distinct bad words than good ones in a column: the parse lists the good ones (NOT IN) instead of the
    bad ones; the same rows and lines as the general path."""
    rows = [_row(f"G{i}", c10=w) for i, w in enumerate(["Đã hủy", "??", "abc", "11", "-1", "Đã trả kết quả", ""])]
    f = write_csv(tmp_path / "g.csv", rows, head=HEAD2)
    out, fast_used = _both(tmp_path, f, monkeypatch)
    assert fast_used and out[True] == out[False]
    bad = [(r, v) for r, c, k, v in out[True][1] if k == "unknown_status"]
    assert bad == [("2", "Đã hủy"), ("3", "??"), ("4", "abc"), ("5", "11"), ("6", "-1")]
    assert out[True][0][:3] == (7, 1, 6)  # G5 stored; G6 has no status (missing_required)


def test_parse_memory_cap_is_restored(tmp_path):
    import duckdb

    from tthc.ingest.readers import detect_source
    from tthc.ingest.sources import load_all_sources

    f = write_csv(tmp_path / "m.csv", [_row("M1")], head=HEAD2)
    con = duckdb.connect()
    con.execute("SET memory_limit = '300MB'")
    before = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert csvpath.load(con, f, detect_source(f, load_all_sources(), None), 300) is not None
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == before
