"""The administrative-document frame of a report (Decree 30/2020/NĐ-CP, Appendix I; spec §10 "The look of the PDF").

Three inputs meet here:

* the report metadata (``doc_meta``): the ``application/vnd.tthc.report+json`` dict the report notebook displays
  with its first output, or ``nb.metadata["tthc"]`` set by the runner;
* the letterhead settings (``letterhead``) from ``params/report.yaml``: issuing body, number, place, recipients,
  signer — default block, per-unit overrides keyed by unit code, and ``en:`` sub-blocks for English reports;
* fixed labels per language.

Every value that reaches HTML goes through :func:`html.escape` here; the template inserts these fragments as-is.
A value that is not configured is left out of the document, never invented.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path
from typing import Any, Mapping

from ..errors import ConfigError

REPORT_MIMETYPE = "application/vnd.tthc.report+json"

#: Keys of a letterhead block in params/report.yaml (Vietnamese names as in the Decree's appendix).
LETTERHEAD_KEYS = {
    "co_quan_chu_quan": "governing body: first line of the left block, capitals (e.g. UBND HUYỆN THANH HÀ)",
    "co_quan_ban_hanh": "issuing body: bold second line of the left block (e.g. VĂN PHÒNG HĐND VÀ UBND)",
    "so_ky_hieu": "number and symbol after 'Số:' (e.g. '    /BC-VP'; spaces are kept for the clerk to fill in)",
    "dia_danh": "place name of the place-date line (e.g. Thanh Hà)",
    "ngay_ban_hanh": "date of the place-date line (ISO date); unset = the report's generation date",
    "noi_nhan": "recipients, one string per line ('Nơi nhận:' block on the last page)",
    "nguoi_ky": "signer: mapping with quyen_han (e.g. KT. CHỦ TỊCH), chuc_vu (PHÓ CHỦ TỊCH), ho_ten (name)",
    "en": "overrides of the keys above used for English reports",
}
SIGNER_KEYS = ("quyen_han", "chuc_vu", "ho_ten")

LABELS = {
    "vi": {
        "banner": "DỮ LIỆU MẪU – mô phỏng",
        "page": "Trang",
        "doc_type": "BÁO CÁO",
        "quoc_hieu": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "tieu_ngu": "Độc lập - Tự do - Hạnh phúc",
        "so": "Số:",
        "noi_nhan": "Nơi nhận:",
        "chart_alt": "Biểu đồ",
    },
    "en": {
        "banner": "SAMPLE DATA – simulated",
        "page": "Page",
        "doc_type": "REPORT",
        "quoc_hieu": "SOCIALIST REPUBLIC OF VIET NAM",
        "tieu_ngu": "Independence - Freedom - Happiness",
        "so": "No.:",
        "noi_nhan": "Recipients:",
        "chart_alt": "Chart",
    },
}

from ..periods import MONTHS_EN as _MONTHS_EN  # noqa: E402 - one home (tthc.periods)


def esc(value: Any) -> str:
    """HTML-escape any value (quotes included) for text and attribute positions."""
    return html.escape("" if value is None else str(value), quote=True)


# --------------------------------------------------------------------------------------------------------------
# Report metadata


def _as_dict(value: Any) -> dict | None:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def doc_meta(nb) -> dict | None:
    """The report metadata of an executed notebook: ``nb.metadata["tthc"]`` first, else the first output bundle
    carrying ``application/vnd.tthc.report+json``; None for any other notebook (rendered generically)."""
    meta = _as_dict(nb.get("metadata", {}).get("tthc"))
    if meta:
        return meta
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            data = out.get("data") or {}
            if REPORT_MIMETYPE in data:
                meta = _as_dict(data[REPORT_MIMETYPE])
                if meta:
                    return meta
    return None


# --------------------------------------------------------------------------------------------------------------
# What reaches a document (the HTML exporter and the Typst PDF alike)

#: Cells dropped whole: papermill's injected parameters (unicode-escaped strings), the parameters cell itself and
#: anything the notebook author tagged for removal.
DROP_TAGS = frozenset({"injected-parameters", "parameters", "remove", "remove-cell"})


def kept_cells(nb) -> list:
    """The cells that reach a report document (those without any of :data:`DROP_TAGS`)."""
    return [c for c in nb.cells if not DROP_TAGS.intersection(c.get("metadata", {}).get("tags", []) or [])]


_RICH = ("text/html", "text/markdown", "image/png", "image/jpeg", "image/svg+xml", "text/latex")


def shown(output, is_report: bool) -> bool:
    """Whether an output reaches the document: stderr (library warnings) never; in reports, neither stdout nor
    plain-text reprs such as "<Figure size …>" (they would also leave empty boxes that break keep-with-next)."""
    kind = output.get("output_type")
    if kind == "stream":
        return output.get("name") == "stdout" and not is_report
    if kind in ("display_data", "execute_result"):
        data = output.get("data") or {}
        return any(m in data for m in _RICH) or ("text/plain" in data and not is_report)
    return True


def lang_of(meta: Mapping | None) -> str:
    lang = (meta or {}).get("lang") or "vi"
    return lang if lang in LABELS else "vi"


# --------------------------------------------------------------------------------------------------------------
# Letterhead settings (params/report.yaml)


def _check_block(block: Any, where: str, path: Path, allow_en: bool = True) -> dict:
    if block is None:
        return {}
    if not isinstance(block, Mapping):
        raise ConfigError(f"{path}: {where} must be a mapping of {', '.join(LETTERHEAD_KEYS)}")
    for key, value in block.items():
        if key not in LETTERHEAD_KEYS or (key == "en" and not allow_en):
            raise ConfigError(f"{path}: {where}.{key}: unknown key; valid keys: {', '.join(LETTERHEAD_KEYS)}")
        if key == "noi_nhan":
            if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
                raise ConfigError(f"{path}: {where}.noi_nhan must be a list of strings (one recipient a line)")
        elif key == "nguoi_ky":
            if value is not None and not isinstance(value, Mapping):
                raise ConfigError(f"{path}: {where}.nguoi_ky must be a mapping with {', '.join(SIGNER_KEYS)}")
            for k in value or {}:
                if k not in SIGNER_KEYS:
                    raise ConfigError(f"{path}: {where}.nguoi_ky.{k}: unknown key; valid: {', '.join(SIGNER_KEYS)}")
        elif key == "en":
            _check_block(value, f"{where}.en", path, allow_en=False)
        elif key == "ngay_ban_hanh":
            if value is not None and not isinstance(value, (dt.date, str)):
                raise ConfigError(f"{path}: {where}.ngay_ban_hanh must be an ISO date such as 2025-03-31")
            if isinstance(value, str):
                try:
                    dt.date.fromisoformat(value)
                except ValueError:
                    raise ConfigError(f"{path}: {where}.ngay_ban_hanh: '{value}' is not an ISO date (2025-03-31)")
        elif value is not None and not isinstance(value, (str, int)):
            raise ConfigError(f"{path}: {where}.{key} must be a string")
    return dict(block)


def _merge(base: dict, over: Mapping) -> dict:
    out = dict(base)
    for key, value in over.items():
        if key == "en":
            continue
        if key == "nguoi_ky" and isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def load_report_settings(path: Path | str | None = None) -> dict:
    """Read ``params/report.yaml`` (``{"default": block, "units": {code: block}}``), validated. A missing file
    means no letterhead values at all (every configurable part is left out)."""
    from .. import config
    from ..yamlio import load_yaml

    path = Path(path) if path is not None else config.report_file()
    if not path.is_file():
        return {"default": {}, "units": {}}
    raw = load_yaml(path) or {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: top level must be a mapping with keys 'default' and 'units'")
    for key in raw:
        if key not in ("default", "units"):
            raise ConfigError(f"{path}: {key}: unknown top-level key; valid keys: default, units")
    units = raw.get("units") or {}
    if not isinstance(units, Mapping):
        raise ConfigError(f"{path}: units must be a mapping from unit code to a letterhead block")
    return {
        "default": _check_block(raw.get("default"), "default", path),
        "units": {str(code): _check_block(block, f"units.{code}", path) for code, block in units.items()},
    }


def letterhead(settings: Mapping, unit, lang: str) -> dict:
    """The letterhead values for one report: default, then its English overrides (English reports), then the
    unit's block, then the unit's English overrides. Empty strings count as unset. ``unit`` may be a list of codes
    (the report's ancestors valid in the period, root first, then the unit: ``meta["letterhead_units"]``), whose
    blocks apply in that order."""
    out: dict = {}
    blocks = [settings.get("default") or {}]
    codes = unit if isinstance(unit, (list, tuple)) else ([unit] if unit is not None else [])
    for code in codes:
        unit_block = (settings.get("units") or {}).get(str(code))
        if unit_block:
            blocks.append(unit_block)
    for block in blocks:
        out = _merge(out, block)
        if lang == "en" and block.get("en"):
            out = _merge(out, block["en"])
    return out


# --------------------------------------------------------------------------------------------------------------
# Fragments


def _date_of(meta: Mapping | None, lh: Mapping) -> dt.date:
    value = lh.get("ngay_ban_hanh")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        return dt.date.fromisoformat(value)
    generated = (meta or {}).get("generated")
    if generated:
        try:
            return dt.datetime.fromisoformat(str(generated)).date()
        except ValueError:
            pass
    return dt.date.today()


def place_date(place: str | None, day: dt.date, lang: str) -> str:
    """The place-date line. Vietnamese per Decree 30: days below 10 and months 1–2 take a leading zero
    ("Thanh Hà, ngày 05 tháng 02 năm 2025"); without a place the line starts with "Ngày"."""
    if lang == "en":
        text = f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
        return f"{place}, {text}" if place else text
    dd = f"{day.day:02d}" if day.day < 10 else str(day.day)
    mm = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    text = f"ngày {dd} tháng {mm} năm {day.year}"
    return f"{place}, {text}" if place else text[0].upper() + text[1:]


def _s(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value).strip("\n")
    return s if s.strip() else None


def front_matter_html(meta: Mapping, lh: Mapping, lang: str) -> str:
    """First-page block: left issuing body + number, right national motto + place-date, then BÁO CÁO + subject."""
    lab = LABELS[lang]
    left = []
    if _s(lh.get("co_quan_chu_quan")):
        left.append(f'<div class="tthc-cqcq">{esc(_s(lh["co_quan_chu_quan"]))}</div>')
    if _s(lh.get("co_quan_ban_hanh")):
        left.append(f'<div class="tthc-cqbh">{esc(_s(lh["co_quan_ban_hanh"]))}</div>')
    if left:
        left.append('<div class="tthc-rule"></div>')
    if _s(lh.get("so_ky_hieu")):
        left.append(f'<div class="tthc-so">{esc(lab["so"])} <span class="tthc-so-value">'
                    f'{esc(_s(lh["so_ky_hieu"]))}</span></div>')
    day = _date_of(meta, lh)
    right = [
        f'<div class="tthc-quoc-hieu">{esc(lab["quoc_hieu"])}</div>',
        f'<div class="tthc-tieu-ngu"><span>{esc(lab["tieu_ngu"])}</span></div>',
        f'<div class="tthc-dia-danh">{esc(place_date(_s(lh.get("dia_danh")), day, lang))}</div>',
    ]
    subject = _s(meta.get("subject")) or _s(meta.get("title"))
    title = [f'<h1 class="tthc-title">{esc(lab["doc_type"])}</h1>']
    if subject:
        title.append(f'<p class="tthc-subject">{esc(subject)}</p>')
    title.append('<div class="tthc-subject-rule"></div>')
    return (
        '<header class="tthc-front">\n<table class="tthc-letterhead" role="presentation"><tr>\n'
        f'<td class="tthc-lh-left">{"".join(left)}</td>\n'
        f'<td class="tthc-lh-right">{"".join(right)}</td>\n'
        '</tr></table>\n'
        f'<div class="tthc-titleblock">{"".join(title)}</div>\n'
        '</header>'
    )


def closing_html(lh: Mapping, lang: str) -> str:
    """Last-page block: recipients on the left, signature on the right; empty when neither is configured."""
    lab = LABELS[lang]
    recipients = [r for r in (lh.get("noi_nhan") or []) if _s(r)]
    signer = {k: _s(v) for k, v in (lh.get("nguoi_ky") or {}).items()}
    if not recipients and not any(signer.values()):
        return ""
    left = ""
    if recipients:
        items = "".join(f"<li>{esc(_s(r))}</li>" for r in recipients)
        left = f'<div class="tthc-noi-nhan-label">{esc(lab["noi_nhan"])}</div><ul class="tthc-noi-nhan">{items}</ul>'
    right = []
    for key, cls in (("quyen_han", "tthc-quyen-han"), ("chuc_vu", "tthc-chuc-vu")):
        if signer.get(key):
            right.append(f'<div class="{cls}">{esc(signer[key])}</div>')
    right.append('<div class="tthc-sign-space"></div>')
    if signer.get("ho_ten"):
        right.append(f'<div class="tthc-ho-ten">{esc(signer["ho_ten"])}</div>')
    return (
        '<footer class="tthc-closing">\n<table class="tthc-closing-table" role="presentation"><tr>\n'
        f'<td class="tthc-cl-left">{left}</td>\n<td class="tthc-cl-right">{"".join(right)}</td>\n'
        '</tr></table>\n</footer>'
    )


def running_header(meta: Mapping | None, title: str) -> str:
    if not meta:
        return title
    parts = [p for p in (_s(meta.get("unit_name")), _s(meta.get("period_label")) or _s(meta.get("period"))) if p]
    return " – ".join(parts) or title


def document_title(meta: Mapping | None, name: str | None) -> str:
    if meta:
        for key in ("title", "subject", "unit_name"):
            if _s(meta.get(key)):
                return _s(meta[key])
    return name or "Notebook"


def page_strings_html(running: str, lang: str, synthetic: bool) -> str:
    """Hidden elements feeding the CSS named strings used by @page margin boxes (running header, page label,
    banner): page CSS is shared and cached, the per-document text travels in the HTML."""
    lab = LABELS[lang]
    parts = [
        f'<div class="tthc-string tthc-string-running">{esc(running)}</div>',
        f'<div class="tthc-string tthc-string-page">{esc(lab["page"])}</div>',
    ]
    if synthetic:
        parts.append(f'<div class="tthc-string tthc-string-banner">{esc(lab["banner"])}</div>')
    return '<div class="tthc-strings" aria-hidden="true">' + "".join(parts) + "</div>"


def banner_html(lang: str, synthetic: bool) -> str:
    if not synthetic:
        return ""
    return f'<div class="tthc-banner" role="note">{esc(LABELS[lang]["banner"])}</div>'


def head_meta_html(meta: Mapping | None) -> str:
    """<meta> tags WeasyPrint copies into the PDF info dictionary (author, description, generator, dates)."""
    if not meta:
        return '<meta name="generator" content="tthc">'
    tags = [f'<meta name="generator" content="tthc {esc(meta.get("version") or "")}">']
    if _s(meta.get("subject")):
        tags.append(f'<meta name="description" content="{esc(meta["subject"])}">')
    if _s(meta.get("unit_name")):
        tags.append(f'<meta name="author" content="{esc(meta["unit_name"])}">')
    if _s(meta.get("generated")):
        tags.append(f'<meta name="dcterms.created" content="{esc(meta["generated"])}">')
    if _s(meta.get("data_hash")):
        tags.append(f'<meta name="keywords" content="tthc, {esc(meta.get("period") or "")}, '
                    f'data {esc(meta["data_hash"])}">')
    # the report metadata, so that a saved report HTML can be typeset into the same PDF (tthc.render.write_pdf)
    public = {k: v for k, v in meta.items() if k != "sources"}
    tags.append(f'<meta name="tthc-report" content="{esc(json.dumps(public, ensure_ascii=False, default=str))}">')
    return "\n".join(tags)


def is_synthetic(meta: Mapping | None) -> bool:
    value = (meta or {}).get("synthetic")
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _letterhead_chain(meta: Mapping) -> list | str | None:
    """For a notebook whose metadata predates ``letterhead_units``: the unit's ancestors valid in its period (root
    first), then the unit, from the registry; the bare unit code when the registry cannot tell."""
    unit = meta.get("unit")
    try:
        from ..units import load_registry

        reg = load_registry()
        a = dt.date.fromisoformat(str(meta.get("date_from")))
        b = dt.date.fromisoformat(str(meta.get("date_to")))
        return [x for x in reversed(reg.ancestors(unit)) if reg.get(x).overlaps(a, b)] + [unit]
    except Exception:  # noqa: BLE001 - unknown unit, no dates, unreadable registry: the unit's own block only
        return unit


def report_letterhead(meta: Mapping, settings: Mapping | None, lang: str) -> dict:
    """The letterhead of a report (HTML and PDF alike): the report.yaml blocks of ``meta["letterhead_units"]`` (the
    unit's ancestors valid in the period, root first, then the unit), or of :func:`_letterhead_chain` for metadata
    that predates that key."""
    return letterhead(settings if settings is not None else load_report_settings(),
                      meta.get("letterhead_units") or _letterhead_chain(meta), lang)


def document_context(nb, name: str | None = None, settings: Mapping | None = None, inline_css: bool = True,
                     css: str = "") -> dict:
    """Everything the template needs about one document (``resources["tthc"]``), HTML-escaped."""
    meta = doc_meta(nb)
    lang = lang_of(meta)
    synthetic = is_synthetic(meta)
    title = document_title(meta, name)
    ctx = {
        "lang": lang,
        "is_report": meta is not None,
        "synthetic": synthetic,
        "title_html": esc(title),
        "head_meta_html": head_meta_html(meta),
        "chart_alt": esc(LABELS[lang]["chart_alt"]),
        "page_strings_html": page_strings_html(running_header(meta, title), lang, synthetic),
        "banner_html": banner_html(lang, synthetic),
        "front_matter_html": "",
        "closing_html": "",
        "inline_css": inline_css,
        "css": css,
        "meta": meta,
    }
    if meta is not None:
        lh = report_letterhead(meta, settings, lang)
        ctx["front_matter_html"] = front_matter_html(meta, lh, lang)
        ctx["closing_html"] = closing_html(lh, lang)
    return ctx
