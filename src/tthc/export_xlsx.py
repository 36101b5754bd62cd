"""The official Biểu số 06 workbook (Circular 01/2020/TT-VPCP) with openpyxl.

Sheet "Bieu06": title, "Kỳ báo cáo: từ ngày … đến ngày …", "Đơn vị báo cáo", "Đơn vị nhận báo cáo", unit of count
"Số hồ sơ TTHC", the 13 numbered columns under merged two-level headers, field rows grouped by level for the unit and
its descendants, a total row per unit. Sheet "ChiTieu": D1–D7 (value, target, status, gap).
Numbers are typed as numbers; text is made inert (control characters stripped, a leading = + - @ is prefixed with an
apostrophe and stored as a string) so a field name can never become a formula.
"""

from __future__ import annotations

import re
from pathlib import Path

from .periods import Period, parse_period

_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def safe_text(v) -> str:
    """Text that Excel and LibreOffice show as typed: no control characters, no leading formula sign."""
    s = _CTRL.sub("", "" if v is None else str(v))
    if s[:1] in ("=", "+", "-", "@", "\t", "\r"):
        s = "'" + s
    return s


def _put(ws, row, col, value, **style):
    c = ws.cell(row=row, column=col)
    if isinstance(value, str):
        c.value = safe_text(value)
        c.data_type = "s"
    else:
        c.value = value
    for k, v in style.items():
        setattr(c, k, v)
    return c


HEADERS = [
    (1, "STT"), (2, "Lĩnh vực, công việc giải quyết theo cấp"),
]


def write_bieu06_workbook(path, unit: str, period, window: str = "calendar", cube_dir=None, registry=None,
                          receiver: str | None = None, lang: str = "vi") -> Path:
    """Write the Biểu 06 workbook for ``unit`` (and its descendants) and return its path."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    from .engine import query
    from .units import LEVEL_NAMES_VI, LEVELS, load_registry

    p: Period = period if isinstance(period, Period) else parse_period(period)
    reg = registry or load_registry()
    u = reg.get(unit)
    a, b = p.bounds(window)
    rows = query.bieu06(p.code, window, unit=unit, cube_dir=cube_dir, descendants=True)
    if receiver is None:
        receiver = reg.get(u.parent).name if u.parent and u.parent in reg else "Văn phòng UBND tỉnh"
    wb = Workbook()
    ws = wb.active
    ws.title = "Bieu06"
    bold = Font(bold=True)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    _put(ws, 1, 1, "Biểu số 06", font=bold)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=13)
    _put(ws, 2, 1, "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT TTHC TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT TTHC",
         font=bold, alignment=center)
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=13)
    _put(ws, 3, 1, f"Kỳ báo cáo: từ ngày {a:%d/%m/%Y} đến ngày {b:%d/%m/%Y}", alignment=center)
    _put(ws, 4, 1, f"Đơn vị báo cáo: {u.name}")
    _put(ws, 5, 1, f"Đơn vị nhận báo cáo: {receiver}")
    _put(ws, 6, 13, "Đơn vị tính: Số hồ sơ TTHC")
    h1, h2, h3 = 7, 8, 9
    for col, text in ((1, "STT"), (2, "Lĩnh vực, công việc giải quyết theo cấp")):
        ws.merge_cells(start_row=h1, start_column=col, end_row=h2, end_column=col)
        _put(ws, h1, col, text, font=bold, alignment=center)
    groups = [(3, 6, "Số hồ sơ nhận giải quyết"), (7, 10, "Số hồ sơ đã giải quyết"),
              (11, 13, "Số hồ sơ đang giải quyết")]
    for c1, c2, text in groups:
        ws.merge_cells(start_row=h1, start_column=c1, end_row=h1, end_column=c2)
        _put(ws, h1, c1, text, font=bold, alignment=center)
    sub = {3: "Tổng số", 4: "Trong đó: Trực tuyến", 5: "Trong đó: Trực tiếp, dịch vụ bưu chính",
           6: "Từ kỳ trước", 7: "Tổng số", 8: "Trả trước hạn", 9: "Trả đúng thời hạn", 10: "Trả quá hạn",
           11: "Tổng số", 12: "Trong hạn", 13: "Quá hạn"}
    for col, text in sub.items():
        _put(ws, h2, col, text, font=bold, alignment=center)
    for col in range(1, 14):
        _put(ws, h3, col, f"({col})", alignment=center)
        for r in (h1, h2, h3):
            ws.cell(row=r, column=col).border = box
    r = h3 + 1
    cols = [f"col{i}" for i in range(3, 14)]
    codes_by_level = {}
    for code in [unit, *reg.descendants(unit)]:
        codes_by_level.setdefault(reg.get(code).level, []).append(code)
    stt = 0
    for level in LEVELS:
        present = [c for c in sorted(codes_by_level.get(level, [])) if c in set(rows["unit"])]
        if not present:
            continue
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=13)
        _put(ws, r, 1, LEVEL_NAMES_VI[level].upper(), font=bold)
        r += 1
        for code in present:
            g = rows[rows["unit"] == code]
            _put(ws, r, 2, reg.get(code).name, font=bold)
            r += 1
            for x in g[g["ma_linh_vuc"] != "TONG"].itertuples(index=False):
                stt += 1
                _put(ws, r, 1, stt)
                _put(ws, r, 2, x.ten_linh_vuc)
                for j, c in enumerate(cols, start=3):
                    _put(ws, r, j, int(getattr(x, c)), border=box)
                r += 1
            t = g[g["ma_linh_vuc"] == "TONG"].iloc[0]
            _put(ws, r, 2, f"Cộng {reg.get(code).name}", font=bold)
            for j, c in enumerate(cols, start=3):
                _put(ws, r, j, int(t[c]), font=bold, border=box)
            r += 1
    top = rows[(rows["unit"] == unit) & (rows["ma_linh_vuc"] == "TONG")]
    _put(ws, r, 2, "TỔNG SỐ", font=bold)
    for j, c in enumerate(cols, start=3):
        _put(ws, r, j, int(top[c].iloc[0]) if len(top) else 0, font=bold, border=box)
    ws.column_dimensions["B"].width = 48
    for col in "CDEFGHIJKLM":
        ws.column_dimensions[col].width = 12
    # second sheet: dispatch indicators
    ws2 = wb.create_sheet("ChiTieu")
    for j, h in enumerate(["Mã", "Chỉ tiêu", "Tử số", "Mẫu số", "Giá trị", "Mục tiêu", "Đánh giá",
                           "Số hồ sơ còn thiếu"], start=1):
        _put(ws2, 1, j, h, font=bold)
    from .engine.targets import load_targets

    tg = load_targets()
    ind = query.indicators(p.code, window, units=[unit], cube_dir=cube_dir)
    ind = ind[ind["indicator"].isin(query.D_INDICATORS)]
    for i, x in enumerate(ind.itertuples(index=False), start=2):
        _put(ws2, i, 1, x.indicator)
        _put(ws2, i, 2, tg.indicators[x.indicator].name_vi)
        _put(ws2, i, 3, int(x.numerator))
        _put(ws2, i, 4, int(x.denominator))
        # no data (value), or no target in force for the unit on the period's end (target, status, gap): empty
        # cells, as in the report, never "nan"
        if x.value == x.value:  # not NaN
            _put(ws2, i, 5, float(x.value))
        if x.target == x.target:
            _put(ws2, i, 6, float(x.target))
        _put(ws2, i, 7, x.status if isinstance(x.status, str) else "")
        if x.gap == x.gap:
            _put(ws2, i, 8, int(x.gap))
    ws2.column_dimensions["B"].width = 60
    _sheet766(wb.create_sheet("BoChiSo766"), unit, p.code, cube_dir, bold)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _sheet766(ws, unit: str, period: str, cube_dir, bold) -> None:
    """The 766 items of the unit for the period (calendar months, as the index counts), under the rules version in
    force at the period's end (or ``--rules``); the first line names the version."""
    from .engine import query

    it = query.index766(unit, period, "calendar", cube_dir=cube_dir)
    version = it["rules_version"].iloc[0] if "rules_version" in it.columns and len(it) else ""
    _put(ws, 1, 1, f"Bộ chỉ số 766 — phiên bản quy tắc: {version}", font=bold)
    for j, h in enumerate(["Mã", "Nhóm", "Tử số", "Mẫu số", "Điểm", "Điểm tối đa", "Ghi chú"], start=1):
        _put(ws, 2, j, h, font=bold)
    for i, x in enumerate(it.to_dict("records"), start=3):
        _put(ws, i, 1, x["item"])
        _put(ws, i, 2, x["group_name"])
        for j, k in ((3, "numerator"), (4, "denominator"), (5, "score")):
            if x[k] == x[k]:  # not NaN
                _put(ws, i, j, round(float(x[k]), 4) if k == "score" else int(x[k]))
        _put(ws, i, 6, float(x["points_max"]))
        note = x["note"] if isinstance(x["note"], str) else ""
        _put(ws, i, 7, note or ("" if x["computable"] else "không đủ dữ liệu"))
    ws.column_dimensions["B"].width = 30
    ws.column_dimensions["G"].width = 50
