"""``outputs/index.html``: every unit × period found under the output root, in one self-contained page.

Status: **ok** (run.json says ok and its stamp equals the stamp of the current inputs), **stale** (ok, but the
inputs changed since: code, notebooks, configuration, environment or the unit's data slice), **failed** (the last
run failed: its run.json says ``"status": "failed"``, the one run.json schema of :func:`tthc.run.run_report`),
**incomplete** (outputs without a run.json: an
interrupted run; they are not valid). Links are relative, so the page works from disk and when the folder is copied.
Inline CSS and JS only (no CDN); every string from data is HTML-escaped. Columns sort on a click on their header.
"""

from __future__ import annotations

import html
import json
import os
from datetime import datetime
from pathlib import Path

from . import atomic
from .plan import read_json

HEADLINE = ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8")
LINKS = (("report.html", "HTML"), ("report.pdf", "PDF"), ("bieu06.xlsx", "Excel"), ("overview.html", "Tổng hợp HTML"),
         ("overview.pdf", "Tổng hợp PDF"), ("report.error.ipynb", "Lỗi (notebook)"),
         ("overview.error.ipynb", "Lỗi tổng hợp (notebook)"), ("run.log", "Nhật ký"))
STATUS_LABEL = {"ok": "ok", "stale": "stale", "failed": "failed", "incomplete": "incomplete"}

CSS = """
body{font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em} p.note{color:#555;font-size:.9em}
table{border-collapse:collapse;font-size:.85em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#eef;cursor:pointer;user-select:none;white-space:nowrap} th.sorted-asc::after{content:" ▲"}
th.sorted-desc::after{content:" ▼"}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.st-ok{background:#d8f0d8}.st-stale{background:#fff2c0}.st-failed{background:#f8d0d0}.st-incomplete{background:#eee}
.dat{background:#d8f0d8}.chua{background:#f8d8d0}.nodata{background:#eee;color:#777}
td a{margin-right:.5em;white-space:nowrap} td:nth-child(1),td:nth-child(2),td:last-child{white-space:nowrap}
"""

JS = """
document.querySelectorAll('table.sortable th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0];
    var asc = !th.classList.contains('sorted-asc');
    table.querySelectorAll('th').forEach(function (h) { h.classList.remove('sorted-asc', 'sorted-desc'); });
    th.classList.add(asc ? 'sorted-asc' : 'sorted-desc');
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].getAttribute('data-sort') || a.cells[col].textContent;
      var y = b.cells[col].getAttribute('data-sort') || b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, 'vi');
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""


def esc(v) -> str:
    return html.escape("" if v is None else str(v), quote=True)


def _fmt_pct(v) -> str:
    return f"{v:,.2f}%".replace(",", "X").replace(".", ",").replace("X", ".")


def _fmt_time(iso: str) -> str:
    """dd/mm/yyyy HH:MM (spec §11 dates); anything unparsable is shown as it is."""
    try:
        return datetime.fromisoformat(str(iso)).strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return str(iso or "")


def scan(out_root: Path) -> list[dict]:
    """One entry per ``<out_root>/<period>/<unit>/`` folder holding a run record or report outputs."""
    entries = []
    if not out_root.is_dir():
        return entries
    for pdir in sorted(p for p in out_root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for udir in sorted(u for u in pdir.iterdir() if u.is_dir() and not u.name.startswith(".")):
            names = {f.name for f in udir.iterdir() if f.is_file() and not atomic.is_tmp(f.name)}
            run = read_json(udir / "run.json") if "run.json" in names else None
            # a folder with only run.log: a run that was killed before it wrote anything else (incomplete)
            if run is None and not (names & {n for n, _ in LINKS}):
                continue
            entries.append(dict(period=pdir.name, unit=udir.name, dir=udir, names=names, run=run))
    return entries


def _current_stamps(entries: list[dict], known: dict | None = None, out_root: Path | None = None
                    ) -> dict[tuple[str, str], str]:
    """The stamp each successful run would get now, computed the batch's cheap way (one cube read per period);
    ``known`` stamps (the batch just computed them) are reused."""
    from .. import run as R
    from ..units import load_registry
    from .plan import _validate, cached_slice_hashes, slice_hashes

    out: dict[tuple[str, str], str] = dict(known or {})
    entries = [e for e in entries if (e["period"], e["unit"]) not in out]
    if not entries:
        return out
    try:
        reg = load_registry()
    except Exception:  # noqa: BLE001 - no registry: staleness unknown
        return out
    from .. import config

    groups: dict[tuple, list[dict]] = {}
    for e in entries:
        rec = e["run"]
        if not rec or rec.get("status") != "ok" or not rec.get("stamp"):
            continue
        par = rec.get("parameters") or {}
        groups.setdefault((e["period"], par.get("window", "calendar")), []).append(e)
    for (period, window), es in groups.items():
        try:
            units = [e["unit"] for e in es if e["unit"] in reg]
            sets = {u: [u, *reg.descendants(u)] for u in units}
            hashes = (cached_slice_hashes(sets, period, window) if out_root
                      else slice_hashes(sets, period, window))
            for e in es:
                u = e["unit"]
                if u not in hashes:
                    continue
                par = e["run"].get("parameters") or {}
                params = _validate(u, period, window, par.get("lang", "vi"), reg, par.get("rules"))
                nbs = [config.notebooks_dir() / R.NOTEBOOKS["unit"]]
                if R.has_children(u, period, window, reg):
                    nbs.append(config.notebooks_dir() / R.NOTEBOOKS["overview"])
                out[(period, u)] = R.compute_stamp(params, nbs, hashes[u])["stamp"]
        except Exception:  # noqa: BLE001 - a period the cube no longer holds: staleness unknown
            continue
    return out


def _headline_from_cube(entries: list[dict]) -> dict[tuple[str, str], dict]:
    """D1–D7 from the cube for runs whose run.json does not carry them (e.g. made by ``tthc report``)."""
    need = [e for e in entries if e["run"] and e["run"].get("status") == "ok" and not e["run"].get("indicators")]
    if not need:
        return {}
    try:
        import pyarrow.parquet as pq

        from ..report.data import cube_dir

        f = cube_dir() / "indicators.parquet"
        keys = {(e["period"], (e["run"].get("parameters") or {}).get("window", "calendar"), e["unit"]) for e in need}
        t = pq.read_table(f, columns=["period", "window", "unit", "indicator", "value", "target", "status"],
                          filters=[("period", "in", sorted({k[0] for k in keys})),
                                   ("indicator", "in", list(HEADLINE))])
        df = t.to_pandas()
    except Exception:  # noqa: BLE001
        return {}
    out: dict[tuple[str, str], dict] = {}
    for row in df.to_dict("records"):
        k = (row["period"], row["window"], row["unit"])
        if k in keys:
            out.setdefault((row["period"], row["unit"]), {})[row["indicator"]] = dict(
                value=row["value"], target=row["target"], status=row["status"])
    return out


def status_of(e: dict, current: dict | None = None) -> str:
    run = e["run"]
    if run and run.get("status") == "failed":
        return "failed"
    if run and run.get("status") == "ok":
        names = run.get("outputs") or []
        if not all(n in e["names"] for n in names):
            return "incomplete"
        cur = (current or {}).get((e["period"], e["unit"]))
        if cur is not None and cur != run.get("stamp"):
            return "stale"
        return "ok"
    return "incomplete"


def _cell_indicator(ind: str, d: dict | None) -> str:
    if not d or d.get("value") is None:
        return '<td class="num nodata" data-sort="-1">–</td>'
    status = str(d.get("status") or "")
    cls = "dat" if status == "Đạt" else ("nodata" if "dữ liệu" in status.lower() else "chua")
    v = float(d["value"])
    text = (f"{int(round(v))}" if ind in ("D5", "D8") else _fmt_pct(v))
    tgt = d.get("target")
    title = f"{status}; chỉ tiêu {tgt:g}{'' if ind in ('D5', 'D8') else '%'}" if isinstance(tgt, (int, float)) else status
    return f'<td class="num {cls}" data-sort="{v:.6f}" title="{esc(title)}">{esc(text)}</td>'


def render_index(out_root: Path, current: dict | None = None, registry=None, stamps: bool = True) -> str:
    """The page. ``current``: stamps already known {(period, unit): stamp}; the others are computed unless
    ``stamps`` is False (then runs are only ok/failed/incomplete)."""
    entries = scan(out_root)
    current = _current_stamps(entries, current, out_root) if stamps else dict(current or {})
    cube_headline = _headline_from_cube(entries)
    rows = []
    counts: dict[str, int] = {}
    for e in entries:
        st = status_of(e, current)
        counts[st] = counts.get(st, 0) + 1
        run = e["run"] or {}
        meta = run.get("meta") or {}
        name = meta.get("unit_name")
        level = meta.get("level")
        if (name is None or level is None) and registry is not None and e["unit"] in registry:
            u = registry.get(e["unit"])
            name, level = name or u.name, level or u.level
        links = " ".join(f'<a href="{esc(e["period"])}/{esc(e["unit"])}/{esc(n)}">{esc(label)}</a>'
                         for n, label in LINKS if n in e["names"])
        ind = run.get("indicators") or cube_headline.get((e["period"], e["unit"])) or {}
        if st == "failed":
            ind = {}
        err = run.get("error") if run.get("status") == "failed" else None
        gen = run.get("generated") or meta.get("generated") or ""
        cells = [f'<td>{esc(e["period"])}</td>', f'<td>{esc(e["unit"])}</td>', f'<td>{esc(name or "")}</td>',
                 f'<td>{esc(level or "")}</td>',
                 f'<td class="st-{st}" title="{esc(err or "")}">{esc(STATUS_LABEL[st])}</td>',
                 *(_cell_indicator(i, ind.get(i)) for i in HEADLINE),
                 f"<td>{links}</td>", f'<td data-sort="{esc(gen)}">{esc(_fmt_time(gen))}</td>']
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = ["Kỳ", "Mã", "Đơn vị", "Cấp", "Trạng thái", *HEADLINE, "Tệp", "Thời điểm"]
    summary = ", ".join(f"{esc(k)}: {v}" for k, v in sorted(counts.items()))
    return ("<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>Báo cáo TTHC – danh mục</title>"
            f"<style>{CSS}</style></head><body>"
            "<h1>Báo cáo TTHC – danh mục các báo cáo</h1>"
            f"<p class=\"note\">{len(entries)} báo cáo ({summary}). Tạo lúc "
            f"{esc(datetime.now().isoformat(timespec='seconds'))}. ok = khớp dữ liệu hiện tại; stale = dữ liệu, mã "
            "nguồn hoặc cấu hình đã đổi, cần chạy lại; failed = lần chạy gần nhất bị lỗi. D1–D7: xanh = Đạt, đỏ = "
            "Chưa đạt, xám = không có dữ liệu. Bấm tiêu đề cột để sắp xếp.</p>"
            "<table class=\"sortable\"><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head)
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
            f"<script>{JS}</script></body></html>\n")


def write_index(out_root=None, current: dict | None = None, stamps: bool = True) -> Path:
    from .. import config

    out_root = Path(out_root) if out_root else config.outputs_dir()
    try:
        from ..units import load_registry

        reg = load_registry()
    except Exception:  # noqa: BLE001
        reg = None
    page = render_index(out_root, current, reg, stamps=stamps)
    return atomic.write_text(out_root / "index.html", page, fsync=False)


def refresh_index(out_root) -> Path | None:
    """Rewrite ``index.html`` from the folders alone (no stamps, no cube: statuses ok / failed / incomplete), best
    effort: at the start of a batch and after an interrupted or failed one, so the page never says "ok" for files
    that are gone nor leaves out a unit whose run died. A full disk leaves the previous page whole (atomic write)."""
    try:
        return write_index(out_root, stamps=False)
    except Exception:  # noqa: BLE001 - the index is a convenience; the batch's own outcome is what counts
        return None
