"""Interactive explorer behind ``notebooks/explore.ipynb``.

Three drop-downs — unit, period, window — choose one unit report; on every change the scorecard, trends and
Biểu 06 of the report package are shown again, and a button renders the current selection to HTML/PDF through
:func:`tthc.run.run_report` (the code path of ``make report``) and lists links to the files.

The choices are plain functions (:func:`period_options`, :func:`unit_options`, :func:`window_options`) and the
:class:`Explorer` keeps its state in plain attributes, so everything here is testable without a browser; the
report loader and the renderer are injectable for the same reason.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Callable, Iterable

from . import config
from .periods import DEFAULT_WINDOW, WINDOWS, parse_period
from .units import LEVELS, Registry, load_registry

Option = tuple[str, str]  # (label shown in the drop-down, value)

LABELS = {
    "vi": {"unit": "Đơn vị", "period": "Kỳ", "window": "Cách tính kỳ", "export": "Xuất báo cáo (HTML/PDF)",
           "exporting": "Đang xuất báo cáo…", "exported": "Đã xuất báo cáo", "loading": "Đang tải…",
           "no_periods": "Chưa có dữ liệu: chạy `tthc sample` hoặc `tthc ingest` rồi `tthc cube`.",
           "error": "Lỗi"},
    "en": {"unit": "Unit", "period": "Period", "window": "Window", "export": "Export report (HTML/PDF)",
           "exporting": "Rendering the report…", "exported": "Report rendered", "loading": "Loading…",
           "no_periods": "No data yet: run `tthc sample` or `tthc ingest`, then `tthc cube`.",
           "error": "Error"},
}
WINDOW_LABELS = {
    "vi": {"calendar": "Theo tháng dương lịch", "report": "Kỳ báo cáo (15 tháng trước – 14)"},
    "en": {"calendar": "Calendar months", "report": "Reporting window (15th–14th)"},
}
_PERIOD_KIND_ORDER = {"Q": 0, "M": 1, "H": 2, "9M": 3, "Y": 4}


def period_label(code: str, lang: str = "vi") -> str:
    """``2025-Q1`` → ``2025-Q1 · Quý I năm 2025`` (vi) / ``2025-Q1 · Q1 2025`` (en): the code, then the period's
    name as the reports write it (:func:`tthc.report.i18n.period_label`, the one home of period names)."""
    from .report.i18n import period_label as name

    return f"{parse_period(code).code} · {name(code, lang)}"


def available_periods(ensure: bool = True) -> list[str]:
    """Period codes held by the indicator cube. With ``ensure`` the data is bootstrapped first exactly as a report
    does (the synthetic sample on a fresh clone, the cube built or refreshed)."""
    from .engine import query

    global _DATA_ENSURED
    if ensure:
        from .bootstrap import ensure_data

        ensure_data()
        _DATA_ENSURED = True
    return [parse_period(p).code for p in query.meta().get("periods", [])]


def period_options(periods: Iterable[str] | None = None, lang: str = "vi") -> list[Option]:
    """Drop-down options for the periods in the cube: quarters first, then months, halves, 9M, years; latest first
    inside each kind."""
    codes = list(available_periods() if periods is None else periods)
    ps = sorted({parse_period(c) for c in codes},
                key=lambda p: (_PERIOD_KIND_ORDER[p.kind], -p.year, -p.first_month))
    return [(period_label(p.code, lang), p.code) for p in ps]


def unit_options(period: str, window: str = DEFAULT_WINDOW, registry: Registry | None = None,
                 lang: str = "vi") -> list[Option]:
    """Units of the registry valid at some point of ``period`` in ``window``, as ``("X001 – Xã An Lạc", "X001")``;
    ordered by level (district before its offices and communes), then code."""
    reg = registry if registry is not None else load_registry()
    a, b = parse_period(period).bounds(window)
    units = sorted(reg.valid_in(a, b), key=lambda u: (LEVELS.index(u.level), u.code))
    return [(f"{u.code} – {u.name}", u.code) for u in units]


def window_options(lang: str = "vi") -> list[Option]:
    return [(WINDOW_LABELS[lang][w], w) for w in WINDOWS]


def pick(options: list[Option], wanted: str | None, registry=None) -> str | None:
    """``wanted`` if it is one of the option values, else its successor (first listed, followed down the chain of
    mergers, spec §2) when that is an option, else the first value (``None`` when there is no option)."""
    values = [v for _, v in options]
    if wanted in values:
        return wanted
    seen = set()
    while registry is not None and wanted in registry and wanted not in seen:
        seen.add(wanted)
        succ = registry.get(wanted).successors
        if not succ:
            break
        wanted = succ[0]
        if wanted in values:
            return wanted
    return values[0] if values else None


def relative_link(path: Path | str, start: Path | str | None = None) -> str:
    """``path`` relative to the notebook folder, with '/' separators (what an anchor in a notebook output needs)."""
    start = Path(start or config.notebooks_dir())
    return Path(os.path.relpath(Path(path).resolve(), start.resolve())).as_posix()


def output_files(result) -> list[Path]:
    """The files a render produced: from the run record of :func:`tthc.run.run_report` (``out_dir`` + the file
    names in ``outputs``), or a path, or a list of paths."""
    if result is None:
        return []
    if isinstance(result, dict):
        out_dir = Path(result["out_dir"])
        return [out_dir / name for name in result.get("outputs", [])]
    if isinstance(result, (str, os.PathLike)):
        return [Path(result)]
    return [p for r in result for p in output_files(r)]


def links_html(files: Iterable[Path | str], start: Path | str | None = None) -> str:
    """An HTML list of anchors to ``files`` relative to the notebook folder (JupyterLab opens them in a tab); the
    text is the path from the project root (``outputs/2025-Q1/X001/report.pdf``) so the reader sees where it is."""
    root = config.project_root().resolve()
    items = []
    for f in files:
        f = Path(f).resolve()
        rel = relative_link(f, start)
        text = f.relative_to(root).as_posix() if f.is_relative_to(root) else f.name
        items.append(f'<li><a href="{html.escape(rel, quote=True)}" target="_blank" '
                     f'data-export="{html.escape(f.suffix.lstrip("."))}">{html.escape(text)}</a></li>')
    return "<ul class='tthc-export-links'>" + "".join(items) + "</ul>"


_DATA_ENSURED = False  # set once this process made sure sample/cube exist: each later change skips the check


def _default_loader(unit: str, period: str, window: str, lang: str):
    from . import report

    return report.load(unit, period, window, lang, ensure=not _DATA_ENSURED)


def _default_runner(unit: str, period: str, window: str, lang: str):
    from .run import run_report

    return run_report(unit, period, window, lang)


#: The report sections the explorer shows, in order: method names of the object ``tthc.report.load`` returns.
SECTIONS = ("scorecard", "trends", "bieu06")


class Explorer:
    """The explorer's state and widgets.

    ``unit``/``period``/``window`` are the current selection (plain strings); :meth:`select` changes it the way the
    drop-downs do; :meth:`refresh` re-renders the report sections into the ``Output`` widget; :meth:`export`
    renders the selection to files. ``loader(unit, period, window, lang)`` returns the report object (default
    ``tthc.report.load``), ``runner(unit, period, window, lang)`` renders files (default ``tthc.run.run_report``).
    """

    def __init__(self, unit: str | None = None, period: str | None = None, window: str = DEFAULT_WINDOW,
                 lang: str = "vi", registry: Registry | None = None, periods: Iterable[str] | None = None,
                 loader: Callable | None = None, runner: Callable | None = None,
                 notebook_dir: Path | str | None = None, sections: Iterable[str] = SECTIONS):
        import ipywidgets as w

        self.lang = lang
        self.text = LABELS[lang]
        self.registry = registry if registry is not None else load_registry()
        self.loader = loader or _default_loader
        self.runner = runner or _default_runner
        self.notebook_dir = Path(notebook_dir) if notebook_dir else config.notebooks_dir()
        self.sections = tuple(sections)
        self.renders = 0  # how many times the report sections were shown (tests and debouncing)
        self.last_report = None
        self.last_error: BaseException | None = None
        self.exported: list[Path] = []
        self._busy = False

        self.period_choices = period_options(periods, lang)
        self.period = pick(self.period_choices, parse_period(period).code if period else None)
        self.window = window if window in WINDOWS else DEFAULT_WINDOW
        self.unit_choices = unit_options(self.period, self.window, self.registry, lang) if self.period else []
        self.unit = pick(self.unit_choices, unit)

        style = {"description_width": "110px"}
        layout = w.Layout(width="460px")
        self.w_period = w.Dropdown(options=self.period_choices, value=self.period,
                                   description=self.text["period"], style=style, layout=layout)
        self.w_window = w.Dropdown(options=window_options(lang), value=self.window,
                                   description=self.text["window"], style=style, layout=layout)
        self.w_unit = w.Dropdown(options=self.unit_choices, value=self.unit,
                                 description=self.text["unit"], style=style, layout=layout)
        self.w_export = w.Button(description=self.text["export"], icon="file-pdf-o", button_style="primary",
                                 layout=w.Layout(width="260px"))
        self.w_status = w.HTML()
        # an Output (not an HTML widget): JupyterLab resolves links in rendered outputs against the notebook's
        # folder and opens them in a tab of its own (HTML viewer, PDF viewer) or as a download
        self.w_links = w.Output()
        self.links_html = ""
        self.out = w.Output()
        for wd in (self.w_period, self.w_window, self.w_unit, self.w_export, self.out):
            wd.add_class("tthc-explore")
        self.w_unit.add_class("tthc-explore-unit")
        self.w_period.add_class("tthc-explore-period")
        self.w_window.add_class("tthc-explore-window")
        self.w_export.add_class("tthc-explore-export")
        self.w_period.observe(self._on_period, names="value")
        self.w_window.observe(self._on_window, names="value")
        self.w_unit.observe(self._on_unit, names="value")
        self.w_export.on_click(self._on_export)
        self.widget = w.VBox([self.w_period, self.w_window, self.w_unit,
                              w.HBox([self.w_export, self.w_status]), self.w_links, self.out])

    # --- selection -------------------------------------------------------------------------------------------
    def select(self, unit: str | None = None, period: str | None = None, window: str | None = None) -> None:
        """Change the selection as the drop-downs would, then show the report once."""
        self._busy = True
        try:
            if period is not None:
                self.w_period.value = parse_period(period).code
            if window is not None:
                self.w_window.value = window
            self._sync_units(unit if unit is not None else self.unit)
            if unit is not None:
                self.w_unit.value = unit
            self.unit = self.w_unit.value
        finally:
            self._busy = False
        self.refresh()

    def _sync_units(self, keep: str | None) -> None:
        """Reload the unit choices for the current period/window, keeping ``keep`` when it is still valid."""
        self.period = self.w_period.value
        self.window = self.w_window.value
        self.unit_choices = unit_options(self.period, self.window, self.registry, self.lang) if self.period else []
        new = pick(self.unit_choices, keep, self.registry)
        was = self._busy
        self._busy = True  # replacing options fires a unit change: do not render twice
        try:
            self.w_unit.options = self.unit_choices
            self.w_unit.value = new
        finally:
            self._busy = was
        self.unit = new

    def _on_period(self, change) -> None:
        if self._busy:
            return
        self._sync_units(self.unit)
        self.refresh()

    def _on_window(self, change) -> None:
        self._on_period(change)

    def _on_unit(self, change) -> None:
        if self._busy:
            return
        self.unit = change["new"]
        self.refresh()

    # --- rendering -------------------------------------------------------------------------------------------
    def load(self):
        """The report object for the current selection."""
        return self.loader(self.unit, self.period, self.window, self.lang)

    def items(self, rep) -> list:
        """What to display for ``rep``: the result of each section method (a method that displays by itself and
        returns None contributes nothing)."""
        out = []
        for name in self.sections:
            r = getattr(rep, name)()
            if r is not None:
                out.append(r)
        return out

    def refresh(self) -> None:
        """Show the report sections of the current selection in the output area (errors shown, not raised)."""
        from IPython.display import display

        self.out.clear_output(wait=True)
        self._show_links("")
        if not self.period or not self.unit:
            with self.out:
                display(_html(f"<p>{html.escape(self.text['no_periods'])}</p>"))
            return
        self.w_status.value = f"<i>{html.escape(self.text['loading'])}</i>"
        with self.out:
            try:
                rep = self.load()
                self.last_report = rep
                self.last_error = None
                banner = synthetic_banner(rep, self.lang)
                if banner:
                    display(_html(banner))
                for item in self.items(rep):
                    display(item)
            except Exception as e:  # a bad selection must not kill the widget; show the one-line reason
                self.last_error = e
                display(_html(f"<p class='tthc-error' style='color:#b00020'>{html.escape(self.text['error'])}: "
                              f"{html.escape(str(e))}</p>"))
        self.renders += 1
        self.w_status.value = ""

    def export(self) -> list[Path]:
        """Render the current selection through ``run_report``; show and return the files written."""
        self.w_export.disabled = True
        self.w_status.value = f"<i>{html.escape(self.text['exporting'])}</i>"
        try:
            files = output_files(self.runner(self.unit, self.period, self.window, self.lang))
        except Exception as e:
            self.w_status.value = (f"<span style='color:#b00020'>{html.escape(self.text['error'])}: "
                                   f"{html.escape(str(e))}</span>")
            raise
        finally:
            self.w_export.disabled = False
        # the executed .ipynb and run.json are for audit; the reader wants the HTML, PDF and the Excel form
        self.exported = [f for f in files if f.suffix.lower() in (".html", ".pdf", ".xlsx")] or files
        self.w_status.value = html.escape(self.text["exported"])
        self._show_links(links_html(self.exported, self.notebook_dir))
        return self.exported

    def _show_links(self, markup: str) -> None:
        from IPython.display import display

        self.links_html = markup
        self.w_links.clear_output()
        if markup:
            with self.w_links:
                display(_html(markup))

    def _on_export(self, _button) -> None:
        try:
            self.export()
        except Exception as e:  # already shown in the status line; a widget callback has nowhere to raise to
            self.last_error = e

    def show(self):
        """Display the explorer (in a notebook) and render the first selection."""
        from IPython.display import display

        display(self.widget)
        self.refresh()
        return None

    def _ipython_display_(self):
        self.show()


def synthetic_banner(rep, lang: str = "vi") -> str:
    """The "sample data" banner (spec §10) when the report's data is the bundled synthetic sample, else ''."""
    meta = getattr(rep, "meta", None) or {}
    if not meta.get("synthetic"):
        return ""
    from .report.i18n import t

    return (f"<p class='tthc-synthetic' style='color:#b00020;font-weight:bold;margin:0.5em 0'>"
            f"{html.escape(t('synthetic', lang))}</p>")


def _html(s: str):
    from IPython.display import HTML

    return HTML(s)
