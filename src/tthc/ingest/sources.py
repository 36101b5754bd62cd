"""Column maps of the source systems (``params/sources/*.yaml``).

A map says how one export format becomes the canonical record (``tthc.schema.DOSSIER_COLUMNS``):

- ``format``: ``json`` (DVCQG-style objects, ``fields:`` PascalCase → canonical, ``nested:`` spellings of the nested
  lists), ``tabular`` (CSV/XLSX with a header row, ``columns:`` header → canonical, ``header_marker``, ``values``
  word → code tables, ``derived``) or ``parquet`` (canonical names already; built in, no file needed).
- ``drop``: personal fields recognised so they can be discarded on read. Only mapped columns are ever kept, so an
  unmapped personal column is discarded as well.

Matching of headers and value words ignores case, surrounding/duplicated spaces and the Unicode normalisation form
(NFC vs NFD), see :func:`norm_key`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from ..errors import ConfigError
from ..schema import DOSSIER_COLUMNS, PERSONAL_FIELDS
from ..yamlio import load_yaml

FORMATS = ("json", "tabular", "parquet")
# canonical columns whose words can be mapped through ``values`` (plus the ``boolean`` table for BOOLEAN columns)
VALUE_COLUMNS = ("kenh", "trang_thai", "thanh_toan_truc_tuyen", "muc_hai_long")
NESTED_KEYS = ("tai_lieu_nop", "duoc_so_hoa", "duoc_tai_su_dung", "duoc_lay_tu_kho", "bat_buoc", "giay_to_ket_qua",
               "duong_dan_ket_qua", "le_phi", "gia", "ho_so_bo_sung", "ngay_yeu_cau_bo_sung",
               "ngay_hoan_thanh_bo_sung", "ngay_hen_tra_truoc", "ngay_hen_tra_moi", "danh_gia", "muc_do")
_DERIVED = re.compile(r"^\s*([a-z_]+)\s+IS\s+(NOT\s+)?NULL\s*$", re.I)
_WS = re.compile(r"\s+")


def norm_key(v) -> str:
    """Comparison key for headers and value words: NFC, case-folded, inner whitespace collapsed, stripped."""
    return _WS.sub(" ", unicodedata.normalize("NFC", str(v))).strip().casefold()


@dataclass
class SourceMap:
    """One validated source map."""

    name: str
    format: str
    path: Path | None
    fields: dict[str, str] = field(default_factory=dict)          # source name → canonical (json/tabular)
    header_marker: str | None = None
    drop: tuple[str, ...] = ()
    values: dict[str, dict[str, object]] = field(default_factory=dict)  # canonical col → {norm word: code}
    derived: dict[str, tuple[str, bool]] = field(default_factory=dict)  # col → (source col, True if IS NOT NULL)
    nested: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def norm_fields(self) -> dict[str, str]:
        return {norm_key(k): v for k, v in self.fields.items()}


PARQUET = SourceMap(name="parquet", format="parquet", path=None, fields={c: c for c in DOSSIER_COLUMNS})
# built in: a CSV/XLSX whose header row holds the canonical names themselves (ma_ho_so, ma_tthc, …) needs no map;
# codes are numbers (trang_thai 1–10, kenh 1–3), yes/no cells true/false, 1/0, có/không, x
CANONICAL = SourceMap(name="canonical", format="tabular", path=None, header_marker="ma_ho_so",
                      fields={c: c for c in DOSSIER_COLUMNS if c != "ma_don_vi"}, drop=PERSONAL_FIELDS)
BUILT_IN = {"parquet": PARQUET, "canonical": CANONICAL}

_DEFAULT_NESTED = {
    "tai_lieu_nop": ("TaiLieuNop",), "duoc_so_hoa": ("DuocSoHoa",), "duoc_tai_su_dung": ("DuocTaiSuDung",),
    "duoc_lay_tu_kho": ("DuocLayTuKhoDMQG",), "bat_buoc": ("BatBuoc",),
    "giay_to_ket_qua": ("DanhSachGiayToKetQua",), "duong_dan_ket_qua": ("DuongDanTepTinKetQua",),
    "le_phi": ("DanhSachLePhi",), "gia": ("Gia",), "ho_so_bo_sung": ("DanhSachHoSoBoSung",),
    # national schema (spec §3): NgayBoSung = the day the supplement was REQUESTED, NgayTiepNhanBoSung = the day the
    # supplemented dossier came back; NgayYeuCauBoSung / NgayHoanThanhBoSung are one-stop systems' own spellings
    "ngay_yeu_cau_bo_sung": ("NgayBoSung", "NgayYeuCauBoSung"),
    "ngay_hoan_thanh_bo_sung": ("NgayTiepNhanBoSung", "NgayHoanThanhBoSung"),
    "ngay_hen_tra_truoc": ("NgayHenTraTruoc",), "ngay_hen_tra_moi": ("NgayHenTraMoi",),
    "danh_gia": ("DanhGiaHaiLong",), "muc_do": ("MucDo",),
}


def parse_source(doc, path: Path | str) -> SourceMap:
    path = Path(path)
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a mapping with name, format and fields/columns")
    name = doc.get("name") or path.stem
    fmt = doc.get("format")
    if fmt not in FORMATS:
        raise ConfigError(f"{path}: format = {fmt!r}; use one of {', '.join(FORMATS)}")
    key = "fields" if fmt == "json" else "columns"
    mapping = doc.get(key) if fmt != "parquet" else {c: c for c in DOSSIER_COLUMNS}
    if not isinstance(mapping, dict) or not mapping:
        raise ConfigError(f"{path}: '{key}:' must be a non-empty mapping of source name → canonical column")
    for src, canon in mapping.items():
        if canon not in DOSSIER_COLUMNS:
            raise ConfigError(f"{path}: {key}.{src}: {canon!r} is not a canonical column "
                              f"(see tthc.schema.DOSSIER_COLUMNS)")
    sm = SourceMap(name=str(name), format=fmt, path=path, fields={str(k): str(v) for k, v in mapping.items()})
    drop = doc.get("drop") or []
    if not isinstance(drop, list):
        raise ConfigError(f"{path}: drop must be a list of personal field names")
    sm.drop = tuple(str(d) for d in drop)
    clash = {norm_key(d) for d in sm.drop} & {norm_key(k) for k in sm.fields}
    if clash:
        raise ConfigError(f"{path}: drop: {sorted(clash)} also mapped in '{key}:'; a personal field is never stored")
    if fmt == "tabular":
        hm = doc.get("header_marker")
        if not hm or norm_key(hm) not in {norm_key(k) for k in sm.fields}:
            raise ConfigError(f"{path}: header_marker must be one of the headers listed under 'columns:'")
        sm.header_marker = str(hm)
    values = doc.get("values") or {}
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: values must be a mapping column → {{word: code}}")
    for col, table in values.items():
        if col != "boolean" and col not in VALUE_COLUMNS:
            raise ConfigError(f"{path}: values.{col}: words can be mapped only for "
                              f"{', '.join(VALUE_COLUMNS)} or boolean")
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: values.{col} must be a mapping word → code")
        for w, code in table.items():
            if col == "boolean":
                if not isinstance(code, bool):
                    raise ConfigError(f"{path}: values.boolean.{w!r}: {code!r} must be true or false")
            elif code is not None and (not isinstance(code, int) or isinstance(code, bool)):
                raise ConfigError(f"{path}: values.{col}.{w!r}: {code!r} must be an integer code or null")
        sm.values[col] = {norm_key("" if w is None else w): code for w, code in table.items()}
    for col, expr in (doc.get("derived") or {}).items():
        m = _DERIVED.match(str(expr))
        if col not in DOSSIER_COLUMNS or not m or m.group(1) not in DOSSIER_COLUMNS:
            raise ConfigError(f"{path}: derived.{col}: {expr!r}; write '<canonical column> IS [NOT] NULL' "
                              f"for a canonical column")
        sm.derived[col] = (m.group(1), bool(m.group(2)))
    if fmt == "json":
        nested = doc.get("nested") or {}
        if not isinstance(nested, dict):
            raise ConfigError(f"{path}: nested must be a mapping")
        for k in nested:
            if k not in NESTED_KEYS:
                raise ConfigError(f"{path}: nested.{k}: unknown key; use {', '.join(NESTED_KEYS)}")
        sm.nested = {k: tuple(str(x) for x in (nested.get(k) if isinstance(nested.get(k), list)
                                                else [nested[k]] if nested.get(k) else v))
                     for k, v in _DEFAULT_NESTED.items()}
    return sm


def source_files() -> list[Path]:
    return sorted(config.sources_dir().glob("*.yaml"))


def is_map_path(name: str) -> bool:
    """``--source`` given as a file (``PATH/TO/map.yaml``) rather than the name of a map under params/sources/."""
    return name.lower().endswith((".yaml", ".yml")) or "/" in name or "\\" in name


def load_map_file(path) -> SourceMap:
    """A map passed by path (``tthc ingest FILE --source PATH/TO/map.yaml``): a new export layout needs only this."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: no such column map; write one as described in docs/column-maps.md")
    return parse_source(load_yaml(p), p)


def load_source(name: str) -> SourceMap:
    """The map called ``name`` (``parquet`` and ``canonical`` are built in), or the map file at ``name``."""
    if name in BUILT_IN:
        return BUILT_IN[name]
    if is_map_path(name):
        return load_map_file(name)
    p = config.sources_dir() / f"{name}.yaml"
    if p.is_file():
        return parse_source(load_yaml(p), p)
    for sm in load_all_sources().values():
        if sm.name == name:
            return sm
    names = sorted({*(s.name for s in load_all_sources().values()), *BUILT_IN})
    raise ConfigError(f"unknown source {name!r}; known sources: {', '.join(names)} (maps in {config.sources_dir()})")


def load_all_sources() -> dict[str, SourceMap]:
    """Every map under ``params/sources/``, validated (ConfigError names the file and key on a problem)."""
    out: dict[str, SourceMap] = {}
    for p in source_files():
        sm = parse_source(load_yaml(p), p)
        if sm.name in out:
            raise ConfigError(f"{p}: name {sm.name!r} is also used by {out[sm.name].path}; names are unique")
        out[sm.name] = sm
    return out
