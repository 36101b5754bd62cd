"""Early warning (spec §10): for a day ``D``, every unit's pending dossiers due within ``N`` working days and those
already overdue — the daily list behind "tuyệt đối không để xảy ra tình trạng hồ sơ quá hạn".

A dossier is pending on ``D`` when it was received on or before ``D`` and has not ended by ``D`` (the lifecycle rules
of spec §6, run by the engine's own SQL for the one-day period ``[D, D]``, so supplement pauses, several supplements
and recomputed due dates count exactly as in the reports). ``so_ngay_con_lai`` (working days left) is
``rank(due) − rank(D)`` on the project calendar (holidays and make-up Saturdays, :mod:`tthc.workdays`): 0 = due
today, negative = overdue by that many working days; "due within N working days" means ``so_ngay_con_lai ≤ N``, so a
due date on a day off counts like the working day before it (a dossier due on Friday 02/05/2025, a swapped day off,
has 3 working days left on Friday 25/04/2025 — as many as one due on Tuesday 29/04). ``muc`` is ``qua_han`` (overdue: due before ``D``, or late by
rule) or ``sap_den_han`` (due within ``N`` working days).

The query is column-wise in DuckDB over the warehouse: dossiers ended before ``D`` or received after it are filtered
before the classification, so a province's warehouse answers in seconds (docs/due-soon.md). Only ``ma_ho_so`` and
procedure fields leave the warehouse — never personal data.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = ["ma_don_vi", "ma_ho_so", "ma_tthc", "ten_tthc", "don_vi_tiep_nhan", "ngay_hen_tra", "so_ngay_con_lai",
           "muc", "co_phieu_xin_loi"]
DEFAULT_DAYS = 2


def pending_on(con, day: date, days: int = DEFAULT_DAYS, units: list[str] | None = None, calendar=None,
               rules=None) -> pd.DataFrame:
    """Overdue and due-soon dossiers pending on ``day`` (see the module docstring), most urgent first."""
    from .engine import sql
    from .engine.classify import resolve_rules
    from .workdays import load_calendar

    from .errors import ParameterError

    cal = calendar or load_calendar()
    if not cal.first_year <= day.year < cal.last_year:
        raise ParameterError(f"--date {day.isoformat()}: outside the working-day calendar ({cal.first_year}–"
                             f"{cal.last_year - 1}); give a date in that range")
    rules = resolve_rules(rules)
    sql.register_calendar(con, cal)
    sql.register_periods(con, [dict(pkey=0, period=day.isoformat(), window="calendar", a=day, b=day)], cal, rules)
    d = f"DATE '{day.isoformat()}'"
    where = (f"AND CAST(d.ngay_tiep_nhan AS DATE) <= {d} AND coalesce(CAST(d.ngay_ket_thuc_xu_ly AS DATE), "
             f"CASE WHEN d.trang_thai = 10 THEN CAST(d.ngay_tra AS DATE) END, DATE '9999-12-31') > {d}")
    params: list = []
    if units is not None:
        where += f" AND d.ma_don_vi IN ({', '.join('?' * len(units))})"
        params = list(units)
    q = sql.classified_sql(rules, catalogue=sql.has_catalogue(con), where=where) + f"""
    SELECT c.ma_don_vi, c.ma_ho_so, c.ma_tthc, w.ten_tthc, w.don_vi_tiep_nhan, c.due AS ngay_hen_tra,
           cd.wrank - cb.wrank AS so_ngay_con_lai,
           CASE WHEN c.tien_do = 'qua_han' THEN 'qua_han' ELSE 'sap_den_han' END AS muc,
           c.xin_loi AS co_phieu_xin_loi
    FROM tthc_cls c
    JOIN dossiers w USING (ma_ho_so)
    LEFT JOIN tthc_cal_days cd ON cd.ngay = c.due
    LEFT JOIN tthc_cal_days cb ON cb.ngay = c.b
    WHERE NOT c.da_giai_quyet AND c.due IS NOT NULL
      AND (c.tien_do = 'qua_han' OR cd.wrank - cb.wrank <= {int(days)})
    ORDER BY (c.tien_do <> 'qua_han'), so_ngay_con_lai, c.due, c.ma_don_vi, c.ma_ho_so"""
    df = con.execute(q, params).df()
    df["ngay_hen_tra"] = pd.to_datetime(df["ngay_hen_tra"]).dt.date
    miss = df["so_ngay_con_lai"].isna()
    if miss.any():  # a due date outside the calendar table: count on the calendar's own array (clipped ranks)
        import numpy as np

        due = np.array(df.loc[miss, "ngay_hen_tra"].tolist(), dtype="datetime64[D]")
        start = np.full(len(due), np.datetime64(day, "D"))
        df.loc[miss, "so_ngay_con_lai"] = cal.working_days_between_array(start, due)
    df["so_ngay_con_lai"] = df["so_ngay_con_lai"].astype("int64")
    return df[COLUMNS].reset_index(drop=True)


@dataclass(frozen=True)
class UnitSummary:
    unit: str
    name: str
    overdue: int
    due_today: int
    due_soon: int          # due within the horizon, today included


def summarise(df: pd.DataFrame, names: dict) -> list[UnitSummary]:
    """Per unit: overdue, due today, due within the horizon; most overdue first."""
    out = []
    for u, g in df.groupby("ma_don_vi", sort=False):
        soon = g[g["muc"] == "sap_den_han"]
        out.append(UnitSummary(u, names.get(u, u), int((g["muc"] == "qua_han").sum()),
                               int((soon["so_ngay_con_lai"] == 0).sum()), len(soon)))
    return sorted(out, key=lambda s: (-s.overdue, -s.due_soon, s.unit))


# -- outputs ----------------------------------------------------------------------------------------------------
TEXT = {
    "title": "Cảnh báo hồ sơ quá hạn và sắp đến hạn",
    "summary_title": "Tổng hợp cảnh báo hồ sơ quá hạn và sắp đến hạn",
    "as_of": "Ngày {day}: hồ sơ đang giải quyết đã quá hạn hoặc đến hạn trong {days} ngày làm việc (đến hết ngày {h}).",
    "cols": ["STT", "Mã hồ sơ", "Thủ tục hành chính", "Đơn vị tiếp nhận", "Hạn trả kết quả", "Số ngày làm việc còn lại",
             "Tình trạng"],
    "sum_cols": ["STT", "Mã đơn vị", "Đơn vị", "Quá hạn", "Đến hạn hôm nay", "Sắp đến hạn (kể cả hôm nay)",
                 "Chi tiết"],
    "qua_han": "Quá hạn", "sap_den_han": "Sắp đến hạn", "today": "Đến hạn hôm nay",
    "late_by": "{n} ngày làm việc", "none": "Không có hồ sơ quá hạn hoặc sắp đến hạn.",
    "total": "Tổng cộng", "note": "Hồ sơ chỉ được nêu bằng mã hồ sơ, không có thông tin cá nhân. Ngày làm việc tính "
                                  "theo lịch nghỉ lễ, Tết và ngày làm việc bù theo quy định.",
    "apology": " (đã có phiếu xin lỗi)", "open": "Mở",
}

CSS = """body{font-family:"Liberation Sans","Noto Sans",Arial,sans-serif;margin:1.5rem;color:#1a1a1a;background:#fff}
h1{font-size:1.3rem}table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #777;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#e8eef5}td.num{text-align:right}tr.qua_han td{background:#fde8e8}tr.today td{background:#fff4d6}
.note{color:#333;font-size:.85rem}@media print{body{margin:0}a{color:inherit;text-decoration:none}}
@media (max-width:600px){table{font-size:.8rem}}"""


def _e(x) -> str:
    return html.escape("" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x))


def _status(r) -> tuple[str, str]:
    from .report.fmt import fmt_int

    n = int(r.so_ngay_con_lai)
    if r.muc == "qua_han":
        txt = TEXT["qua_han"] + (f" {TEXT['late_by'].format(n=fmt_int(-n))}" if n < 0 else "")
        return "qua_han", txt + (TEXT["apology"] if bool(r.co_phieu_xin_loi) else "")
    return ("today", TEXT["today"]) if n == 0 else ("soon", TEXT["sap_den_han"])


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_e(title)}</title>'
            f"<style>{CSS}</style></head><body><main>{body}</main></body></html>\n")


def _table_page(cols, rows: list[str], after: str, heading: str, title: str, day: date, days: int,
                horizon: date) -> str:
    """A due-soon page: the heading, the "as of" line, a table of ``rows`` (``after``: rows that follow them, e.g. a
    total) or the "none" line when there is no row, and the note."""
    from .report.fmt import fmt_date, fmt_int

    head = "".join(f'<th scope="col">{_e(c)}</th>' for c in cols)
    table = (f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}{after}</tbody></table>" if rows
             else f"<p>{_e(TEXT['none'])}</p>")
    body = (f"<h1>{_e(heading)}</h1>"
            f"<p>{_e(TEXT['as_of'].format(day=fmt_date(day), days=fmt_int(days), h=fmt_date(horizon)))}</p>"
            f"{table}<p class=\"note\">{_e(TEXT['note'])}</p>")
    return _page(title, body)


def unit_html(df: pd.DataFrame, unit: str, name: str, day: date, days: int, horizon: date) -> str:
    from .report.fmt import fmt_date, fmt_int

    rows = []
    for i, r in enumerate(df.itertuples(index=False), 1):
        cls, st = _status(r)
        rows.append(f'<tr class="{cls}"><td class="num">{i}</td><td>{_e(r.ma_ho_so)}</td>'
                    f"<td>{_e(r.ma_tthc)} – {_e(r.ten_tthc)}</td><td>{_e(r.don_vi_tiep_nhan)}</td>"
                    f'<td>{fmt_date(r.ngay_hen_tra)}</td><td class="num">{fmt_int(r.so_ngay_con_lai)}</td>'
                    f"<td>{_e(st)}</td></tr>")
    return _table_page(TEXT["cols"], rows, "", f"{TEXT['title']}: {name} ({unit})",
                       f"{TEXT['title']} – {unit} – {fmt_date(day)}", day, days, horizon)


def summary_html(summ: list[UnitSummary], day: date, days: int, horizon: date) -> str:
    from .report.fmt import fmt_date, fmt_int

    rows = []
    for i, s in enumerate(summ, 1):
        rows.append(f'<tr><td class="num">{i}</td><td>{_e(s.unit)}</td><td>{_e(s.name)}</td>'
                    f'<td class="num">{fmt_int(s.overdue)}</td><td class="num">{fmt_int(s.due_today)}</td>'
                    f'<td class="num">{fmt_int(s.due_soon)}</td>'
                    f'<td><a href="{_e(s.unit)}.html">HTML</a> · <a href="{_e(s.unit)}.xlsx">XLSX</a></td></tr>')
    tot = (f'<tr><th scope="row" colspan="3">{_e(TEXT["total"])}</th>'
           f'<td class="num">{fmt_int(sum(s.overdue for s in summ))}</td>'
           f'<td class="num">{fmt_int(sum(s.due_today for s in summ))}</td>'
           f'<td class="num">{fmt_int(sum(s.due_soon for s in summ))}</td><td></td></tr>')
    return _table_page(TEXT["sum_cols"], rows, tot, TEXT["summary_title"],
                       f"{TEXT['summary_title']} – {fmt_date(day)}", day, days, horizon)


def unit_xlsx(path: Path, df: pd.DataFrame, unit: str, name: str, day: date, days: int, horizon: date) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    from .export_xlsx import _put
    from .report.fmt import fmt_date, fmt_int

    wb = Workbook()
    ws = wb.active
    ws.title = "CanhBao"
    _put(ws, 1, 1, f"{TEXT['title']}: {name} ({unit})", font=Font(bold=True, size=13))
    _put(ws, 2, 1, TEXT["as_of"].format(day=fmt_date(day), days=fmt_int(days), h=fmt_date(horizon)))
    for j, c in enumerate(TEXT["cols"], 1):
        _put(ws, 4, j, c, font=Font(bold=True))
    red, amber = PatternFill("solid", fgColor="FDE8E8"), PatternFill("solid", fgColor="FFF4D6")
    for i, r in enumerate(df.itertuples(index=False), 1):
        cls, st = _status(r)
        vals = [i, r.ma_ho_so, f"{r.ma_tthc} – {r.ten_tthc}", r.don_vi_tiep_nhan or "", r.ngay_hen_tra,
                int(r.so_ngay_con_lai), st]
        for j, v in enumerate(vals, 1):
            c = _put(ws, 4 + i, j, v)
            if j == 5:
                c.number_format = "DD/MM/YYYY"
            if cls in ("qua_han", "today"):
                c.fill = red if cls == "qua_han" else amber
    for col, w in zip("ABCDEFG", (6, 22, 60, 16, 14, 12, 30)):
        ws.column_dimensions[col].width = w
    ws.freeze_panes = "A5"
    _put(ws, 6 + len(df), 1, TEXT["note"])
    wb.save(path)


def write_all(df: pd.DataFrame, out_dir: Path, registry, day: date, days: int, horizon: date,
              units: list[str]) -> list[UnitSummary]:
    """One HTML page and one XLSX per unit in ``units`` (every unit gets a page, also when nothing is due), and
    ``index.html``, the one-page summary for the leader."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = {u: registry.get(u).name for u in units if u in registry}
    for u in units:
        g = df[df["ma_don_vi"] == u]
        (out_dir / f"{u}.html").write_text(unit_html(g, u, names.get(u, u), day, days, horizon), encoding="utf-8")
        unit_xlsx(out_dir / f"{u}.xlsx", g, u, names.get(u, u), day, days, horizon)
    summ = summarise(df[df["ma_don_vi"].isin(units)], names)
    (out_dir / "index.html").write_text(summary_html(summ, day, days, horizon), encoding="utf-8")
    return summ


def units_for(registry, day: date, unit: str | None) -> list[str]:
    """The unit and its subtree (or every unit) valid on ``day``."""
    codes = [unit, *sorted(registry.descendants(unit))] if unit else sorted(u.code for u in registry)
    return [c for c in codes if registry.get(c).overlaps(day, day)]


def run(day: date, days: int = DEFAULT_DAYS, unit: str | None = None, out_dir: Path | None = None,
        warehouse=None, registry=None) -> tuple[Path, list[UnitSummary], pd.DataFrame, float]:
    """Query and write everything; returns (folder, summary, rows, query seconds)."""
    import time

    from . import config
    from .engine.classify import connection
    from .units import load_registry

    reg = registry or load_registry()
    units = units_for(reg, day, unit)
    t0 = time.perf_counter()
    with connection(warehouse) as con:
        df = pending_on(con, day, days, units if unit else None)
    secs = time.perf_counter() - t0
    from .workdays import load_calendar

    horizon = load_calendar().add_working_days(day, int(days))
    out = out_dir or config.outputs_dir() / "due-soon" / day.isoformat()
    summ = write_all(df, Path(out), reg, day, days, horizon, units)
    return Path(out), summ, df, secs


def parse_day(text: str | None) -> date:
    from .errors import ParameterError

    if not text:
        return datetime.now().date()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise ParameterError(f"--date {text!r}: not a date; write YYYY-MM-DD (e.g. 2025-04-25) or dd/mm/yyyy")
