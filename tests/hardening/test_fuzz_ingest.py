"""Fuzzing the ingest (issue "Hardening", item 1).

Every input — random bytes, truncated or mutated real sample exports, structurally random DVCQG records, random
CSV/XLSX cells, wrong encodings, deep nesting, giant cells, huge headers, many junk rows, Excel merged cells and
formulas — must end in a clean result or a :class:`tthc.errors.TthcError`, never another exception; and for every
file the row accounting holds: rows read = stored + quarantined, the warehouse grows by exactly ``rows_new``, the
quarantine CSV names exactly the quarantined rows, and a failed file leaves the warehouse untouched. The nastiest
inputs also go through the CLI in a subprocess with a timeout and an address-space limit (no hang, no blow-up).
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import hardening_helpers as hh
from tthc.errors import TthcError

# examples per property (env TTHC_FUZZ_SCALE multiplies them for a long run); no shrinking: it can take minutes
SCALE = float(os.environ.get("TTHC_FUZZ_SCALE", "1"))


def n_ex(n: int) -> int:
    return max(1, int(n * SCALE))


FUZZ = settings(max_examples=n_ex(20), deadline=None, derandomize=True, database=None,
                phases=(Phase.explicit, Phase.reuse, Phase.generate),
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

HEAD = ["Mã hồ sơ", "Mã TTHC", "Tên thủ tục hành chính", "Mã lĩnh vực", "Đơn vị xử lý", "Hình thức nộp",
        "Ngày tiếp nhận", "Ngày hẹn trả", "Trạng thái", "Phiếu xin lỗi", "Mức độ hài lòng"]
JSON_KEYS = ["MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "DonViXuLy", "NoiNopHoSo", "KenhThucHien",
             "NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "TrangThaiHoSo",
             "ThoiHanGiaiQuyet", "DuocThanhToanTrucTuyen", "CoPhieuXinLoi", "DongBoDVCQG", "TaiLieuNop",
             "DanhSachGiayToKetQua", "DanhSachLePhi", "DanhSachHoSoBoSung", "DanhGiaHaiLong", "ChuHoSo"]


class Harness:
    """One warehouse shared by the examples of a test; every ingest is checked against the accounting rules."""

    def __init__(self, base: Path):
        from tthc.units import load_registry

        self.base = base
        self.wh = base / "w" / "warehouse.duckdb"
        self.reg = load_registry(hh.REPO / "params" / "units.yaml")
        self.n = 0
        self.outcomes = {"ok": 0, "error": 0}

    def state(self):
        import duckdb

        if not self.wh.exists():
            return 0, None, 0
        con = duckdb.connect(str(self.wh), read_only=True)
        try:
            n, h = con.execute("SELECT count(*), sum(hash(ma_ho_so, phien_ban, ma_tthc, trang_thai)) "
                               "FROM dossiers").fetchone()
            nlog = con.execute("SELECT count(*) FROM ingest_log").fetchone()[0]
            return n, h, nlog
        finally:
            con.close()

    def last_log(self):
        import duckdb

        con = duckdb.connect(str(self.wh), read_only=True)
        try:
            return con.execute("SELECT status, rows_read, rows_stored, rows_quarantined, rows_new, message "
                               "FROM ingest_log ORDER BY ingest_id DESC LIMIT 1").fetchone()
        finally:
            con.close()

    def ingest(self, name: str, data: bytes):
        from tthc.ingest import ingest_files

        self.n += 1
        p = self.base / f"in{self.n:05d}" / name
        p.parent.mkdir()
        p.write_bytes(data)
        before = self.state()
        try:
            res = ingest_files([p], warehouse=self.wh, units=self.reg)[0]
        except TthcError as e:
            msg = str(e)
            assert "\n" not in msg.strip() and len(msg) < 2000, msg
            after = self.state()
            assert after[:2] == before[:2], "a failed file changed the warehouse"
            if after[2] > before[2]:
                assert self.last_log()[0] == "error"
            self.outcomes["error"] += 1
            return None
        self.outcomes["ok"] += 1
        after = self.state()
        assert res.rows_read == res.rows_stored + res.rows_quarantined
        assert res.rows_stored == res.rows_new + res.rows_replaced + res.rows_unchanged + res.rows_older
        assert after[0] - before[0] == res.rows_new
        if res.already_ingested:
            assert after == before
            return res
        log = self.last_log()
        assert log[:5] == ("ok", res.rows_read, res.rows_stored, res.rows_quarantined, res.rows_new)
        if res.quarantine_path is not None:
            with open(res.quarantine_path, encoding="utf-8-sig", newline="") as f:
                rows = {r["row"] for r in csv.DictReader(f)}
            assert len(rows) == res.rows_quarantined
        else:
            assert res.rows_quarantined == 0
        return res


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory):
    """Real sample exports (DVCQG JSON + one-stop XLSX, 300 dossiers) and a CSV made from the XLSX."""
    from openpyxl import load_workbook

    from tthc.sample import write_sample

    d = tmp_path_factory.mktemp("sample")
    js, xl = write_sample(d, n=300, seed=7, units=hh.REPO / "params" / "units.yaml")
    wb = load_workbook(xl, read_only=True)
    buf = io.StringIO()
    w = csv.writer(buf)
    for row in wb.worksheets[0].iter_rows(values_only=True):
        w.writerow(["" if v is None else (v.strftime("%d/%m/%Y %H:%M") if isinstance(v, datetime) else v)
                    for v in row])
    wb.close()
    cs = d / "motcua.csv"
    cs.write_text(buf.getvalue(), encoding="utf-8")
    return {"json": js.read_bytes(), "xlsx": xl.read_bytes(), "csv": cs.read_bytes()}


@pytest.fixture
def harness(tmp_path, request, tally):
    h = Harness(tmp_path)
    yield h
    tally("inputs fuzzed", h.n, f"{request.node.name}: {h.outcomes}")


EXT = {"json": ".json", "xlsx": ".xlsx", "csv": ".csv"}


def test_sample_exports_ingest_cleanly(harness, sample_files):
    """Baseline: the untouched exports are read completely (nothing quarantined)."""
    for kind, data in sample_files.items():
        res = harness.ingest("export" + EXT[kind], data)
        assert res is not None and res.rows_read > 0 and res.rows_quarantined == 0, (kind, res)
    assert harness.state()[0] == 300 + 0  # the CSV repeats the XLSX dossiers: unchanged, not new


@settings(FUZZ, max_examples=n_ex(25))
@given(data=st.binary(min_size=0, max_size=4096), ext=st.sampled_from([".json", ".jsonl", ".csv", ".xlsx", ".txt",
                                                                       ".parquet"]))
def test_random_bytes(harness, data, ext):
    harness.ingest("random" + ext, data)


@FUZZ
@given(kind=st.sampled_from(["json", "xlsx", "csv"]), frac=st.floats(0.0, 1.0))
def test_truncated_sample_exports(harness, sample_files, kind, frac):
    data = sample_files[kind]
    harness.ingest("cut" + EXT[kind], data[: int(len(data) * frac)])


@FUZZ
@given(kind=st.sampled_from(["json", "csv", "xlsx"]), seed=st.integers(0, 2**32 - 1),
       n=st.integers(1, 40))
def test_mutated_sample_exports(harness, sample_files, kind, seed, n):
    rnd = random.Random(seed)
    b = bytearray(sample_files[kind])
    for _ in range(n):
        i = rnd.randrange(len(b))
        op = rnd.random()
        if op < 0.5:
            b[i] = rnd.randrange(256)
        elif op < 0.75:
            del b[i: i + rnd.randint(1, 64)]
        else:
            b[i:i] = bytes(rnd.choice([b'"', b"[", b"{", b",", b";", b"\n", b"\x00", b"\xff", b"=1+1", b"<b>"]))
    harness.ingest("mut" + EXT[kind], bytes(b))


_scalar = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True)
           | st.text(max_size=30) | st.sampled_from(["20250303080000", "03/03/2025 08:00", "2025-02-30", "X001",
                                                    "=cmd|' /C calc'!A0", "<script>x</script>", "Đã tiếp nhận"]))
_json_value = st.recursive(_scalar, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c,
                                                                                         max_size=3), max_leaves=8)


def _record():
    base = {"MaHoSo": st.text(min_size=1, max_size=12), "MaTTHC": st.just("1.000001"), "MaLinhVuc": st.just("HT"),
            "DonViXuLy": st.sampled_from(["X001", "P005", "H001", "ZZZ", ""]),
            "NgayTiepNhan": st.just("20250303080000"), "TrangThaiHoSo": st.integers(0, 11)}
    extra = st.dictionaries(st.sampled_from(JSON_KEYS), _json_value, max_size=8)
    return st.tuples(st.fixed_dictionaries(base), extra).map(lambda t: {**t[0], **t[1]})


@settings(FUZZ, max_examples=n_ex(30))
@given(records=st.lists(_record() | _json_value, min_size=1, max_size=12),
       shape=st.sampled_from(["array", "data", "lines"]))
def test_structurally_random_json_records(harness, records, shape):
    if shape == "array":
        text = json.dumps(records, ensure_ascii=False)
    elif shape == "data":
        text = json.dumps({"data": records}, ensure_ascii=False)
    else:
        text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    harness.ingest("rec.jsonl" if shape == "lines" else "rec.json", text.encode("utf-8"))


_cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40) | st.sampled_from(
    ["X001", "P005", "03/03/2025", "20250303080000", "Đã tiếp nhận", "Trực tuyến", "Có", "=1+1", "@SUM(1)"])


@settings(FUZZ, max_examples=n_ex(25))
@given(rows=st.lists(st.lists(_cell, min_size=0, max_size=len(HEAD) + 2), max_size=15),
       sep=st.sampled_from([",", ";", "\t"]), enc=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_random_csv_cells(harness, rows, sep, enc):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep)
    w.writerow(HEAD)
    w.writerows(rows)
    harness.ingest("cells.csv", buf.getvalue().encode(enc))


_xcell = (st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
          | st.datetimes(min_value=datetime(1800, 1, 1), max_value=datetime(2200, 1, 1)) | _cell)


@settings(FUZZ, max_examples=n_ex(15))
@given(rows=st.lists(st.lists(_xcell, max_size=len(HEAD)), max_size=10))
def test_random_xlsx_cells(harness, rows):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEAD)
    buf = io.BytesIO()
    try:
        for r in rows:
            ws.append(r)
        wb.save(buf)
    except Exception:  # openpyxl refuses control characters: not a workbook anyone can send us
        return
    harness.ingest("cells.xlsx", buf.getvalue())


def _row(i, unit="X001"):
    return [f"HS-{i}", "1.000001", "Đăng ký khai sinh", "HT", unit, "Trực tuyến", "03/03/2025 08:00",
            "05/03/2025 17:00", "Đã tiếp nhận", "Không", ""]


def test_excel_merged_cells_and_formulas(harness):
    """Merged title and data cells, formulas (stored without cached values) and a formula-looking text cell."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["BÁO CÁO HỒ SƠ"])
    ws.merge_cells("A1:K1")
    ws.append(HEAD)
    for i in range(1, 7):
        ws.append(_row(i))
    ws["B4"] = "=B3"                     # a formula where the procedure code belongs (no cached value)
    ws["C5"] = "=HYPERLINK(\"http://x\",\"y\")"  # a formula in an optional text column
    ws.merge_cells("E6:E7")             # merged unit cell: the lower row reads as empty
    ws["A8"] = "=CONCATENATE(\"HS-\",8)"  # a formula as the dossier code
    res = harness.ingest("merged.xlsx", _save(wb))
    assert res is not None and res.rows_read == 6
    # formulas are read as their cached values (none here): never evaluated, never stored as formula text
    reasons = {(r["row"], r["column"]): r["reason_code"] for r in _qrows(res)}
    assert reasons == {("4", "ma_tthc"): "missing_required", ("7", "don_vi_xu_ly"): "missing_required",
                       ("8", "ma_ho_so"): "missing_required"}, reasons
    assert res.rows_stored == 3 and res.rows_quarantined == 3
    import duckdb

    con = duckdb.connect(str(harness.wh), read_only=True)
    try:
        got = con.execute("SELECT ma_ho_so, ten_tthc FROM dossiers WHERE tep_nguon = 'merged.xlsx' "
                          "ORDER BY ma_ho_so").fetchall()
    finally:
        con.close()
    assert got == [("HS-1", "Đăng ký khai sinh"), ("HS-3", None), ("HS-4", "Đăng ký khai sinh")]


def _save(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _qrows(res):
    with open(res.quarantine_path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_wrong_encodings(harness):
    """cp1258 and BOM-less UTF-16 are refused with a clean message; UTF-16 with a BOM is read."""
    text = ";".join(HEAD) + "\n" + ";".join(_row(1)) + "\n"
    outcomes = {}
    for enc in ("cp1258", "utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "latin-1"):
        res = harness.ingest(f"{enc}.csv", text.encode(enc, errors="replace"))
        outcomes[enc] = None if res is None else (res.rows_stored, res.rows_quarantined)
    js = json.dumps([{"MaHoSo": "J1", "MaTTHC": "1.1", "MaLinhVuc": "HT", "DonViXuLy": "X001",
                      "NgayTiepNhan": "20250303080000", "TrangThaiHoSo": 2, "TenTTHC": "Đăng ký"}],
                    ensure_ascii=False)
    for enc in ("cp1258", "utf-16", "utf-16-le"):
        res = harness.ingest(f"{enc}.json", js.encode(enc, errors="replace"))
        outcomes[enc + ".json"] = None if res is None else (res.rows_stored, res.rows_quarantined)
    assert outcomes["utf-16"] == (1, 0) and outcomes["utf-8-sig"] == (1, 0)
    assert outcomes["cp1258"] is None and outcomes["utf-16-le"] is None and outcomes["cp1258.json"] is None


# -- through the CLI, bounded in time and memory -----------------------------------------------------------------
def _nasty_files(d: Path) -> dict[str, Path]:
    rec = {"MaHoSo": "X001-G", "MaTTHC": "1.1", "MaLinhVuc": "L1", "DonViXuLy": "X001",
           "NgayTiepNhan": "20250102080000", "TrangThaiHoSo": 2}
    out = {}

    def w(name, data):
        p = d / name
        p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        out[name] = p

    deep = 100_000
    w("deep_array.json", "[" * deep + "]" * deep)
    w("deep_in_record.json", '[{"MaHoSo":' + "[" * deep + "]" * deep + "}]")
    w("deep_lines.jsonl", '{"TaiLieuNop":' + "{\"a\":" * deep + "1" + "}" * deep + "}\n")
    w("deep_object.json", '{"data":[' + "{\"k\":" * deep + "0" + "}" * deep + "]}")
    w("giant_cell.json", json.dumps([dict(rec, TenTTHC="Ạ" * (8 << 20)), dict(rec, MaHoSo="X001-H")]))
    w("giant_cell.csv", ";".join(HEAD) + "\n" + ";".join(_row(1)[:2] + ["x" * (16 << 20)] + _row(1)[3:]) + "\n"
      + ";".join(_row(2)) + "\n")
    w("huge_cell.csv", ";".join(HEAD) + "\n" + ";".join(_row(1)[:2] + ["x" * (65 << 20)] + _row(1)[3:]) + "\n")
    w("wide_header.csv", ";".join(HEAD) + ";" + ";".join(f"c{i}" for i in range(200_000)) + "\n")
    w("junk_rows.csv", ";".join(HEAD) + "\n" + "".join(f"junk{i};;;;;;zz;;q;;\n" for i in range(40_000)))
    w("nul_bytes.csv", (";".join(HEAD) + "\n" + ";".join(_row(1)) + "\n").replace("HS-1", "HS\x00-1"))
    w("empty.json", b"")
    w("only_bom.csv", b"\xef\xbb\xbf")
    w("unclosed_quote.csv", ";".join(HEAD) + '\n"HS-1;' + "a" * 1000 + "\n")
    return out


@pytest.mark.slow
def test_nasty_inputs_through_cli(tmp_path, tally):
    root = hh.make_root(tmp_path / "root")
    files = _nasty_files(tmp_path)
    wh = tmp_path / "w" / "warehouse.duckdb"
    results = {}
    for name, p in files.items():
        r = hh.run_cli(["ingest", "--allow-missing", "--warehouse", str(wh), str(p)], root, timeout=240)
        hh.assert_clean(r)
        results[name] = (r.returncode, (r.stdout + r.stderr).strip().splitlines()[-1][:160])
    tally("inputs fuzzed", len(files), "nasty inputs through the CLI (timeout 240 s, RLIMIT_AS 3 GiB)")
    for name in ("deep_array.json", "deep_in_record.json", "deep_lines.jsonl", "deep_object.json", "empty.json",
                 "only_bom.csv"):
        assert results[name][0] == 2, results[name]
    assert "nested too deeply" in results["deep_array.json"][1]
    # giant cells are read and quarantined as text_too_long, the sibling row stored
    assert results["giant_cell.json"] == (0, results["giant_cell.json"][1])
    assert "stored 1" in results["giant_cell.json"][1] and "quarantined 1" in results["giant_cell.json"][1]
    assert results["giant_cell.csv"][0] == 0 and "read 2, stored 1" in results["giant_cell.csv"][1] \
        and "quarantined 1" in results["giant_cell.csv"][1], results["giant_cell.csv"]
    # a CSV field beyond the reader's limit (64 MiB) rejects the file with its line number (clean, exit 2)
    assert results["huge_cell.csv"][0] == 2 and "line 2" in results["huge_cell.csv"][1] \
        and "field larger than field limit" in results["huge_cell.csv"][1], results["huge_cell.csv"]
    assert "read 40000, stored 0" in results["junk_rows.csv"][1] and "quarantined 40000" in results["junk_rows.csv"][1]
    assert "read 0" in results["wide_header.csv"][1]
    assert "read 1, stored 0" in results["unclosed_quote.csv"][1]  # the open quote runs to the end: one bad row


def test_absurd_numbers_in_code_columns(harness):
    """Found by test_random_xlsx_cells: 9.4e18 in a status cell crashed the Int64 cast (TypeError). Absurd numbers
    in coded columns are quarantined like any unknown code."""
    base = {"MaTTHC": "1.1", "MaLinhVuc": "HT", "DonViXuLy": "X001", "NgayTiepNhan": "20250303080000"}
    recs = [dict(base, MaHoSo="A1", TrangThaiHoSo=2**70), dict(base, MaHoSo="A2", TrangThaiHoSo=9.378146701406396e18),
            dict(base, MaHoSo="A3", TrangThaiHoSo="1" * 400), dict(base, MaHoSo="A4", TrangThaiHoSo=2,
                                                                   KenhThucHien=-2**63),
            dict(base, MaHoSo="A5", TrangThaiHoSo=2)]
    res = harness.ingest("absurd.json", json.dumps(recs).encode())
    assert res is not None and (res.rows_stored, res.rows_quarantined) == (1, 4)
    assert {r["reason_code"] for r in _qrows(res)} == {"unknown_status", "unknown_channel"}


def test_sample_json_export_is_strict_json(sample_files):
    """Found while fuzzing: applicants without e-mail were written as ``"EmailChuHoSo":NaN``, which is not JSON
    (RFC 8259); strict readers (other offices' tools, jq, browsers) reject the whole export."""
    def refuse(name):
        raise ValueError(f"non-JSON constant {name}")

    recs = json.loads(sample_files["json"], parse_constant=refuse)
    assert any(r["EmailChuHoSo"] is None for r in recs) and any(isinstance(r["EmailChuHoSo"], str) for r in recs)


def test_parquet_unsigned_and_huge_integers(harness):
    """Found by probing Parquet types: a uint64 status of 2^63+5 crashed the DuckDB fast path (ConversionException)
    and the general path (Int64 cast). It is quarantined like any unknown code."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pa.table({"ma_ho_so": ["Q1", "Q2", "Q3"], "ma_tthc": ["1.1"] * 3, "ma_linh_vuc": ["HT"] * 3,
                  "don_vi_xu_ly": ["X001"] * 3, "ngay_tiep_nhan": [datetime(2025, 3, 3)] * 3,
                  "trang_thai": pa.array([2**63 + 5, 2, 2**64 - 1], type=pa.uint64()),
                  "kenh": pa.array([1, 2, 3], type=pa.uint64())})
    buf = io.BytesIO()
    pq.write_table(t, buf)
    res = harness.ingest("u64.parquet", buf.getvalue())
    assert res is not None and (res.rows_stored, res.rows_quarantined) == (1, 2)
    assert res.reasons == {"unknown_status": 2}
